# expect: passed
# anomaly: yes (the host finds what it changed or left; its server is replaced)
# what: renices the warm server, pins it to one CPU and makes it SCHED_IDLE; later jobs must start with normal scheduling
import os

parent = os.getppid()
for name, action in (
    ("nice", lambda: os.setpriority(os.PRIO_PROCESS, parent, 19)),
    ("affinity", lambda: os.sched_setaffinity(parent, {0})),
    ("idle", lambda: os.sched_setscheduler(parent, os.SCHED_IDLE, os.sched_param(0))),
):
    try:
        action()
        print("changed", name)
    except OSError as exc:
        print("denied", name, exc)
