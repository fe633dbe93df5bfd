"""Host-side mounts of the warm Python server's sandbox: root-owned, size-limited scratch tmpfs and an mqueue view.

The warm server's ``/sandbox``, ``/tmp`` and ``/dev/shm`` are tmpfs mounted here by the host (root), mode 1777 and
owned by root, then bound into the server's bwrap sandbox. So a job (the slot's uid) can create files there but
cannot chmod the directories, nor remove, rename or replace the files the host wrote for it (sticky bit), while the
host reads and writes them directly, without ever walking through the sandbox's own view. All mounts live in the
pool worker's private mount namespace (:func:`enter_private_mount_namespace`), so they vanish with the worker.
"""

from __future__ import annotations

import ctypes
import os
from pathlib import Path

_libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNS = 0x00020000
CLONE_NEWIPC = 0x08000000
MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REC, MS_PRIVATE = 2, 4, 8, 16384, 1 << 18
MNT_DETACH = 2
_private = False


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def enter_private_mount_namespace() -> None:
    """Give this (single-threaded, root) process its own mount namespace, with nothing propagating to the host."""
    global _private
    if _private:
        return
    _check(_libc.unshare(CLONE_NEWNS), "unshare(CLONE_NEWNS)")
    _check(_libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None), "mount --make-rprivate /")
    _private = True


def mount_tmpfs(path: Path, size_bytes: int) -> None:
    """A fresh root-owned, mode 1777, size-limited tmpfs at ``path`` (created if missing)."""
    path.mkdir(mode=0o711, exist_ok=True)
    options = f"size={size_bytes},mode=1777,uid=0,gid=0".encode()
    _check(_libc.mount(b"codeeff-scratch", str(path).encode(), b"tmpfs", MS_NOSUID | MS_NODEV, options),
           f"mount tmpfs on {path}")  # fmt: skip


def mount_mqueue_of(ipc_fd: int, own_ipc_fd: int, path: Path) -> None:
    """Mount the POSIX message queue filesystem of the IPC namespace ``ipc_fd`` at ``path`` (to list its queues)."""
    path.mkdir(mode=0o700, exist_ok=True)
    _check(_libc.setns(ipc_fd, CLONE_NEWIPC), "setns to the server's IPC namespace")
    try:
        _check(_libc.mount(b"mqueue", str(path).encode(), b"mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, None),
               f"mount mqueue on {path}")  # fmt: skip
    finally:
        _check(_libc.setns(own_ipc_fd, CLONE_NEWIPC), "setns back to the host's IPC namespace")


def sysv_objects_of(ipc_fd: int, own_ipc_fd: int) -> list[str]:
    """SysV shared memory segments, message queues and semaphore sets of the IPC namespace ``ipc_fd``."""
    found = []
    _check(_libc.setns(ipc_fd, CLONE_NEWIPC), "setns to the server's IPC namespace")
    try:
        for kind in ("shm", "msg", "sem"):
            with open(f"/proc/sysvipc/{kind}") as handle:
                found += [f"SysV {kind}: {' '.join(line.split()[:3])}" for line in handle.read().splitlines()[1:]]
    finally:
        _check(_libc.setns(own_ipc_fd, CLONE_NEWIPC), "setns back to the host's IPC namespace")
    return found


def unmount(path: Path) -> None:
    """Detach whatever is mounted at ``path`` (nothing if nothing is)."""
    _libc.umount2(str(path).encode(), MNT_DETACH)
