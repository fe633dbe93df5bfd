"""The Docker backend against a real daemon (``.ci/dockerd.sh start``; skipped only if no daemon can be started).

The same hostile programs as the bwrap corpus, a subset chosen to hit every Docker-specific mechanism: the capped
attach stream, OOMKilled, pids_limit, network_mode=none, the read-only root and the compile container.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from sandbox_support import ENV_SECRET, HOSTILE_DIR, load_corpus

from codeeff.sandbox import Job, Limits, Status, run_jobs
from codeeff.sandbox.docker_backend import CONTAINER_UID, probe

pytestmark = pytest.mark.slow  # end-to-end runs: `make test-fast` leaves them out

REPO = Path(__file__).resolve().parents[2]
DOCKER_CORPUS = {
    "py_fork_bomb.py", "py_memory_bomb.py", "py_stdout_flood.py", "py_sleep_forever.py", "py_read_secret.py",
    "py_env_secret.py", "py_tcp_loopback.py", "py_abstract_unix.py", "py_canary_write.py", "py_write_system.py",
    "py_kill_all.py", "py_wrong_answer.py", "JavaCompileError.java", "cpp_segfault.cpp", "js_exception.js",
}  # fmt: skip


@pytest.fixture(scope="module")
def docker_ready():
    info = probe()
    if not info.available:
        script = REPO / ".ci" / "dockerd.sh"
        done = subprocess.run([str(script), "start"], capture_output=True, text=True, timeout=180)
        info = probe()
        if not info.available:
            message = (
                f"Docker backend not testable: {info.reason}; dockerd.sh: {done.stdout[-300:]} {done.stderr[-500:]}"
            )
            print(message)
            pytest.skip(message)
    return info


def test_docker_runs_every_language_with_stdin(docker_ready):
    jobs = [
        Job.single("python", "import sys; print(sys.stdin.read().upper(), end='')", stdin="via docker\n"),
        Job.single("java", "public class Main { public static void main(String[] a) { System.out.println(6 * 7); } }"),
        Job.single("cpp", '#include <cstdio>\nint main() { std::puts("cpp"); return 3; }'),
        Job.single("javascript", "console.log(process.getuid())"),
    ]
    py, java, cpp, js = run_jobs(jobs, backend="docker", cache=False, progress=False)
    assert (py.status, py.stdout) == (Status.PASSED, "VIA DOCKER\n"), py.detail
    assert (java.status, java.stdout) == (Status.PASSED, "42\n"), java.stderr
    assert (cpp.status, cpp.stdout, cpp.exit_code) == (Status.FAILED, "cpp\n", 3)
    assert (js.status, js.stdout) == (Status.PASSED, f"{CONTAINER_UID}\n")  # never root, never a bwrap slot's uid
    assert py.backend == "docker" and py.isolation["net"] and py.isolation["uid"]


def test_docker_contains_hostile_programs(docker_ready, hostile_env):
    programs = [p for p in load_corpus() if p.path.name in DOCKER_CORPUS]
    assert len(programs) == len(DOCKER_CORPUS)
    jobs = [Job(p.language, {p.path.name: p.path.read_text()}, p.path.name, args=hostile_env.args,
                limits=Limits(**p.limits) if p.limits else None) for p in programs]  # fmt: skip
    results = run_jobs(jobs, backend="docker", cache=False, progress=False)
    for program, result in zip(programs, results, strict=True):
        report = f"{program.id}: {result.status_label} {result.detail}\n{result.stdout[-500:]}\n{result.stderr[-500:]}"
        assert result.status_label == program.expect, report
        output = result.stdout + result.stderr
        assert "LEAK" not in output and hostile_env.secret not in output and ENV_SECRET not in output, report
    assert hostile_env.intrusions() == []
    assert HOSTILE_DIR.is_dir()
    left = subprocess.run(["docker", "ps", "-aq", "--filter", "ancestor=codeeff-sandbox:latest"], capture_output=True,
                          text=True, env={"DOCKER_HOST": "unix:///run/codeeff-docker.sock", "PATH": "/usr/bin:/usr/local/bin:/bin"})  # fmt: skip
    assert left.stdout.strip() == "", "containers left behind"


def test_docker_dev_shm_and_sockets_follow_the_red_team_corpus(docker_ready):
    """/dev/shm is within the scratch limit like /tmp and /sandbox; AF_VSOCK and AF_NETLINK reach nothing."""
    names = ("py_shm_fill.py", "py_vsock.py", "cpp_shm_fill.cpp", "js_shm_fill.js")
    programs = [p for p in load_corpus(Path(__file__).with_name("redteam")) if p.path.name in names]
    jobs = [Job(p.language, {p.path.name: p.path.read_text()}, p.path.name,
                limits=Limits(**p.limits) if p.limits else None) for p in programs]  # fmt: skip
    for program, result in zip(programs, run_jobs(jobs, backend="docker", cache=False, progress=False), strict=True):
        report = f"{program.id}: {result.status_label} {result.detail}\n{result.stdout[-500:]}\n{result.stderr[-500:]}"
        assert result.status_label == program.expect and "LEAK" not in result.stdout, report
