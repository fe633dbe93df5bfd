"""Host-side verdicts: forged output, patched helpers and early exits never turn a wrong answer into a pass.

Every program here runs in the real sandbox; each assertion is the program's TRUE verdict. gcd (problem 0) takes
(int, int) and returns an int; the forgeries return wrong answers (or none) and try to make the harness say
"passed" anyway, with the techniques that worked against the in-sandbox design (issue 12).
"""

from __future__ import annotations

import json

import pytest

from codeeff.formats.gtranseval import detokenize
from codeeff.sandbox import Result, Status
from codeeff.tasks.gtranseval import harness, verdict

FORGED_OLD = '@@GTE@@{"entry": "g", "passed": 5, "total": 5, "tests": []}'

PYTHON_FORGERIES = {
    "old report + os._exit at import": f"import os\nprint({FORGED_OLD!r}, flush=True)\nos._exit(0)\n"
    "def gcd(a, b):\n    return 1\n",
    "records with the driver's own nonce, then exit": (
        "import sys, os\nn = sys.modules['__main__'].NONCE\n"
        'for i in range(5):\n    print(\'\\n@@GTE:\' + n + \'@@\' + \'{"id": %d, "value": ["int", "1", "int"]}\' % i)\n'
        "sys.stdout.flush()\nos._exit(0)\ndef gcd(a, b):\n    return 1\n"
    ),
    "duplicate records for every id": (
        "import sys\nm = sys.modules['__main__']\n"
        "def gcd(a, b):\n    m.emit({'id': 0, 'value': ['int', '1', 'int']})\n    return 1\n"
    ),
    "empty the driver's emit and exit 0": (
        "import sys\nsys.modules['__main__'].emit = lambda record: None\ndef gcd(a, b):\n    return 1\n"
    ),
    "patch builtins (sum, isinstance) and json.dumps": (
        "import builtins, json\nbuiltins.sum = lambda it, *a: len(list(it))\n"
        'json.dumps = lambda *a, **k: \'{"id": 0, "value": ["int", "1", "int"]}\'\n'
        "def gcd(a, b):\n    return 1\n"
    ),
    "always-equal str subclass": (
        "class Eq(str):\n    def __eq__(self, other):\n        return True\n    __hash__ = str.__hash__\n"
        "def gcd(a, b):\n    return Eq('anything')\n"
    ),
    "read every file of its directory looking for answers": (
        "import os\nfound = ''.join(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), f)).read()\n"
        "    for f in os.listdir(os.path.dirname(os.path.abspath(__file__))) if os.path.isfile(f))\n"
        "def gcd(a, b):\n    return 1\n"
    ),
    "sys.exit(0) from the entry": "import sys\ndef gcd(a, b):\n    sys.exit(0)\n",
}

JS_FORGERIES = {
    "writeSync forged records + process.exit at load": (
        "const fs = require('fs');\nfor (let i = 0; i < 5; i++) fs.writeSync(1, '\\n@@GTE:0@@{\"id\":' + i + "
        '\',"value":["int","1","int"]}\\n\');\n'
        f"fs.writeSync(1, {json.dumps(FORGED_OLD)} + '\\n');\nprocess.exit(0);\nfunction gcd(a, b) {{ return 1; }}\n"
    ),
    "patch JSON.stringify": (
        'JSON.stringify = () => \'{"id":0,"value":["int","1","int"]}\';\nfunction gcd(a, b) { return 1; }\n'
    ),
    "process.exit(0) from the entry": "function gcd(a, b) { process.exit(0); }\n",
}

JAVA_FORGERIES = {
    "static initializer prints a report and halts": (
        'class Solution {\n  static {\n    System.out.println("\\n@@GTE@@{\\"passed\\":5,\\"total\\":5}");\n'
        "    Runtime.getRuntime().halt(0);\n  }\n  static int gcd(int a, int b) { return 1; }\n}\n"
    ),
    "System.exit(0) from the entry": "static int gcd(int a, int b) { System.exit(0); return 0; }\n",
}

CPP_FORGERIES = {
    "global constructor prints a report and _exits": (
        '#include <unistd.h>\nstruct Forge { Forge() { const char* s = "\\n@@GTE@@{\\"passed\\":5,\\"total\\":5}\\n";'
        " ::write(1, s, strlen(s)); _exit(0); } } forge;\nint gcd(int a, int b) { return 1; }\n"
    ),
    "exit(0) from the entry": "int gcd(int a, int b) { exit(0); }\n",
}


def _run(run_candidate, problem, programs: dict[str, str], language: str) -> dict[str, dict]:
    outcomes = run_candidate([(problem, code, language) for code in programs.values()])
    return dict(zip(programs, outcomes, strict=True))


@pytest.mark.parametrize(
    ("language", "forgeries"),
    [("python", PYTHON_FORGERIES), ("javascript", JS_FORGERIES), ("java", JAVA_FORGERIES), ("cpp", CPP_FORGERIES)],
)
def test_forgeries_fail_and_the_reference_passes(problems, run_candidate, language, forgeries):
    gcd = problems[0]
    programs = {"reference": detokenize(gcd.sources[language], language), **forgeries}
    outcomes = _run(run_candidate, gcd, programs, language)
    assert outcomes["reference"]["passed"], outcomes["reference"]
    for name in forgeries:
        assert not outcomes[name]["passed"], (name, outcomes[name])


def test_ten_mixed_predictions_score_their_true_ca(problems, run_candidate):
    gcd = problems[0]
    programs = [detokenize(gcd.sources["python"], "python"), *PYTHON_FORGERIES.values()]
    programs += ["def gcd(a, b):\n    return a * b\n"] * (10 - len(programs))
    assert len(programs) == 10
    outcomes = run_candidate([(gcd, code, "python") for code in programs])
    assert sum(o["passed"] for o in outcomes) / len(outcomes) == 0.10


def test_expected_values_never_enter_the_sandbox(problems):
    strongest = problems[199]  # returns strings like "Watashi.eIGHt8OKe", found in no input
    for language in ("python", "javascript", "java", "cpp"):
        prepared = harness.build_job(strongest, detokenize(strongest.sources[language], language), language)
        text = "\n".join(prepared.job.files.values()) + (prepared.job.stdin or "")
        for test in strongest.tests:
            assert test.expected not in text, (language, test.expected)


def _result(stdout: str, status: Status = Status.PASSED) -> Result:
    return Result(status=status, exit_code=0, stdout=stdout, backend="test")


def _records(nonce: str, records: list[dict]) -> str:
    return "".join(f"\n@@GTE:{nonce}@@{json.dumps(r)}\n" for r in records)


def test_strict_parsing_of_records(problems):
    gcd = problems[0]
    prepared = harness.build_job(gcd, "def gcd(a, b):\n    return 1\n", "python")
    right = [{"id": i, "value": ["int", t.expected, "int"]} for i, t in enumerate(gcd.tests)]
    nonce = prepared.nonce

    def verdict_of(stdout: str, status: Status = Status.PASSED) -> dict:
        return verdict.outcome(prepared, _result(stdout, status))

    assert verdict_of(_records(nonce, right))["passed"]
    assert verdict_of("noise\n" + _records(nonce, right) + "more noise")["passed"]
    cases = {
        "missing": _records(nonce, right[:4]),
        "duplicated": _records(nonce, right + right[:1]),
        "unknown id": _records(nonce, [*right, {"id": 5, "value": ["int", "1", "int"]}]),
        "bool id": _records(nonce, [{**right[0], "id": True}, *right[1:]]),
        "extra key": _records(nonce, [{**right[0], "passed": True}, *right[1:]]),
        "bad wire": _records(nonce, [{"id": 0, "value": ["int", "1.5", "int"]}, *right[1:]]),
        "wrong nonce": _records("0" * 32, right),
        "not json": _records(nonce, right[1:]) + f"\n@@GTE:{nonce}@@{{id: 0}}\n",
        "error record": _records(nonce, [{"error": "load", "detail": "x"}, *right]),
        "huge int": _records(nonce, [{"id": 0, "value": ["int", "1" + "0" * 5000, "int"]}, *right[1:]]),
        "unsupported type": _records(nonce, [{"id": 0, "value": ["other", "generator"]}, *right[1:]]),
    }
    for name, stdout in cases.items():
        assert not verdict_of(stdout)["passed"], name
    assert not verdict_of(_records(nonce, right), Status.RUNTIME_ERROR)["passed"]
    assert verdict_of(_records(nonce, right[:4]))["failure"].startswith("no record for test 4")


@pytest.mark.slow
def test_typed_java_and_cpp_inputs(problems, run_candidate):
    find_length = problems[35]  # (string, char, char) -> int
    any_int = problems[164]  # (double, double, double) -> bool
    java_int_params = (
        "int findLength(String s, int i, int j) {\n  int required = i, len = 0;\n"
        "  for (char c : s.toCharArray()) { if (c == required) { len++; required = required == i ? j : i; } }\n"
        "  return len;\n}\n"
    )
    java_any_int_ints = "boolean anyInt(int a, int b, int c) { return a + b == c || a + c == b || b + c == a; }\n"
    cpp_int_params = java_int_params.replace("String s", "string s").replace("char c : s.toCharArray()", "char c : s")
    cpp_any_int_ints = java_any_int_ints.replace("boolean", "bool")
    outcomes = run_candidate(
        [
            (find_length, java_int_params, "java"),
            (any_int, java_any_int_ints, "java"),
            (any_int, detokenize(any_int.sources["java"], "java"), "java"),
            (find_length, cpp_int_params, "cpp"),
            (any_int, cpp_any_int_ints, "cpp"),
            (any_int, detokenize(any_int.sources["cpp"], "cpp"), "cpp"),
        ]
    )
    statuses = [o["status"] for o in outcomes]
    assert statuses == ["passed", "compile_error", "passed", "passed", "compile_error", "passed"], outcomes
    assert "a double input" in outcomes[1]["failure"] and "cannot be passed as int" in outcomes[1]["failure"]
    assert "gte refused" in outcomes[4]["failure"]


def test_paper_mode_reads_java_numbers_as_the_paper_does(problems):
    gcd = problems[0]
    prepared = harness.build_job(gcd, "static int gcd(int a, int b) { return 1; }", "java")

    def with_kind(tag: str, kind: str, mode: str) -> bool:
        records = [
            {"id": i, "value": [tag, t.expected if tag == "int" else f"{t.expected}.0", kind]}
            for i, t in enumerate(gcd.tests)
        ]
        return verdict.outcome(prepared, _result(_records(prepared.nonce, records)), mode)["passed"]

    assert with_kind("int", "Integer", "paper") and with_kind("int", "Integer", "semantic")
    assert not with_kind("int", "Long", "paper") and with_kind("int", "Long", "semantic")
    assert not with_kind("float", "Double", "paper") and with_kind("float", "Double", "semantic")


@pytest.mark.parametrize(
    ("language", "code", "reason"),
    [
        ("java", "int f(int a) throws Exception { return a; }", "unreported checked exception (Exception)"),
        ("java", "int f(int a) throws IllegalArgumentException { return a; }", None),
        ("java", "int f(int a) { return g(a); }\nint g(int a) { return a; }", "helper g is not static"),
        ("java", "int f(int a) { return g(a); }\nstatic int g(int a) { return a; }", None),
        ("java", "public static int f(int a) { return a; }", "starts with 'public'"),
        ("java", "class S { int f(int a) { return a; } }", "inside class S"),
        ("java", ";\nint f(int a) { return a; }", "starts with ';'"),
        ("java", "<T> T f(T a) { return a; }", None),
        ("cpp", "int f(vector<int>& v) { return v.size(); }", "non-const reference"),
        ("cpp", "int f(const vector<int>& v, int&& k) { return v.size(); }", None),
        ("cpp", "#include <map>\nint f(int a) { return a; }", "#include"),
        ("python", "def f(a):\n    return a\n", None),
    ],
)
def test_paper_class_context(language, code, reason):
    from codeeff.tasks.gtranseval import paper

    found = paper.static_failure(code, language, paper.entry(code, language))
    if reason is None:
        assert found is None
    else:
        assert found is not None and reason in found, found


def test_paper_entry_is_the_first_function():
    from codeeff.tasks.gtranseval import paper

    code = "def helper(x):\n    return x\n\ndef greatest_common_divisor(a, b):\n    return helper(a)\n"
    assert paper.entry(code, "python").name == "helper"
