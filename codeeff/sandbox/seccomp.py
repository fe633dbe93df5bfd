"""Optional seccomp filter (via ``pyseccomp`` over the system libseccomp): deny kernel surfaces tests never need.

Denied with EPERM: io_uring, bpf, perf_event_open, userfaultfd, keyrings, ptrace, process_vm_*, pidfd_getfd, kcmp,
mount / namespace / root changes, kernel modules, kexec, reboot, swap, clock changes, and creating SysV IPC objects or
POSIX message queues (they outlive the process that made them; no runtime needs them to start: Python's multiprocessing locks and
shared memory are files in /dev/shm).

Sockets: only AF_UNIX, AF_INET and AF_INET6 (what python3, java, node, g++ programs and mono use; under bwrap the
network namespace is empty, which also hides abstract Unix sockets); every other family (AF_VSOCK, which is not
network-namespaced, AF_NETLINK, AF_PACKET, AF_ALG, ...) fails with EAFNOSUPPORT, the error libraries already treat as
"not available here" (glibc's getaddrinfo falls back when netlink is refused). With ``network=False`` (the process
fallback, which has no network namespace) only AF_UNIX is allowed.
"""

from __future__ import annotations

import errno
import functools
import socket
from typing import Any

DENIED_SYSCALLS = (
    "io_uring_setup", "io_uring_enter", "io_uring_register", "bpf", "perf_event_open", "userfaultfd",
    "keyctl", "add_key", "request_key", "ptrace", "process_vm_readv", "process_vm_writev",
    "mount", "umount2", "pivot_root", "chroot", "unshare", "setns", "open_tree", "move_mount", "fsopen",
    "fsmount", "fsconfig", "fspick", "mount_setattr", "init_module", "finit_module", "delete_module",
    "kexec_load", "kexec_file_load", "reboot", "swapon", "swapoff", "settimeofday", "clock_settime",
    "clock_adjtime", "adjtimex", "acct", "quotactl", "lookup_dcookie", "name_to_handle_at", "open_by_handle_at",
    "shmget", "msgget", "semget", "mq_open", "pidfd_getfd", "process_madvise", "kcmp",
)  # fmt: skip
SOCKET_FAMILIES_WITH_NETWORK = (socket.AF_UNIX, socket.AF_INET, socket.AF_INET6)
MAX_FAMILY = 64  # AF_MAX is 46 on Linux 6.x; every value from here up is refused by one rule


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
    allowed = SOCKET_FAMILIES_WITH_NETWORK if network else (socket.AF_UNIX,)
    for call in ("socket", "socketpair"):
        for family in range(MAX_FAMILY):
            if family not in allowed:
                flt.add_rule(lib.ERRNO(errno.EAFNOSUPPORT), call, lib.Arg(0, lib.EQ, family))
        flt.add_rule(lib.ERRNO(errno.EAFNOSUPPORT), call, lib.Arg(0, lib.GE, MAX_FAMILY))
    return flt


@functools.cache
def docker_profile() -> str:
    """The same rules as a Docker seccomp profile (JSON for ``security_opt=["seccomp=..."]``): allow by default,
    deny the syscalls above with EPERM and every socket family but AF_UNIX/INET/INET6 with EAFNOSUPPORT (Docker's
    own default profile allows AF_VSOCK, which reaches the host whatever the network mode)."""
    import json

    rules: list[dict[str, Any]] = [
        {"names": list(DENIED_SYSCALLS), "action": "SCMP_ACT_ERRNO", "errnoRet": errno.EPERM}
    ]
    for call in ("socket", "socketpair"):
        for family in range(MAX_FAMILY):
            if family not in SOCKET_FAMILIES_WITH_NETWORK:
                rules.append({"names": [call], "action": "SCMP_ACT_ERRNO", "errnoRet": errno.EAFNOSUPPORT,
                              "args": [{"index": 0, "value": family, "op": "SCMP_CMP_EQ"}]})  # fmt: skip
        rules.append({"names": [call], "action": "SCMP_ACT_ERRNO", "errnoRet": errno.EAFNOSUPPORT,
                      "args": [{"index": 0, "value": MAX_FAMILY, "op": "SCMP_CMP_GE"}]})  # fmt: skip
    return json.dumps({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": rules})
