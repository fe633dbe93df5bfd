"""The host's check of a warm Python slot after every job: is everything a job can change exactly as it was?

A job runs as the server's uid in the server's namespaces, so it can change some of the server's state and leave
things in the sandbox. Before the next job may use the slot, the host (root, reading the kernel's view, never asking
the server) compares against the baseline taken when the server started:

* the server process: alive, not stopped, and its rlimits (``/proc/<pid>/limits``, changeable with ``prlimit64``),
  nice value, scheduling policy, CPU affinity and I/O priority unchanged; the server's cgroup holds the same processes;
* the scratch mounts: ``/sandbox`` holds only the files the host wrote (same inodes, removed here), ``/tmp`` and
  ``/dev/shm`` are empty, and all three are still root-owned mode 1777;
* IPC: no SysV shared memory, message queue or semaphore set and no POSIX message queue in the server's IPC
  namespace (the seccomp filter also refuses creating them).

Any difference is an anomaly: the caller replaces the server (fresh sandbox, fresh mounts) before the next job.
"""

from __future__ import annotations

import ctypes
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from codeeff.sandbox.scratch import sysv_objects_of

SCRATCH_MODE = stat.S_IFDIR | 0o1777
# ioprio_get(IOPRIO_WHO_PROCESS, pid): a same-uid job may change the server's I/O priority with ioprio_set.
_IOPRIO_GET = {"x86_64": 252, "aarch64": 31}.get(os.uname().machine)
_libc = ctypes.CDLL(None, use_errno=True)


def _io_priority(pid: int) -> int | None:
    return None if _IOPRIO_GET is None else int(_libc.syscall(_IOPRIO_GET, 1, pid))


def process_state(pid: int) -> dict[str, object]:
    """What a same-uid job could change about process ``pid``: stopped or not, rlimits, nice, scheduling policy,
    CPU affinity, I/O priority."""
    with open(f"/proc/{pid}/stat") as handle:
        # The command name (field 2) may contain spaces; fields after the closing parenthesis are fixed.
        fields = handle.read().rsplit(")", 1)[1].split()
    with open(f"/proc/{pid}/limits") as handle:
        limits = handle.read()
    return {
        "stopped_or_dead": fields[0] in "TtZXx",  # R/S/D flip between jobs; a stopped server never serves again
        "nice": fields[16],
        "policy": fields[38],
        "rt_priority": fields[37],
        "limits": limits,
        "affinity": sorted(os.sched_getaffinity(pid)),
        "io_priority": _io_priority(pid),
    }


@dataclass
class SlotBaseline:
    """The server's state right after it started, and the host paths of its scratch mounts."""

    server_pid: int
    process: dict[str, object]
    cgroup_members: list[int]
    sandbox_dir: Path
    empty_dirs: tuple[Path, ...]
    mqueue_dir: Path
    ipc_fd: int
    own_ipc_fd: int
    written: dict[str, int] = field(default_factory=dict)  # file name -> inode, of the current job


def write_job_files(baseline: SlotBaseline, files: dict[str, bytes]) -> None:
    """Create the job's files in the (verified empty) scratch ``/sandbox``: O_EXCL|O_NOFOLLOW, root-owned, 0644."""
    dir_fd = os.open(baseline.sandbox_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        for name, data in files.items():
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
            fd = os.open(name, flags, 0o644, dir_fd=dir_fd)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
                baseline.written[name] = os.fstat(fd).st_ino
            finally:
                os.close(fd)
    finally:
        os.close(dir_fd)


def _scratch_findings(baseline: SlotBaseline) -> list[str]:
    found = []
    for directory in (baseline.sandbox_dir, *baseline.empty_dirs):
        info = os.lstat(directory)
        if info.st_mode != SCRATCH_MODE or info.st_uid != 0:
            found.append(f"{directory.name}: mode {oct(info.st_mode)} uid {info.st_uid}")
    written, baseline.written = baseline.written, {}
    dir_fd = os.open(baseline.sandbox_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        with os.scandir(dir_fd) as entries:
            for entry in entries:
                ours = written.get(entry.name) == entry.inode() and entry.is_file(follow_symlinks=False)
                if ours:
                    os.unlink(entry.name, dir_fd=dir_fd)
                else:
                    found.append(f"/sandbox/{entry.name} left by the job")
    finally:
        os.close(dir_fd)
    for directory in baseline.empty_dirs:
        left = sorted(os.listdir(directory))
        if left:
            found.append(f"{directory.name}: {left[:5]} left by the job")
    return found


def check_slot(baseline: SlotBaseline, server_alive: bool, cgroup_members: list[int]) -> str | None:
    """None when the slot is exactly as the baseline says, else what differs (the server must then be replaced)."""
    if not server_alive:
        return "the warm server exited"
    try:
        now = process_state(baseline.server_pid)
    except OSError as exc:
        return f"the warm server is gone: {exc}"
    found = [f"server {key} changed" for key, value in baseline.process.items() if now[key] != value]
    if cgroup_members != baseline.cgroup_members:
        found.append(f"server cgroup holds {cgroup_members}, not {baseline.cgroup_members}")
    try:
        found += _scratch_findings(baseline)
        found += sysv_objects_of(baseline.ipc_fd, baseline.own_ipc_fd)
        found += [f"POSIX mqueue {name}" for name in os.listdir(baseline.mqueue_dir)]
    except OSError as exc:
        found.append(f"slot check failed: {exc}")
    return "; ".join(found) or None
