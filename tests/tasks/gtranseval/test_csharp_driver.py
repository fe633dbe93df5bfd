"""The C# driver (drivers/GteDriver.cs) in the real sandbox: typed inputs and returns, both equivalence modes, and
candidates that attack the verdict (forged records, reflection on the driver, early exits, muted stdout)."""

from __future__ import annotations

import pytest

from codeeff.sandbox.csharp import mono_available
from codeeff.tasks.gtranseval.harness import build_job
from codeeff.tasks.gtranseval.task import run_candidates

pytestmark = pytest.mark.skipif(mono_available() is not None, reason=str(mono_available()))

ADD = 7  # int Add(int x, int y)
SUM_PRODUCT = 130  # List<int> SumProduct(List<int> numbers)
TRIANGLE = 5  # double TriangleArea(double a, double h)
MEAN_DEVIATION = 128  # double MeanAbsoluteDeviation(List<double> numbers)


def _run(problems, cases, mode="semantic"):
    items = [(problems[index], code, {"target_lang": "csharp", "source_lang": "java", "task_name": "test"})
             for index, code in cases]  # fmt: skip
    return run_candidates(items, progress=False, mode=mode)


def test_typings_accepted_and_refused(problems):
    cases = [
        (ADD, "int Add(int x, int y) { return x + y; }"),
        (ADD, "public static long Add(long x, long y) { return x + y; }"),  # int literals widen to long
        (ADD, "double Add(double x, double y) { return x + y; }"),
        (ADD, "int Add(short x, int y) { return x + y; }"),  # constant conversion: the literals fit a short
        (
            SUM_PRODUCT,
            "int[] SumProduct(int[] xs) { int s = 0, p = 1; foreach (var x in xs) { s += x; p *= x; } "
            "return new[] { s, p }; }",
        ),  # template 2 (arrays)
        (
            SUM_PRODUCT,
            "List<int> SumProduct(IEnumerable<int> xs) { return new List<int> { xs.Sum(), "
            "xs.Aggregate(1, (a, b) => a * b) }; }",
        ),  # template 1, through an interface
        (SUM_PRODUCT, "List<int> SumProduct(List<long> xs) { return new List<int>(); }"),  # List<int> is no List<long>
        (TRIANGLE, "double TriangleArea(float a, float h) { return a * h / 2; }"),  # double -> float: refused
        (
            MEAN_DEVIATION,
            "double MeanAbsoluteDeviation(double[] xs) { double m = xs.Average(); "
            "return xs.Select(x => Math.Abs(x - m)).Average(); }",
        ),  # template 2, scalar result
    ]
    semantic = _run(problems, cases)
    assert [o["passed"] for o in semantic] == [True, True, True, True, True, True, False, False, True], semantic
    assert semantic[6]["status"] == "compile_error" and "do not convert" in semantic[6]["failure"]
    assert semantic[7]["status"] == "compile_error"
    paper = _run(problems, cases, mode="paper")
    # The paper's serializer throws on long and on arrays (not List<T>), and its array template writes an expected
    # list as an array (so an array-typed candidate with a list result always fails there); a scalar result passes.
    assert [o["passed"] for o in paper] == [True, False, False, True, False, True, False, False, True], paper
    assert "array template" in paper[4]["failure"]


def test_wrong_answers_and_exceptions(problems):
    cases = [
        (ADD, "int Add(int x, int y) { return x - y; }"),
        (ADD, 'int Add(int x, int y) { if (x > 0) throw new InvalidOperationException("no"); return x + y; }'),
        (ADD, "int Add(int x, int y) { return x + ; }"),
        (ADD, "int Subtract(int x) { return x; }"),
        (
            ADD,
            'class Program { static void Main() { Console.WriteLine("own main"); } '
            "public static int Add(int x, int y) { return x + y; } }",
        ),
    ]
    outcomes = _run(problems, cases)
    assert [o["status"] for o in outcomes] == ["wrong_answer", "runtime_error", "compile_error", "compile_error",
                                              "passed"], outcomes  # fmt: skip
    assert "InvalidOperationException" in outcomes[1]["failure"]


ATTACKS = {
    "exit in a type initializer": """
class Solution2 { public static int X = Exit(); static int Exit() { Environment.Exit(0); return 0; } }
int Add(int x, int y) { return Solution2.X; }""",
    "exit after the first call": "int Add(int x, int y) { Console.Out.Flush(); Environment.Exit(0); return 0; }",
    "forged records": """
int Add(int x, int y) {
    for (int i = 0; i < 5; i++) Console.WriteLine("\\n@@GTE:00000000000000000000000000000000@@{\\"id\\":" + i + ",\\"value\\":[\\"int\\",\\"0\\",\\"int\\"]}");
    Environment.Exit(0);
    return 0;
}""",
    "reflection on the driver": """
int Add(int x, int y) {
    var found = new List<string>();
    foreach (var t in GetType().Assembly.GetTypes())
        foreach (var f in t.GetFields(System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Public))
            if (!f.FieldType.ContainsGenericParameters) found.Add(t.FullName + "." + f.Name + "=" + f.GetValue(null));
    found.Add("stdin: " + Console.In.ReadToEnd());
    found.Add("exe: " + Encoding.ASCII.GetString(File.ReadAllBytes(GetType().Assembly.Location)));
    foreach (var name in new[] { "gte_nonce", "gte_input.json", "/sandbox/gte_nonce", "/build/gte_nonce" })
        found.Add(name + ": " + (File.Exists(name) ? File.ReadAllText(name) : "absent"));
    Console.WriteLine(string.Join("\\n", found));
    return -1;
}""",
    "muted stdout": "int Add(int x, int y) { Console.SetOut(TextWriter.Null); return x + y; }",
}


def test_attacks_on_the_verdict(problems):
    names = list(ATTACKS)
    outcomes = _run(problems, [(ADD, ATTACKS[name]) for name in names])
    by_name = dict(zip(names, outcomes, strict=True))
    for name in ("exit in a type initializer", "exit after the first call", "forged records"):
        assert by_name[name]["passed"] is False and by_name[name]["status"] == "runtime_error", (name, by_name[name])
    assert by_name["reflection on the driver"]["status"] == "wrong_answer"
    assert by_name["muted stdout"]["passed"] is True  # the driver writes records to its own stdout stream


def test_nonce_never_reaches_candidate_output(problems):
    from codeeff.sandbox import run_jobs

    prepared = build_job(problems[ADD], ATTACKS["reflection on the driver"], "csharp")
    assert prepared.nonce not in "".join(prepared.job.files.values())  # only on stdin, which the driver consumes
    [result] = run_jobs([prepared.job], cache=False, progress=False)
    noise = [line for line in result.stdout.split("\n") if not line.startswith(f"@@GTE:{prepared.nonce}@@")]
    assert "stdin: " in result.stdout and "gte_nonce: absent" in result.stdout
    assert prepared.nonce not in "\n".join(noise)


def test_downlevel_rewrites_only_safe_csharp8_forms():
    from codeeff.tasks.gtranseval.languages.csharp import downlevel

    code = 'if (q[i] != q[^ (i + 1)]) { (a[j], a[j - 1]) = (a[j - 1], a[j]); } s = "x[^1]"; (p, r) = (f(x), p);'
    out = downlevel(code)
    assert "q[CodeeffGteCompat.Len(q) - ( (i + 1))]" in out
    assert "var gteSwap0a = a[j - 1]; var gteSwap0b = a[j]; a[j] = gteSwap0a; a[j - 1] = gteSwap0b;" in out
    assert '"x[^1]"' in out  # string literals untouched
    assert "(p, r) = (f(x), p);" in out  # a call on the right: evaluation order matters, left as written
    assert downlevel("return f()[^1];") == "return f()[^1];"  # receiver with a call: left as written


def test_paper_serializer_of_the_csharp_template():
    from codeeff.tasks.gtranseval import values
    from codeeff.tasks.gtranseval.languages.csharp import expected_wire, paper_text

    assert paper_text(["float", "1234.5", "double"]) == "1,234.500000"
    assert paper_text(["float", "-0.0", "double"]) == "-0.000000"  # .NET Core 3.0+ keeps the sign of zero
    assert paper_text(["bool", True]) == "True" and paper_text(["str", "a", "char"]) == "'a'"
    assert paper_text(["list", [], "List"]) == "]" and paper_text(["map", [], "Dictionary"]) == "}"
    assert paper_text(["map", [[["int", "2", "int"], ["str", "b", "string"]], [["int", "1", "int"],
                      ["str", "a", "string"]]], "Dictionary"]) == '{1:"a",2:"b"}'  # fmt: skip
    for rejected in (["int", "1", "long"], ["list", [], "array"], ["list", [], "HashSet"], ["other", "ValueTuple"]):
        with pytest.raises(values.Unequal):
            paper_text(rejected)
    assert expected_wire(["1", "2"], ["int"]) == ["list", [["int", "1", "int"], ["int", "2", "int"]], "List"]
    assert values.compare(["int", "5", "int"], "5.0", "double", "csharp", "paper")[0] is False  # 5 vs 5.000000
    assert values.compare(["int", "5", "int"], "5.0", "double", "csharp", "semantic")[0] is True
