"""Start one sandboxed process and collect its output with a hard cap and a wall-clock limit.

The reader is non-blocking and event driven (pipes + a pidfd in one selector): it stops reading ~50 ms after the
main process exits, so an orphan that still holds the pipe cannot turn a finished run into a timeout (the pitfall of
``subprocess.run(capture_output=True, timeout=...)``). Output beyond the cap kills the run (``output_limit``).
This runs in single-threaded pool workers only: ``preexec_fn`` is not thread-safe.
"""

from __future__ import annotations

import ctypes
import os
import resource
import selectors
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

GRACE_AFTER_EXIT_S = 0.05
_PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True)


@dataclass
class RawRun:
    """What the launcher saw; the backend turns it into a :class:`~codeeff.sandbox.model.Result`."""

    returncode: int | None
    stdout: bytes
    stderr: bytes
    wall_s: float
    timed_out: bool = False
    output_overflow: bool = False
    start_error: str | None = None
    rusage_cpu_s: float | None = None


def make_memfd(name: str, data: bytes) -> int:
    """An anonymous in-memory file holding ``data``, positioned at 0 (for stdin and ``bwrap --file``)."""
    fd = os.memfd_create(name, 0)
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def make_preexec(
    *,
    cgroup_procs: Sequence[str] = (),
    rlimits: Sequence[tuple[int, int, int]] = (),
    uid: int | None = None,
    gid: int | None = None,
    new_session: bool = False,
    extra: Callable[[], None] | None = None,
) -> Callable[[], None]:
    """Child-side setup, in order: join the cgroup (as root), rlimits, drop to the slot uid, die with the worker.

    PR_SET_PDEATHSIG is set after the uid change because the kernel clears it on credential changes.
    """

    parent = os.getpid()

    def preexec() -> None:
        pid = str(os.getpid())
        for procs in cgroup_procs:
            with open(procs, "w") as fh:
                fh.write(pid)
        if new_session:
            os.setsid()
        for res, soft, hard in rlimits:
            resource.setrlimit(res, (soft, hard))
        if gid is not None:
            os.setgroups([])
            os.setresgid(gid, gid, gid)
        if uid is not None:
            os.setresuid(uid, uid, uid)
        _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the worker died before PDEATHSIG was armed: never start the sandbox
            os._exit(111)
        os.umask(0o022)  # compiled output must be readable by the slot's run uid
        if extra is not None:
            extra()

    return preexec


def run_collect(
    argv: Sequence[str],
    *,
    env: dict[str, str],
    wall_s: float,
    output_bytes: int,
    preexec_fn: Callable[[], None] | None,
    kill: Callable[[subprocess.Popen], None],
    stdin_fd: int | None = None,
    pass_fds: Sequence[int] = (),
    cwd: str | None = None,
) -> RawRun:
    """Run ``argv`` to completion, a timeout or the output cap; ``kill(proc)`` must stop it and all its descendants."""
    start = time.monotonic()
    try:
        proc = subprocess.Popen(
            list(argv),
            stdin=stdin_fd if stdin_fd is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            cwd=cwd,
            pass_fds=tuple(pass_fds),
            preexec_fn=preexec_fn,
            close_fds=True,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return RawRun(None, b"", b"", time.monotonic() - start, start_error=f"{type(exc).__name__}: {exc}")

    pidfd = os.pidfd_open(proc.pid)
    try:
        seen = collect_output(
            proc.stdout.fileno(), proc.stderr.fileno(), event_fd=pidfd, on_event=lambda: True,
            deadline=start + wall_s, output_bytes=output_bytes,
        )  # fmt: skip
        if seen.timed_out or seen.overflow or seen.exited_at is None:
            kill(proc)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    finally:
        os.close(pidfd)
        proc.stdout.close()
        proc.stderr.close()
    return RawRun(
        returncode=proc.returncode,
        stdout=seen.stdout,
        stderr=seen.stderr,
        wall_s=(seen.exited_at or time.monotonic()) - start,
        timed_out=seen.timed_out,
        output_overflow=seen.overflow,
        rusage_cpu_s=usage.ru_utime + usage.ru_stime,
    )


@dataclass
class Collected:
    """What :func:`collect_output` read; ``exited_at`` is when the end of the run was signalled (None: never)."""

    stdout: bytes
    stderr: bytes
    exited_at: float | None
    timed_out: bool
    overflow: bool


def collect_output(
    stdout_fd: int,
    stderr_fd: int,
    *,
    event_fd: int,
    on_event: Callable[[], bool],
    deadline: float,
    output_bytes: int,
) -> Collected:
    """Read both pipes until the run ends, the deadline passes or the output cap is exceeded.

    ``event_fd`` becoming readable calls ``on_event``; it returns True once the run is over (a pidfd: always; a
    control socket: when the exit report arrived). Reading then stops at end of output or ``GRACE_AFTER_EXIT_S``
    later, whichever is first, so an orphan holding a pipe cannot stretch a finished run. The caller kills on
    ``timed_out`` / ``overflow``.
    """
    buffers: dict[int, bytearray] = {stdout_fd: bytearray(), stderr_fd: bytearray()}
    selector = selectors.DefaultSelector()
    for fd in buffers:
        os.set_blocking(fd, False)
        selector.register(fd, selectors.EVENT_READ)
    selector.register(event_fd, selectors.EVENT_READ)
    exited_at: float | None = None
    timed_out = overflow = False
    open_pipes = set(buffers)
    try:
        while open_pipes or exited_at is None:
            now = time.monotonic()
            limit = deadline if exited_at is None else min(deadline, exited_at + GRACE_AFTER_EXIT_S)
            if now >= limit:
                timed_out = exited_at is None
                break
            for key, _ in selector.select(timeout=limit - now):
                fd = key.fd
                if fd == event_fd:
                    if on_event():
                        selector.unregister(event_fd)
                        exited_at = time.monotonic()
                    continue
                try:
                    chunk = os.read(fd, 65536)
                except BlockingIOError:
                    continue
                if not chunk:
                    selector.unregister(fd)
                    open_pipes.discard(fd)
                    continue
                buffers[fd] += chunk
                if len(buffers[fd]) > output_bytes:
                    overflow = True
            if overflow:
                break
    finally:
        selector.close()
    return Collected(bytes(buffers[stdout_fd][:output_bytes]), bytes(buffers[stderr_fd][:output_bytes]), exited_at,
                     timed_out, overflow)  # fmt: skip


def split_returncode(code: int) -> tuple[int | None, str | None]:
    """(exit code, signal name) of a ``subprocess``-style return code (negative: killed by that signal)."""
    return (None, signal_name(-code)) if code < 0 else (code, None)


def signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"SIG{number}"
