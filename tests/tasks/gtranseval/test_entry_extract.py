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


def test_entry_is_not_a_later_uncalled_function_of_the_same_arity():
    later_example = "def compute(a, b):\n    return a % b\n\ndef other(a, b):\n    return 0\n"
    assert _entry(later_example, "python") == (None, "compute")
    # a called function is a helper, whatever its position
    helper_same_arity = "def mod(a, b):\n    return a % b\n\ndef solve(a, b):\n    return mod(a, b)\n"
    assert _entry(helper_same_arity, "python") == (None, "solve")
    # name similarity beats position
    similar = "def add_all(a, b):\n    return a + b\n\ndef greatest_divisor(a, b):\n    return a\n"
    assert _entry(similar, "python") == (None, "greatest_divisor")
    # test drivers are not entries even when they are roots of the right arity
    driver = "def test_it(a, b):\n    print(go(a, b))\n\ndef go(a, b):\n    return a\n"
    assert _entry(driver, "python") == (None, "go")  # a driver's call does not make go a helper
    drivers_and_entry = "def main(a, b):\n    print(1)\n\ndef calc(a, b):\n    return a\n"
    assert _entry(drivers_and_entry, "python") == (None, "calc")
    java_main = (
        "public class Solution {\n  public static void main(String[] args) { System.out.println(f(3)); }\n"
        "  static int f(int n) { return n; }\n}\n"
    )
    assert _entry(java_main, "java", names=("largest_divisor",), arity=1) == ("Solution", "f")
    js = "function solve(a, b) { return a + b; }\nconst usage = (a, b) => console.log(a, b);\n"
    assert _entry(js, "javascript") == (None, "solve")


def test_extract_keeps_module_level_statements_next_to_the_code():
    answer = "Here is the translation:\nimport math\nOFFSET = 0\n\ndef add(a, b):\n    return a + b + OFFSET\nDone."
    assert extract_code(answer, "python") == "import math\nOFFSET = 0\n\ndef add(a, b):\n    return a + b + OFFSET\n"
    java = "The Java code:\nprivate int calls = 0;\nMap<Integer, Integer> memo = new HashMap<>();\nint f(int a) {\n  calls++;\n  return a;\n}\n"
    assert extract_code(java, "java").startswith("private int calls = 0;\nMap<Integer, Integer> memo")
    cpp = "Here you go:\n#include <vector>\nconst int MOD = 7;\nint f(int a) {\n  return a % MOD;\n}\n"
    assert extract_code(cpp, "cpp") == "#include <vector>\nconst int MOD = 7;\nint f(int a) {\n  return a % MOD;\n}\n"
    # prose that happens to parse (a bare name) is not code
    assert extract_code("Translation\ndef f(a):\n    return a\n", "python") == "def f(a):\n    return a\n"


def test_extract_picks_the_block_that_defines_the_entry():
    usage_first = (
        "You can call it like this:\n```python\nprint(greatest_common_divisor(12, 8))\n```\n"
        "And here is the function:\n```python\ndef greatest_common_divisor(a, b):\n    return a if b == 0 else b\n```\n"
    )
    code = extract_code(usage_first, "python", ["greatest_common_divisor"], 2)
    assert code.startswith("def greatest_common_divisor(a, b):")
    # without names, a block with a function of the right arity beats a block with an unrelated function
    two_defs = "```python\ndef show(x):\n    print(x)\n```\n```python\ndef g(a, b):\n    return a\n```"
    assert extract_code(two_defs, "python", [], 2).startswith("def g(a, b)")
    # the named definition wins over a same-arity one in an earlier block
    named_second = (
        "```java\nint helper(int a, int b) { return a; }\n```\n```java\nint gcd(int a, int b) { return b; }\n```"
    )
    assert extract_code(named_second, "java", ["gcd"], 2) == "int gcd(int a, int b) { return b; }\n"
    # equal blocks: the first one (a refined version later is not guessed at)
    same = "```python\ndef f(a, b):\n    return 1\n```\n```python\ndef f(a, b):\n    return 2\n```"
    assert extract_code(same, "python", ["f"], 2).endswith("return 1\n")
    # the prompt's opened fence: the code before the closing fence beats a later example block
    prefilled = "def f(a, b):\n    return a\n```\nExample:\n```python\nprint(f(1, 2))\n```"
    assert extract_code(prefilled, "python", ["f"], 2) == "def f(a, b):\n    return a\n"


def test_extracted_module_statements_and_instance_fields_run(problems, run_candidate):
    gcd = next(p for p in problems if p.name == "greatest_common_divisor")
    python = (
        "Sure, here is the code:\nimport math\nOFFSET = 0\n\ndef compute(a, b):\n    return math.gcd(a, b) + OFFSET\n\n"
        "def unused(a, b):\n    return -1\nThis uses math.gcd."
    )
    java = (
        "Here is the Java version:\nint calls = 0;\nint gcd(int a, int b) {\n  calls++;\n"
        "  return b == 0 ? a : gcd(b, a % b);\n}\nThe field counts calls."
    )
    items = [(gcd, extract_code(python, "python"), "python"), (gcd, extract_code(java, "java"), "java")]
    outcomes = run_candidate(items)
    assert [o["passed"] for o in outcomes] == [True, True], [o["failure"] for o in outcomes]
    assert outcomes[0]["entry"] == "compute"


def test_real_smollm2_chat_answers():
    """Answers of the demo model (tests/tasks/gtranseval/smollm2_answers.json): one fence, prose after it, code cut
    mid-expression (the token budget ran out), and a Python answer to a Java request."""
    import ast
    import json
    from pathlib import Path

    answers = json.loads((Path(__file__).parent / "smollm2_answers.json").read_text())["answers"]
    by_id = {(a["direction"], a["id"]): a["response"] for a in answers}
    gcd = extract_code(by_id[("java2python", "0000-greatest_common_divisor")], "python", ["greatest_common_divisor"], 2)
    assert gcd.startswith("def greatestCommonDivisor(a, b):") and "```" not in gcd
    power = extract_code(by_id[("java2python", "0024-Power")], "python", ["Power", "power"], 2)
    assert power.endswith("return x * power(x, y / 2) * power(x, y / 2)\n") and "This function" not in power
    ast.parse(power)
    cut = extract_code(by_id[("java2python", "0048-FindMinOperationsReqEmpStr")], "python", ["x"], 1)
    assert cut.startswith("def findMinOperationsReqEmpStr(s):") and "nested loop" not in cut
    wrong_language = extract_code(by_id[("python2java", "0024-Power")], "java", ["power"], 2)
    assert wrong_language.startswith("def power(x, y):")  # the only code there is; it fails to compile as Java
    assert _entry(power, "python", names=("Power",)) == (None, "power")


def test_prefilled_fence_then_prose_is_not_read_as_a_block():
    # the closing fence of the prompt's block is not an opening fence: "Example:" is prose, the later block is one
    answer = "def f(a, b):\n    return a\n```\nExample:\n```python\ndef f(a, b):\n    return b\n```\n"
    assert extract_code(answer, "python", ["f"], 2) == "def f(a, b):\n    return a\n"
    broken_head = "def f(a, b:\n    return a\n```\nFixed:\n```python\ndef f(a, b):\n    return b\n```\n"
    assert extract_code(broken_head, "python", ["f"], 2) == "def f(a, b):\n    return b\n"
