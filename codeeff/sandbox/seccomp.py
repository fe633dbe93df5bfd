"""Optional seccomp filter (via ``pyseccomp`` over the system libseccomp): deny kernel surfaces tests never need.

Denied with EPERM: io_uring, bpf, perf_event_open, userfaultfd, keyrings, ptrace and process_vm_*, mount / namespace
/ root changes, kernel modules, kexec, reboot, swap, clock changes. With ``network=False`` (the process fallback, which
has no network namespace) every socket family except AF_UNIX is denied too; under bwrap the empty network namespace
already isolates, and also hides abstract Unix sockets (those are per network namespace).
"""

from __future__ import annotations

import errno
import os
import socket
from typing import Any

DENIED_SYSCALLS = (
    "io_uring_setup", "io_uring_enter", "io_uring_register", "bpf", "perf_event_open", "userfaultfd",
    "keyctl", "add_key", "request_key", "ptrace", "process_vm_readv", "process_vm_writev",
    "mount", "umount2", "pivot_root", "chroot", "unshare", "setns", "open_tree", "move_mount", "fsopen",
    "fsmount", "fsconfig", "fspick", "mount_setattr", "init_module", "finit_module", "delete_module",
    "kexec_load", "kexec_file_load", "reboot", "swapon", "swapoff", "settimeofday", "clock_settime",
    "clock_adjtime", "adjtimex", "acct", "quotactl", "lookup_dcookie", "name_to_handle_at", "open_by_handle_at",
)  # fmt: skip


def _pyseccomp() -> Any | None:
    try:
        import pyseccomp
    except (ImportError, OSError):
        return None
    return pyseccomp


def seccomp_unavailable_reason() -> str | None:
    """None when a filter can be built here, else why not."""
    lib = _pyseccomp()
    if lib is None:
        return "pyseccomp is not installed (pip install pyseccomp; needs the system libseccomp2)"
    try:
        build_filter(network=True)
    except Exception as exc:  # libseccomp missing or too old
        return f"libseccomp failed: {exc}"
    return None


def build_filter(*, network: bool) -> Any:
    """A libseccomp filter object (allow by default, deny the list above)."""
    lib = _pyseccomp()
    if lib is None:
        raise RuntimeError("pyseccomp is not installed")
    flt = lib.SyscallFilter(lib.ALLOW)
    for name in DENIED_SYSCALLS:
        try:
            flt.add_rule(lib.ERRNO(errno.EPERM), name)
        except (OSError, ValueError, RuntimeError):
            pass  # syscall unknown on this architecture
    if not network:
        flt.add_rule(lib.ERRNO(errno.EACCES), "socket", lib.Arg(0, lib.NE, socket.AF_UNIX))
    return flt


def bpf_memfd(*, network: bool) -> int:
    """The compiled BPF program in a memfd, positioned at 0, for ``bwrap --seccomp FD`` (caller closes it)."""
    fd = os.memfd_create("codeeff-seccomp", 0)
    with os.fdopen(os.dup(fd), "wb", closefd=True) as fh:
        build_filter(network=network).export_bpf(fh)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd
