"""The C# hostile corpus (tests/sandbox/hostile_csharp/): each program gets its declared status, the host stays unharmed.

Same checks as the other languages' corpus (test_hostile.py): no listener saw a byte, the canaries are intact, no
secret (file or environment) appears in the output, no process of the sandbox's run uids survives, and the harness
still runs a normal C# program afterwards (the slot's warm compile server survives hostile programs).
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from sandbox_support import ENV_SECRET, processes_of

from codeeff.sandbox import Job, Limits, Status, run_jobs
from codeeff.sandbox.csharp import mono_available
from codeeff.sandbox.pool import active_run_uids

CORPUS_DIR = Path(__file__).with_name("hostile_csharp")
pytestmark = pytest.mark.skipif(mono_available() is not None, reason=str(mono_available()))


def _corpus() -> list[tuple[Path, dict[str, str]]]:
    programs = []
    for path in sorted(CORPUS_DIR.glob("*.cs")):
        header = dict(re.findall(r"^//\s*(expect|limits|what):\s*(.*)$", path.read_text(), re.MULTILINE))
        programs.append((path, header))
    return programs


CORPUS = _corpus()


def _survivors(grace_s: float = 1.0) -> list[str]:
    """Processes of the run uids still alive after ``grace_s``: a SIGKILLed process can stay visible for a few ms
    while it exits (empty cmdline, root cgroup); an orphan that escaped the kill (e.g. ``sleep 600``) never goes."""
    deadline = time.monotonic() + grace_s
    while (found := processes_of(active_run_uids())) and time.monotonic() < deadline:
        time.sleep(0.05)
    return found


def _describe(process: str) -> str:
    pid = process.split()[0]
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ")[:300]
        cgroup = Path(f"/proc/{pid}/cgroup").read_text().strip()[-120:]
    except OSError:
        return process + " (gone)"
    return f"{process} [{cmdline}] cgroup {cgroup}"


def test_corpus_covers_the_other_languages_classes():
    names = {path.stem for path, _ in CORPUS}
    assert len(CORPUS) >= 18
    for member in ("CsForkBomb", "CsCanaryWrite", "CsSockets", "CsReadSecret", "CsStaticExit", "CsInfiniteLoop",
                   "CsMemoryBomb", "CsBigFile", "CsStdoutFlood", "CsKillAll", "CsDaemon"):  # fmt: skip
        assert member in names


@pytest.mark.parametrize(("path", "header"), CORPUS, ids=[p.name for p, _ in CORPUS])
def test_hostile_csharp_program(path, header, hostile_env):
    limits = {k: float(v) for k, v in (item.split("=") for item in header.get("limits", "").split())}
    job = Job(language="csharp", files={path.name: path.read_text()}, main=path.name, args=hostile_env.args,
              limits=Limits(**limits) if limits else None)  # fmt: skip
    [result] = run_jobs([job], cache=False, progress=False)
    report = f"{path.name} ({header['what']}): {result.status_label} {result.detail}\n{result.stdout[-800:]}\n{result.stderr[-800:]}"
    assert result.status_label == header["expect"], report
    assert result.backend == "bwrap" and result.isolation["level"] == "full"
    assert hostile_env.intrusions() == [], report
    output = result.stdout + result.stderr
    assert "LEAK" not in output, report
    assert hostile_env.secret not in output and ENV_SECRET not in output, report
    orphans = _survivors()
    assert orphans == [], f"orphans after {path.name}: {[_describe(o) for o in orphans]}"
    [after] = run_jobs([Job.single("csharp", 'class M { static void Main() { System.Console.Write("still working"); } }')],
                       cache=False, progress=False)  # fmt: skip
    assert after.status is Status.PASSED and after.stdout == "still working", after


DOCKER_SAMPLE = ("CsSockets.cs", "CsReadSecret.cs", "CsMemoryBomb.cs", "CsCompileError.cs", "CsForkBomb.cs")


@pytest.mark.slow
def test_docker_backend_runs_csharp(hostile_env):
    from codeeff.sandbox.docker_backend import probe

    if not probe().available:
        pytest.skip(f"Docker backend not available: {probe().reason}")
    two_files = Job("csharp", {"Prog.cs": "class Prog { static void Main() { System.Console.Write(Other.Read()); } }",
                               "Other.cs": "static class Other { public static string Read() { return "
                                           "System.Console.In.ReadToEnd().ToUpper(); } static void Main() {} }"},
                    "Prog.cs", stdin="via docker")  # fmt: skip
    programs = [(path, header) for path, header in CORPUS if path.name in DOCKER_SAMPLE]
    jobs = [two_files] + [Job("csharp", {p.name: p.read_text()}, p.name, args=hostile_env.args) for p, _ in programs]
    first, *rest = run_jobs(jobs, backend="docker", cache=False, progress=False)
    assert (first.status, first.stdout) == (Status.PASSED, "VIA DOCKER"), first.stderr  # -main picks Prog.cs's class
    for (path, header), result in zip(programs, rest, strict=True):
        report = f"{path.name}: {result.status_label} {result.detail}\n{result.stdout[-500:]}"
        assert result.backend == "docker" and result.status_label == header["expect"], report
        assert "LEAK" not in result.stdout and hostile_env.secret not in result.stdout + result.stderr, report
    assert hostile_env.intrusions() == []


def test_doctor_reports_the_csharp_toolchain():
    from codeeff.sandbox import doctor
    from codeeff.sandbox.cli import _doctor_text

    report = doctor()
    assert report["csharp"]["toolchain"] == "mono" and report["csharp"]["runtime"] == "/usr/bin/mono"
    assert report["runtimes"]["csharp"].startswith("Mono JIT compiler version")
    assert "csharp toolchain: mono: compile /usr/lib/mono/4.5/mcs.exe" in _doctor_text(report)


def test_compile_limit_kills_the_warm_server_and_the_next_job_restarts_it():
    slow = Job.single("csharp", "class M { static void Main() { } }", limits=Limits(compile_wall_s=0.001))
    normal = Job.single("csharp", 'class M { static void Main() { System.Console.Write("after"); } }')
    first, second = run_jobs([slow, normal], workers=1, cache=False, progress=False)
    assert first.status is Status.COMPILE_ERROR and "mcs timed out" in first.detail, first
    assert (second.status, second.stdout) == (Status.PASSED, "after"), second


def test_without_mono_a_csharp_job_is_a_sandbox_error_that_says_how_to_install(monkeypatch):
    from codeeff.sandbox.backends import ensure_usable
    from codeeff.sandbox.bwrap import BwrapBackend

    monkeypatch.setattr("codeeff.sandbox.csharp.MCS_EXE", "/nonexistent/mcs.exe")
    backend = BwrapBackend(ensure_usable("bwrap").isolation)  # in-process, so the patched path applies
    try:
        result = backend.execute(Job.single("csharp", "class M { static void Main() { } }"))
    finally:
        backend.close()
    assert result.status is Status.SANDBOX_ERROR and "apt-get install -y mono-mcs mono-runtime" in result.detail
