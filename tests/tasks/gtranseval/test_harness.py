"""Test programs run candidates in the real sandbox: names, helpers, typings and failure classes."""

from __future__ import annotations

import pytest

from codeeff.formats.gtranseval import detokenize


def test_python_references_and_model_style_variants(problems, run_candidate):
    gcd = problems[0]  # greatest_common_divisor(int, int) -> int
    intersperse = problems[129]  # (List[int], int) -> List[int]
    renamed_with_helper = (
        "import math\n\ndef _check(x):\n    return x\n\ndef my_gcd(a, b):\n    return _check(math.gcd(a, b))\n"
    )
    outcomes = run_candidate(
        [
            (gcd, detokenize(gcd.sources["python"], "python"), "python"),
            (intersperse, detokenize(intersperse.sources["python"], "python"), "python"),
            (gcd, renamed_with_helper, "python"),
            (gcd, "def g(a, b):\n    return 1\n", "python"),
            (gcd, "def g(a, b)\n    return 1\n", "python"),
            (gcd, "def g(a, b):\n    return a // 0\n", "python"),
            (intersperse, "def f(xs, d):\n    return tuple(xs)\n", "python"),
            (gcd, "x = 1\n", "python"),
            (gcd, "import sys\nsys.exit(0)\ndef g(a, b):\n    return 1\n", "python"),
        ]
    )
    statuses = [o["status"] for o in outcomes]
    assert statuses == [
        "passed",
        "passed",
        "passed",
        "wrong_answer",
        "compile_error",
        "runtime_error",
        "wrong_answer",
        "compile_error",
        "runtime_error",
    ], outcomes
    assert outcomes[2]["entry"] == "my_gcd" and outcomes[2]["tests_passed"] == 5
    assert "got 1.000000 expected 5.000000" in outcomes[3]["failure"]
    assert "ZeroDivisionError" in outcomes[5]["failure"]
    assert "unsupported return type tuple" in outcomes[6]["failure"]


@pytest.mark.slow
def test_javascript_java_cpp_references_and_typings(problems, run_candidate):
    intersperse = problems[129]
    java_array_typing = (
        "int[] weave(int[] numbers, int delimiter) {\n"
        "    if (numbers.length == 0) return new int[0];\n"
        "    int[] out = new int[numbers.length * 2 - 1];\n"
        "    for (int i = 0; i < numbers.length; i++) { out[2 * i] = numbers[i]; if (i > 0) out[2 * i - 1] = delimiter; }\n"
        "    return out;\n}\n"
    )
    cpp_by_reference = (
        "vector<long long> weave(const vector<int>& xs, int d) {\n    vector<long long> out;\n"
        "    for (size_t i = 0; i < xs.size(); i++) { if (i) out.push_back(d); out.push_back(xs[i]); }\n"
        "    return out;\n}\n"
    )
    outcomes = run_candidate(
        [
            (intersperse, detokenize(intersperse.sources["javascript"], "javascript"), "javascript"),
            (intersperse, detokenize(intersperse.sources["java"], "java"), "java"),
            (intersperse, java_array_typing, "java"),
            (intersperse, "int[] weave(int[] numbers, int d) { return numbers }", "java"),
            (intersperse, detokenize(intersperse.sources["cpp"], "cpp"), "cpp"),
            (intersperse, cpp_by_reference, "cpp"),
        ]
    )
    assert [o["status"] for o in outcomes] == [
        "passed",
        "passed",
        "passed",
        "compile_error",
        "passed",
        "passed",
    ], outcomes
