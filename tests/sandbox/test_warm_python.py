"""The warm Python runner: same outcomes as a one-shot sandbox, nothing carried from one job to the next, and a job
that breaks the server is re-run the one-shot way (never given a result the server could not vouch for)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from codeeff.sandbox import Job, Limits, Status, run_jobs
from codeeff.sandbox.pool import shutdown_pools
from codeeff.sandbox.warm_python import ENV_SWITCH

# Programs whose observable behaviour depends on how the interpreter starts, runs ``__main__`` and shuts down.
FIDELITY_PROGRAMS: dict[str, Job] = {
    "exit_3": Job.single("python", "import sys\nprint('out')\nsys.exit(3)"),
    "exit_message": Job.single("python", "raise SystemExit('bye')"),
    "exit_none": Job.single("python", "import sys\nsys.exit()"),
    "exception": Job.single("python", "def f():\n    raise ValueError('boom')\nf()"),
    "syntax_error": Job.single("python", "def f(:\n    pass\n"),
    "keyboard_interrupt": Job.single("python", "raise KeyboardInterrupt"),
    "main_and_argv": Job.single(
        "python", "import sys\nprint(__name__, __file__, sys.argv, sys.path[0])", args=["a", "b"]
    ),
    "stdin": Job.single("python", "import sys\nprint(sys.stdin.read()[::-1])", stdin="stressed"),
    "sibling_module": Job(
        "python",
        {"main.py": "import helper\nprint(helper.twice(21))", "helper.py": "def twice(x):\n    return 2 * x\n"},
        "main.py",
    ),  # fmt: skip
    "atexit_and_thread": Job.single(
        "python",
        "import atexit, threading, time\natexit.register(lambda: print('atexit'))\n"
        "threading.Thread(target=lambda: (time.sleep(0.2), print('thread'))).start()\nprint('main')",
    ),
    "deep_recursion": Job.single(
        "python",
        "import sys\nsys.setrecursionlimit(100000)\ndef d(n):\n    return 0 if n == 0 else 1 + d(n - 1)\nprint(d(20000))",
    ),
    "scratch_files": Job.single("python", "open('x.txt', 'w').write('kept')\nprint(open('x.txt').read())"),
    "unbuffered_order": Job.single("python", "import sys\nprint('a')\nsys.stderr.write('b\\n')\nprint('c')"),
    "memory_error": Job.single("python", "x = bytearray(1 << 30)", limits=Limits(memory_mb=256)),
    # wall 30 s: on a loaded 2-core machine 1 s of CPU can take more than 5 s of wall time
    "cpu_limit": Job.single("python", "while True:\n    pass", limits=Limits(cpu_s=1, wall_s=30)),
    "timeout": Job.single("python", "import time\ntime.sleep(30)", limits=Limits(wall_s=1)),
    "output_limit": Job.single("python", "while True:\n    print('x' * 1000)", limits=Limits(output_bytes=10000)),
}


def _run(jobs: list[Job], monkeypatch: pytest.MonkeyPatch, warm: bool):
    monkeypatch.setenv(ENV_SWITCH, "1" if warm else "0")
    shutdown_pools()  # workers read the switch when they start
    try:
        return run_jobs(jobs, cache=False, progress=False, workers=1)
    finally:
        shutdown_pools()


@pytest.mark.slow
def test_warm_runs_match_one_shot_runs(monkeypatch):
    names = list(FIDELITY_PROGRAMS)
    jobs = [FIDELITY_PROGRAMS[n] for n in names]
    warm = _run(jobs, monkeypatch, warm=True)
    cold = _run(jobs, monkeypatch, warm=False)
    for name, w, c in zip(names, warm, cold, strict=True):
        assert w.isolation["runner"] == "warm", name
        assert c.isolation["runner"] == "one-shot", name
        assert (w.status_label, w.exit_code, w.signal) == (c.status_label, c.exit_code, c.signal), (name, w, c)
        if name not in ("output_limit",):  # a flood is cut at a chunk boundary that depends on pipe timing
            assert (w.stdout, w.stderr) == (c.stdout, c.stderr), name
    by_name = dict(zip(names, warm, strict=True))
    assert by_name["main_and_argv"].stdout == "__main__ /sandbox/main.py ['/sandbox/main.py', 'a', 'b'] /sandbox\n"
    assert by_name["atexit_and_thread"].stdout == "main\nthread\natexit\n"
    assert by_name["memory_error"].status is Status.MEMORY
    assert by_name["cpu_limit"].status is Status.CPU_LIMIT
    assert by_name["timeout"].status is Status.TIMEOUT
    assert by_name["output_limit"].status is Status.OUTPUT_LIMIT


LEAVE_TRACES = """
import os, subprocess, sys
open('/tmp/left.txt', 'w').write('secret of job 1')
open('/sandbox/left.txt', 'w').write('secret of job 1')
os.makedirs('/tmp/locked/inner')
os.chmod('/tmp/locked', 0)
try:
    open('/dev/shm/left.txt', 'w').write('secret of job 1')
except OSError:
    pass
if os.fork() == 0:  # a daemon that tries to outlive its job
    os.setsid()
    if os.fork() == 0:
        import time
        time.sleep(60)
    os._exit(0)
server = os.getppid()  # the warm server forked this job
assert open(f'/proc/{server}/cmdline', 'rb').read().startswith(b'/usr/bin/python3'), 'not the server'
for what in ('mem', 'environ'):
    try:
        open(f'/proc/{server}/{what}', 'rb').read(1)
        print(f'LEAK: read the server /proc {what}')
    except OSError:
        pass
print('done')
"""

FIND_TRACES = """
import os
for path in ('/tmp/left.txt', '/sandbox/left.txt', '/dev/shm/left.txt', '/tmp/locked'):
    if os.path.exists(path):
        print('LEAK', path)
others = [p for p in os.listdir('/proc') if p.isdigit() and int(p) not in (1, os.getpid())]
print('other processes', len(others))  # only the server: job 1's daemon died with its job
print('clean')
"""


def test_nothing_carries_over_between_jobs_in_one_server(monkeypatch):
    first, second = _run([Job.single("python", LEAVE_TRACES), Job.single("python", FIND_TRACES)], monkeypatch, True)
    assert first.status is Status.PASSED and "LEAK" not in first.stdout, first
    assert second.status is Status.PASSED, second
    assert "LEAK" not in second.stdout and "clean" in second.stdout, second.stdout
    assert "other processes 1\n" in second.stdout, second.stdout
    assert {first.isolation["runner"], second.isolation["runner"]} == {"warm"}


def test_a_job_that_kills_the_server_is_rerun_one_shot_and_the_next_job_is_warm_again(monkeypatch):
    killer = Job.single("python", "import os, signal\nos.kill(-1, signal.SIGKILL)\nprint('after kill(-1)')")
    after = Job.single("python", "print('next')")
    killed, nxt = _run([killer, after], monkeypatch, True)
    # kill(-1) reached the server (same uid, same pid namespace): the outcome came from a one-shot re-run, where
    # kill(-1) has no one to reach.
    assert killed.isolation["runner"] == "one-shot"
    assert killed.status is Status.RUNTIME_ERROR and "ProcessLookupError" in killed.stderr, killed
    assert nxt.status is Status.PASSED and nxt.stdout == "next\n" and nxt.isolation["runner"] == "warm"


LEAVE_IPC = """
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
shm = libc.shmget(0x5EED, 4096, 0o1666)
mq = libc.mq_open(b"/codeeff-host-check", os.O_CREAT | os.O_RDWR, 0o600, None)
print(shm >= 0, mq >= 0)
"""
HOST_CHECK = f"""
import json
from codeeff.sandbox.backends import probe_bwrap
from codeeff.sandbox.bwrap import BwrapBackend
from codeeff.sandbox.model import Job

# Without the seccomp filter (a machine without libseccomp) a job can create IPC objects; the host check must see them.
backend = BwrapBackend(dict(probe_bwrap().isolation, seccomp=False))
try:
    results = [backend.execute(Job.single("python", source)) for source in ("print(1)", {LEAVE_IPC!r}, "print(3)")]
    print(json.dumps([[r.stdout, r.isolation["runner"], r.anomaly] for r in results]))
finally:
    backend.close()
"""


def test_host_check_finds_ipc_objects_in_the_server_namespace_and_replaces_the_server():
    done = subprocess.run([sys.executable, "-c", HOST_CHECK], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    first, second, third = json.loads(done.stdout.strip().splitlines()[-1])
    assert first == ["1\n", "warm", None]
    assert second[:2] == ["True True\n", "warm"] and "SysV shm" in second[2] and "POSIX mqueue" in second[2], second
    assert third == ["3\n", "warm", None]  # a fresh server in a fresh IPC namespace
