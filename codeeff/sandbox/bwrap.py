"""The default Linux backend: bubblewrap run as the slot's unprivileged uid, inside the slot's cgroup.

Every namespace is unshared (network: only an isolated ``lo``, which also hides the host's abstract Unix sockets;
pid: nothing outlives the program, ``kill(-1)`` reaches only the sandbox), the environment is cleared, and the
filesystem is built from nothing: read-only ``/usr`` plus the few ``/etc`` entries runtimes need, a size-limited
tmpfs ``/tmp`` and a size-limited tmpfs work dir ``/sandbox`` into which the job's files are copied from memfds.
``/``, ``/etc``, home directories and the checkout are never bound. bwrap's JSON status fd separates the program's
exit from a sandbox set-up failure (which is ``sandbox_error``, never the model's fault).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from codeeff.sandbox.languages import COMMON_ETC_BINDS
from codeeff.sandbox.launch import RawRun, make_memfd, signal_name
from codeeff.sandbox.local import LocalBackend, Step, StepOutcome
from codeeff.sandbox.model import Job
from codeeff.sandbox.seccomp import build_filter
from codeeff.sandbox.warm_python import WarmPython, warm_python_unavailable

BWRAP = shutil.which("bwrap") or "/usr/bin/bwrap"


def _seccomp_bytes() -> bytes | None:
    try:
        fd = os.memfd_create("seccomp-export", 0)
    except OSError:
        return None
    try:
        with os.fdopen(os.dup(fd), "wb") as fh:
            build_filter(network=True).export_bpf(fh)
        os.lseek(fd, 0, os.SEEK_SET)
        size = os.fstat(fd).st_size
        return os.read(fd, size)
    except Exception:
        return None
    finally:
        os.close(fd)


class BwrapBackend(LocalBackend):
    name = "bwrap"

    def __init__(self, isolation: dict[str, Any]):
        super().__init__(isolation)
        self._seccomp = _seccomp_bytes() if isolation.get("seccomp") else None
        run_cgroup = self.cgroups["run"]
        unavailable = warm_python_unavailable(is_root=self.is_root, has_run_cgroup=run_cgroup is not None)
        self._warm: WarmPython | None = WarmPython(self) if unavailable is None else None

    def _run_warm(self, job: Job, step: Step) -> StepOutcome | None:
        run_cgroup = self.cgroups["run"]
        if self._warm is None or run_cgroup is None:
            return None
        return self._warm.run(step, job.main, list(job.args), run_cgroup)

    def _warm_report(self) -> dict[str, Any]:
        if self._warm is None:
            return {}
        return {"slot_check_cpu_ms": round(self._warm.check_cpu_s * 1000, 3),
                "slot_check_wall_ms": round(self._warm.check_wall_s * 1000, 3)}  # fmt: skip

    def close(self) -> None:
        if self._warm is not None:
            self._warm.stop()
        super().close()

    def _wrap(
        self, step: Step, host_work: Path | None, extra_fds: list[int], status_extra: dict[str, Any] | None = None
    ) -> tuple[list[str], str | None]:
        argv = [
            BWRAP, "--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent", "--new-session",
            "--clearenv", "--hostname", "sandbox",
            "--ro-bind", "/usr", "/usr",
            "--symlink", "usr/bin", "/bin", "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
            "--symlink", "usr/sbin", "/sbin",
        ]  # fmt: skip
        for path in (*COMMON_ETC_BINDS, *step.etc_binds):
            argv += ["--ro-bind-try", path, path]
        argv += ["--proc", "/proc", "--dev", "/dev"]
        # Every writable place is a size-limited tmpfs (or a bind of one the host mounted: the warm server's).
        scratch = (step.limits.scratch_mb or 64) << 20
        writable_places = ("/tmp", "/dev/shm", "/sandbox") if step.work_dir == "/sandbox" else ("/tmp", "/dev/shm")
        bound = {inside for _host, inside, _writable in step.binds}
        for place in writable_places:
            if place not in bound:
                argv += ["--size", str(scratch), "--tmpfs", place]
        for host, inside, writable in step.binds:
            argv += ["--bind" if writable else "--ro-bind", host, inside]
        for name, data in step.files.items():
            fd = make_memfd(name, data)
            extra_fds.append(fd)
            argv += ["--file", str(fd), f"{step.work_dir}/{name}"]
        for key, value in step.env.items():
            argv += ["--setenv", key, value]
        if self._seccomp is not None:
            fd = make_memfd("seccomp", self._seccomp)
            extra_fds.append(fd)
            argv += ["--seccomp", str(fd)]
        if status_extra is not None:
            read_fd, write_fd = os.pipe2(os.O_CLOEXEC)
            status_extra["status_read_fd"] = read_fd
            extra_fds.append(write_fd)
            argv += ["--json-status-fd", str(write_fd)]
        # The root and /dev are bwrap's own unlimited tmpfs: read-only, so only the size-limited places take writes.
        argv += ["--remount-ro", "/dev", "--remount-ro", "/", "--chdir", step.work_dir, "--", *step.argv]
        return argv, "/"

    def _after_launch(self, status_extra: dict[str, Any]) -> None:
        read_fd = status_extra.pop("status_read_fd")
        chunks = []
        os.set_blocking(read_fd, False)
        try:
            while True:
                try:
                    chunk = os.read(read_fd, 65536)
                except BlockingIOError:
                    break
                if not chunk:
                    break
                chunks.append(chunk)
        finally:
            os.close(read_fd)
        status: dict[str, Any] = {}
        for line in b"".join(chunks).decode(errors="replace").splitlines():
            try:
                status.update(json.loads(line))
            except json.JSONDecodeError:
                continue
        status_extra["status"] = status

    def _exit_status(self, raw: RawRun, extra: dict[str, Any]) -> tuple[int | None, str | None, str | None]:
        if raw.start_error:
            return None, None, raw.start_error
        status = extra.get("status", {})
        if "child-pid" not in status:
            if raw.timed_out or raw.output_overflow:
                return None, "SIGKILL", None
            tail = raw.stderr.decode(errors="replace")[-500:]
            return None, None, f"bwrap exited {raw.returncode} before starting the program: {tail}"
        code = status.get("exit-code")
        if code is None:  # bwrap itself was killed (timeout, output cap, harness kill)
            return None, signal_name(-(raw.returncode or -9)) if (raw.returncode or 0) < 0 else "SIGKILL", None
        if 128 < code <= 128 + 64:  # bwrap reports a signal death as 128 + signal number
            return None, signal_name(code - 128), None
        return code, None, None
