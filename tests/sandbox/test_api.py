"""The public API on real programs: every language, stdin/args, ordering and de-duplication, typed statuses that
the hostile corpus does not produce, the unsafe fallback's opt-in, slot claiming across processes, and the CLI."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from sandbox_support import lasting_processes_of

from codeeff.sandbox import Job, Limits, SandboxUnavailableError, Status, doctor, ensure_usable, run_jobs
from codeeff.sandbox.pool import active_run_uids
from codeeff.sandbox.slots import claim_slot

ECHO = {
    "python": "import sys\nprint(sys.stdin.read().strip().upper(), *sys.argv[1:])\n",
    "javascript": "const s = require('fs').readFileSync(0, 'utf8').trim().toUpperCase();\n"
    "console.log([s, ...process.argv.slice(2)].join(' '));\n",
    "java": "import java.util.Scanner;\npublic class Main { public static void main(String[] a) {\n"
    "String s = new Scanner(System.in).nextLine().toUpperCase();\n"
    "System.out.println(s + ' ' + String.join(\" \", a)); } }\n".replace("' '", '" "'),
    "cpp": "#include <iostream>\n#include <string>\n#include <algorithm>\nint main(int c, char** v) {\n"
    "std::string s; std::getline(std::cin, s); std::transform(s.begin(), s.end(), s.begin(), ::toupper);\n"
    "std::cout << s; for (int i = 1; i < c; ++i) std::cout << ' ' << v[i]; std::cout << std::endl; }\n",
}


@pytest.mark.slow
def test_every_language_reads_stdin_and_args(tmp_path):
    jobs = [Job.single(lang, src, stdin="hello sandbox\n", args=("a1", "b2")) for lang, src in ECHO.items()]
    results = run_jobs(jobs, cache=tmp_path, progress=False)
    for lang, result in zip(ECHO, results, strict=True):
        assert result.status is Status.PASSED, (lang, result.detail, result.stderr)
        assert result.stdout == "HELLO SANDBOX a1 b2\n", lang
        assert result.backend == "bwrap" and result.isolation["uid"] and result.isolation["cgroup"]
        assert result.wall_s is not None and result.wall_s > 0
    assert results[2].compile_s is not None and results[3].compile_s is not None  # java, cpp compiled separately


def test_results_keep_job_order_and_identical_programs_run_once(tmp_path):
    jobs = [Job.single("python", f"import sys; print({i % 3}); sys.exit({3 if i % 3 == 1 else 0})") for i in range(9)]
    results = run_jobs(jobs, cache=tmp_path, progress=False)
    assert [r.stdout for r in results] == [f"{i % 3}\n" for i in range(9)]
    assert [r.status for r in results] == [Status.FAILED if i % 3 == 1 else Status.PASSED for i in range(9)]
    assert [r.cached for r in results] == [False, False, False] + [True] * 6  # duplicates reuse the first run


def test_multi_file_jobs_compile_together(tmp_path):
    java = Job("java", {"Main.java": "public class Main { public static void main(String[] a) { System.out.println(Util.twice(21)); } }",
                        "Util.java": "public class Util { static int twice(int x) { return 2 * x; } }"}, main="Main.java")  # fmt: skip
    cpp = Job("cpp", {"main.cpp": '#include <cstdio>\nint twice(int);\nint main() { std::printf("%d\\n", twice(21)); }',
                      "util.cpp": "int twice(int x) { return 2 * x; }"}, main="main.cpp")  # fmt: skip
    py = Job("python", {"main.py": "from util import twice\nprint(twice(21))", "util.py": "def twice(x):\n    return 2 * x"},
             main="main.py")  # fmt: skip
    for result in run_jobs([java, cpp, py], cache=False, progress=False):
        assert (result.status, result.stdout) == (Status.PASSED, "42\n"), result.stderr


@pytest.mark.parametrize(
    ("field", "value"),
    [("cpu_s", -1), ("wall_s", float("nan")), ("wall_s", float("inf")), ("wall_s", -1), ("memory_mb", 0),
     ("memory_mb", -5), ("memory_mb", 1.5), ("processes", True), ("scratch_mb", "64"), ("output_bytes", 0)],
)  # fmt: skip
def test_invalid_limits_are_a_value_error_naming_the_field(field, value):
    with pytest.raises(ValueError, match=field):
        Limits(**{field: value})


@pytest.mark.parametrize(
    "flags",
    [["--cpu", "-1"], ["--memory", "-5"], ["--memory", "0"], ["--timeout", "nan"], ["--timeout", "inf"],
     ["--timeout", "-1"]],
)  # fmt: skip
def test_cli_rejects_invalid_limits_with_one_error_line(tmp_path, flags):
    program = tmp_path / "p.py"
    program.write_text("print(1)")
    done = subprocess.run([sys.executable, "-m", "codeeff", "sandbox", "exec", *flags, "--no-cache", str(program)],
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 2 and done.stdout == "", (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("codeeff: error: "), done.stderr


def test_cli_cache_stats_and_clear(tmp_path):
    run_jobs([Job.single("python", "print(1)")], cache=tmp_path, progress=False)
    base = [sys.executable, "-m", "codeeff", "sandbox", "cache"]
    stats = subprocess.run([*base, "stats", "--dir", str(tmp_path)], capture_output=True, text=True, check=True)
    assert json.loads(stats.stdout)["entries"] == 1 and json.loads(stats.stdout)["by_status"] == {"passed": 1}
    cleared = subprocess.run([*base, "clear", "--dir", str(tmp_path)], capture_output=True, text=True, check=True)
    assert json.loads(cleared.stdout)["cleared"] == 1
    stats = subprocess.run([*base, "stats", "--dir", str(tmp_path)], capture_output=True, text=True, check=True)
    assert json.loads(stats.stdout)["entries"] == 0


def test_harness_fault_is_sandbox_error_not_the_models():
    # One process allowed: bwrap itself cannot create the sandbox, which is the harness's failure to run the job.
    # (JavaScript: a Python job would take the warm runner, whose forked child legitimately fits in one process.)
    job = Job.single("javascript", "console.log(1)", limits=Limits(processes=1))
    [result] = run_jobs([job], cache=False, progress=False)
    assert result.status is Status.SANDBOX_ERROR, (result.status, result.detail)
    assert "bwrap" in result.detail


def test_memory_limit_is_a_cgroup_oom_for_the_jvm():
    src = "public class Main { public static void main(String[] a) { long[][] b = new long[64][]; for (int i = 0; i < 64; i++) b[i] = new long[1 << 22]; } }"
    [result] = run_jobs([Job.single("java", src, limits=Limits(memory_mb=256))], cache=False, progress=False)
    assert result.status is Status.MEMORY, (result.detail, result.stderr[-300:])
    assert result.peak_memory_bytes and result.peak_memory_bytes > 0


def test_unsafe_fallback_needs_opt_in_and_says_so(tmp_path):
    with pytest.raises(SandboxUnavailableError, match="NOT SAFE"):
        ensure_usable("process")
    [result] = run_jobs([Job.single("python", "import os; print(os.getuid())")], backend="process",
                        allow_unsafe=True, cache=False, progress=False)  # fmt: skip
    assert result.status is Status.PASSED and result.backend == "process"
    assert result.isolation["safe_for_hostile_code"] is False and "NOT SAFE" in result.isolation["warning"]
    assert int(result.stdout) >= 61000  # still a slot uid when the harness is root


def test_doctor_reports_full_isolation():
    report = doctor()
    assert report["chosen"] == "bwrap"
    iso = report["isolation"]
    assert all(iso[k] for k in ("net", "pid", "mount", "uid", "cgroup", "seccomp")), iso
    assert report["backends"]["process"]["isolation"]["safe_for_hostile_code"] is False
    assert report["python_runner"]["mode"] == "warm", report["python_runner"]


def test_slots_are_exclusive_across_processes(tmp_path):
    mine = claim_slot(tmp_path)
    code = (
        "import sys; from pathlib import Path; from codeeff.sandbox.slots import claim_slot; "
        f"print(claim_slot(Path({str(tmp_path)!r})).index)"
    )
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert int(other.stdout) != mine.index
    mine.release()


def test_no_process_survives_a_batch():
    jobs = [
        Job.single("python", "import os, time\nif os.fork() == 0:\n    os.setsid(); time.sleep(60)\nprint('bye')")
    ] * 1
    jobs += [
        Job.single(
            "javascript",
            "require('child_process').spawn('/usr/bin/sleep', ['60'], {detached: true, stdio: 'ignore'}).unref()",
        )
    ]
    results = run_jobs(jobs, cache=False, progress=False)
    assert all(r.status is Status.PASSED for r in results), [r.detail for r in results]
    assert lasting_processes_of(active_run_uids()) == []


@pytest.mark.slow
def test_cli_exec_prints_one_json_object(tmp_path):
    program = tmp_path / "prog.py"
    program.write_text("import sys\nprint('out'); print('err', file=sys.stderr); sys.exit(3)\n")
    done = subprocess.run([sys.executable, "-m", "codeeff", "sandbox", "exec", "--lang", "python", "--timeout", "5",
                           "--memory", "256", "--no-cache", str(program)], capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert {k: data[k] for k in ("status", "exit_code", "stdout", "stderr", "backend")} == {
        "status": "failed", "exit_code": 3, "stdout": "out\n", "stderr": "err\n", "backend": "bwrap"}  # fmt: skip
    assert data["wall_s"] > 0


@pytest.mark.slow
def test_cli_doctor_json():
    done = subprocess.run(
        [sys.executable, "-m", "codeeff", "sandbox", "doctor", "--json"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["chosen"] == "bwrap" and set(report["backends"]) == {"bwrap", "docker", "process"}
