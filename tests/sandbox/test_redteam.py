"""Red-team corpus (tests/sandbox/redteam/): a hostile program, then honest jobs on the same slot and warm server.

Each hostile program must get its own true status, and every honest job that runs after it in the same worker (one
slot, one warm Python server) must get its true status too: a probe finds nothing the hostile job left (files,
IPC objects, changed rlimits or scheduling, the hostile job's source in its own memory), and programs that pass,
fail, crash, time out or need 200 MiB are reported as exactly that.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from pathlib import Path

import pytest
from sandbox_support import ENV_SECRET, lasting_processes_of, load_corpus

from codeeff.sandbox import Job, Limits, Result, Status, run_jobs
from codeeff.sandbox.pool import active_run_uids

REDTEAM = load_corpus(Path(__file__).with_name("redteam"))

# Looks for everything a hostile job may have left; prints one "LEAK: ..." line per finding, then "clean".
PROBE = r"""
import ctypes, hashlib, os, re, resource, sys
found = []
for directory, own in (("/sandbox", {"main.py"}), ("/tmp", set()), ("/dev/shm", set())):
    try:
        extra = set(os.listdir(directory)) - own
        if extra:
            found.append(f"{directory} holds {sorted(extra)}")
        with open(os.path.join(directory, "probe-write"), "w") as handle:
            handle.write("x")
        os.unlink(os.path.join(directory, "probe-write"))
    except OSError as exc:
        found.append(f"{directory}: {exc}")
found += [f"/dev/{n}" for n in os.listdir("/dev") if n.startswith(("left", "big", "fill"))]
for kind in ("shm", "msg", "sem"):
    try:
        lines = open(f"/proc/sysvipc/{kind}").read().splitlines()[1:]
    except OSError:
        lines = []
    if lines:
        found.append(f"SysV {kind}: {lines}")
libc = ctypes.CDLL(None, use_errno=True)
if libc.mq_open(b"/codeeff-redteam", os.O_RDONLY) >= 0:
    found.append("POSIX message queue /codeeff-redteam exists")
expected = {resource.RLIMIT_NOFILE: (256, 256), resource.RLIMIT_FSIZE: (16 << 20, 16 << 20),
            resource.RLIMIT_AS: (512 << 20, 512 << 20), resource.RLIMIT_CPU: (5, 6), resource.RLIMIT_CORE: (0, 0)}
for limit, value in expected.items():
    if resource.getrlimit(limit) != value:
        found.append(f"rlimit {limit} is {resource.getrlimit(limit)}, not {value}")
if os.getpriority(os.PRIO_PROCESS, 0) != int(sys.argv[1]) or os.sched_getscheduler(0) != os.SCHED_OTHER:
    found.append("scheduling changed")
if libc.syscall(252, 1, 0) >> 13 == 3:  # ioprio_get (x86_64): the idle I/O class
    found.append("I/O priority class idle")
if len(os.sched_getaffinity(0)) != os.cpu_count():
    found.append(f"affinity {os.sched_getaffinity(0)}")
if len(sys.argv) > 2:  # sha256 of a secret an earlier job held: scan this process's own memory for it
    pattern = re.compile(rb"codeeff-redteam-secret-[0-9a-f]{32}")
    with open("/proc/self/maps") as maps, open("/proc/self/mem", "rb", 0) as mem:
        for line in maps:
            span, perms = line.split()[:2]
            if not perms.startswith("r"):
                continue
            start, end = (int(x, 16) for x in span.split("-"))
            try:
                mem.seek(start)
                chunk = mem.read(end - start)
            except (OSError, ValueError, OverflowError):
                continue
            for match in pattern.finditer(chunk):
                if hashlib.sha256(match.group()).hexdigest() == sys.argv[2]:
                    found.append("the earlier job's secret is in this job's memory")
                    break
for line in found:
    print("LEAK:", line)
print("clean")
"""

CANDIDATE_MAIN = "import sys\nfrom candidate import f\nsys.exit(0 if f() == 2 else 3)\n"
HONEST: list[tuple[str, Job, Status, str | None]] = [
    ("prints", Job.single("python", "print(6 * 7)"), Status.PASSED, "42\n"),
    ("wrong_answer", Job.single("python", "import sys\nsys.exit(3)"), Status.FAILED, ""),
    ("crash", Job.single("python", "1 / 0"), Status.RUNTIME_ERROR, ""),
    (
        "candidate",
        Job("python", {"main.py": CANDIDATE_MAIN, "candidate.py": "def f():\n    return 1\n"}, "main.py"),
        Status.FAILED,
        "",
    ),  # fmt: skip
    ("sleeps", Job.single("python", "import time\ntime.sleep(5)", limits=Limits(wall_s=0.5)), Status.TIMEOUT, ""),
    (
        "needs_200_mib",
        Job.single("python", "b = bytearray(200 << 20)\nb[::4096] = b'x' * len(b[::4096])\nprint(len(b))"),
        Status.PASSED,
        f"{200 << 20}\n",
    ),  # fmt: skip
]


def _check_follower(name: str, result: Result, status: Status, stdout: str | None, context: str) -> None:
    report = (
        f"{context} then {name}: {result.status_label} {result.detail}\n{result.stdout[-600:]}\n{result.stderr[-600:]}"
    )
    assert result.status is status, report
    if stdout is not None:
        assert result.stdout == stdout, report
    assert result.isolation.get("runner") == "warm", report


@pytest.mark.parametrize("program", REDTEAM, ids=[p.id for p in REDTEAM])
def test_hostile_job_then_honest_jobs_on_the_same_slot(program):
    source = program.path.read_text()
    probe_args: tuple[str, ...] = (str(os.getpriority(os.PRIO_PROCESS, 0)),)  # workers inherit the test's nice
    if "@@SECRET@@" in source:
        secret = f"codeeff-redteam-secret-{secrets.token_hex(16)}"
        source = source.replace("@@SECRET@@", secret)
        probe_args += (hashlib.sha256(secret.encode()).hexdigest(),)
    limits = Limits(**program.limits) if program.limits else None
    hostile = Job(program.language, {program.path.name: source}, program.path.name, limits=limits)
    probe = Job.single("python", PROBE, args=probe_args)
    last_probe = Job.single("python", PROBE + "# after the honest jobs (a distinct job: identical jobs run once)\n",
                            args=probe_args)  # fmt: skip
    jobs = [hostile, probe, *(job for _, job, _, _ in HONEST), last_probe]
    results = run_jobs(jobs, cache=False, progress=False, workers=1)
    assert not any(r.cached for r in results)
    first = results[0]
    context = f"{program.id} ({program.what}): {first.status_label} {first.detail}\n{first.stdout[-800:]}\n{first.stderr[-800:]}"
    assert first.status_label == program.expect, context
    if re.search(r"^# anomaly: yes", source, re.MULTILINE):  # the host's slot check must have seen the change
        assert first.isolation["runner"] == "warm" and first.anomaly, context
        assert not first.cacheable, context
    assert "LEAK" not in first.stdout + first.stderr, context
    assert ENV_SECRET not in first.stdout + first.stderr, context
    for probe_result in (results[1], results[-1]):
        _check_follower("probe", probe_result, Status.PASSED, "clean\n", context)
    for (name, _, status, stdout), result in zip(HONEST, results[2:-1], strict=True):
        _check_follower(name, result, status, stdout, context)
    assert lasting_processes_of(active_run_uids()) == [], f"orphans after {program.id}"


def test_corpus_covers_the_attack_classes_in_every_language():
    assert len(REDTEAM) >= 30
    assert {p.language for p in REDTEAM} == {"python", "java", "cpp", "javascript"}
