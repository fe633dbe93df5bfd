"""The on-disk cache: crash safety (SIGKILL mid-batch, rerun: nothing lost, nothing finished runs twice) and keys."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from sandbox_support import processes_of

from codeeff.sandbox import Job, Limits, Status, run_jobs
from codeeff.sandbox.cache import ResultCache, job_key

N_JOBS = 24
BATCH_SCRIPT = """
import json, sys
from codeeff.sandbox import Job, run_jobs
from codeeff.sandbox.pool import active_run_uids
run_jobs([Job.single("python", "print('warm')")], cache=False, progress=False)
print(json.dumps(sorted(active_run_uids())), flush=True)
jobs = [Job.single("python", f"import time; time.sleep(0.3); print({i} * {i})") for i in range(N)]
run_jobs(jobs, cache=sys.argv[1], progress=False)
print("finished", flush=True)
""".replace("range(N)", f"range({N_JOBS})")


def _jobs() -> list[Job]:
    return [Job.single("python", f"import time; time.sleep(0.3); print({i} * {i})") for i in range(N_JOBS)]


@pytest.mark.slow
def test_sigkill_mid_batch_then_rerun_loses_nothing_and_reruns_nothing(tmp_path):
    cache_dir = tmp_path / "cache"
    proc = subprocess.Popen([sys.executable, "-c", BATCH_SCRIPT, str(cache_dir)], stdout=subprocess.PIPE, text=True)
    uids = set(json.loads(proc.stdout.readline()))
    workers = [int(p) for p in os.listdir("/proc") if p.isdigit() and _ppid(int(p)) == proc.pid]
    assert uids and workers
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if (cache_dir / "results.sqlite").exists() and ResultCache(cache_dir).count() >= 6:
            break
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    finished_before_kill = ResultCache(cache_dir).count()
    assert 6 <= finished_before_kill < N_JOBS
    deadline = time.monotonic() + 10  # workers die with their parent (PDEATHSIG), sandboxes with their workers
    while time.monotonic() < deadline and (
        any(_alive(p) for p in workers) or processes_of(uids, include_warm_servers=True)
    ):
        time.sleep(0.1)
    assert not any(_alive(p) for p in workers), "pool workers outlived their killed parent"
    assert processes_of(uids, include_warm_servers=True) == [], "sandboxed processes outlived the killed batch"

    rerun = run_jobs(_jobs(), cache=cache_dir, progress=False)
    assert sum(r.cached for r in rerun) >= finished_before_kill  # finished runs are not run again
    assert ResultCache(cache_dir).count() == N_JOBS
    fresh = run_jobs(_jobs(), cache=False, progress=False)
    assert [(r.status, r.stdout) for r in rerun] == [(r.status, r.stdout) for r in fresh]
    assert all(r.status is Status.PASSED for r in rerun)
    again = run_jobs(_jobs(), cache=cache_dir, progress=False)
    assert all(r.cached for r in again)


def test_key_depends_on_program_limits_and_backend_and_sandbox_errors_are_not_cached(tmp_path):
    job = Job.single("python", "print(1)")
    assert job_key(job, "bwrap") == job_key(Job.single("python", "print(1)"), "bwrap")
    assert job_key(job, "bwrap") != job_key(Job.single("python", "print(2)"), "bwrap")
    assert job_key(job, "bwrap") != job_key(Job.single("python", "print(1)", limits=Limits(wall_s=3)), "bwrap")
    assert job_key(job, "bwrap") != job_key(job, "docker")
    assert job_key(job, "bwrap", "warm") != job_key(job, "bwrap", "one-shot")
    assert job_key(job, "bwrap") != job_key(Job.single("python", "print(1)", harness_version="driver-2"), "bwrap")
    bad = Job.single("javascript", "console.log(1)", limits=Limits(processes=1))  # bwrap cannot start: harness fault
    [first] = run_jobs([bad], cache=tmp_path, progress=False)
    [second] = run_jobs([bad], cache=tmp_path, progress=False)
    assert first.status is Status.SANDBOX_ERROR and not second.cached
    assert "retried_after_sandbox_error" in first.isolation  # retried once in a fresh one-shot sandbox


def test_only_results_the_host_vouched_for_are_cached(tmp_path):
    """A warm run after which the slot check found an anomaly keeps its outcome but is never cached."""
    flagged = Job.single("python", "open('/tmp/left.txt', 'w').write('x')\nprint('wrote')")
    honest = Job.single("python", "print('ok')")
    first = run_jobs([flagged, honest], cache=tmp_path, progress=False, workers=1)
    assert first[0].status is Status.PASSED and first[0].stdout == "wrote\n"
    assert first[0].anomaly is not None and "left by the job" in first[0].anomaly, first[0]
    assert first[1].anomaly is None
    again = run_jobs([flagged, honest], cache=tmp_path, progress=False, workers=1)
    assert [r.cached for r in again] == [False, True]
    store = ResultCache(tmp_path)
    try:
        assert store.stats()["entries"] == 1
        assert store.clear() == 1 and store.count() == 0
    finally:
        store.close()


def _ppid(pid: int) -> int | None:
    try:
        return int(open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def _alive(pid: int) -> bool:
    try:
        state = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
