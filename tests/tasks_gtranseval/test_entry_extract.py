"""Entry-point choice (any name, helpers, classes) and code extraction from chatty answers."""

from __future__ import annotations

from codeeff.tasks.gtranseval.entry import choose_entry, functions
from codeeff.tasks.gtranseval.extract import extract_code


def _entry(code, language, names=("greatest_common_divisor",), arity=2):
    chosen = choose_entry(functions(code, language), list(names), arity)
    return chosen and (chosen.owner, chosen.name)


def test_python_entry_by_name_helpers_and_classes():
    helper_first = "def helper(x):\n    return x\n\ndef solve(a, b):\n    return helper(a) + b\n"
    assert _entry(helper_first, "python") == (None, "solve")
    assert _entry("def gcd(a, b):\n    return gcd(b, a % b) if b else a\n", "python") == (None, "gcd")
    named = "def greatestCommonDivisor(a, b):\n    return 1\n\ndef other(a, b):\n    return 2\n"
    assert _entry(named, "python") == (None, "greatestCommonDivisor")
    klass = "class Solution:\n    def gcd(self, a, b):\n        return a\n"
    assert _entry(klass, "python") == ("Solution", "gcd")


def test_c_family_entry_points():
    java = "class Solution {\n  static int helper(int a) { return a; }\n  public int go(int a, int b) { return helper(a) + b; }\n}\n"
    assert _entry(java, "java") == ("Solution", "go")
    cpp = "#include <vector>\nint helper(int a) { return a; }\nint Gcd(int a, int b) {\n  if (b == 0) return a;\n  return Gcd(b, a % b);\n}\n"
    assert _entry(cpp, "cpp") == (None, "Gcd")
    js = "const helper = (x) => x * 2;\nconst solve = function (a, b) { return helper(a) + b; };\n"
    assert _entry(js, "javascript") == (None, "solve")
    assert _entry("int x = 3;", "java") is None


def test_extract_from_prefilled_fence_and_prose():
    assert extract_code("def f(a):\n    return a\n```\nThis works because...", "python") == "def f(a):\n    return a\n"
    chatty = "Sure! Here is the code:\n\n```python\ndef f(a):\n    return a\n```\n\nHope it helps."
    assert extract_code(chatty, "python") == "def f(a):\n    return a\n"
    two = "```text\nnot code\n```\n```java\nint f(int a) { return a; }\n```"
    assert extract_code(two, "java") == "int f(int a) { return a; }\n"
    prose = "Here is my answer:\nint f(int a) {\n    return a;\n}\nThis is a simple function."
    assert extract_code(prose, "java") == "int f(int a) {\n    return a;\n}\n"
    py_prose = "The translation:\ndef f(a):\n    return a\nThat is all."
    assert extract_code(py_prose, "python") == "def f(a):\n    return a\n"
