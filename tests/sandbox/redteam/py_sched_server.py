# expect: passed
# anomaly: yes (the host finds what it changed or left; its server is replaced)
# what: renices the warm server, pins it to one CPU, makes it SCHED_IDLE and its I/O idle-class; later jobs must start with normal scheduling
import ctypes
import os

parent = os.getppid()
libc = ctypes.CDLL(None, use_errno=True)


def io_idle() -> None:
    # ioprio_set(IOPRIO_WHO_PROCESS, parent, IOPRIO_CLASS_IDLE << 13); syscall 251 on x86_64
    if libc.syscall(251, 1, parent, 3 << 13) != 0:
        raise OSError(ctypes.get_errno(), "ioprio_set")


for name, action in (
    ("nice", lambda: os.setpriority(os.PRIO_PROCESS, parent, 19)),
    ("affinity", lambda: os.sched_setaffinity(parent, {0})),
    ("idle", lambda: os.sched_setscheduler(parent, os.SCHED_IDLE, os.sched_param(0))),
    ("ioprio", io_idle),
):
    try:
        action()
        print("changed", name)
    except OSError as exc:
        print("denied", name, exc)
