# expect: passed
# anomaly: yes (the host finds what it changed or left; its server is replaced)
# what: lowers the warm server's NOFILE, FSIZE and AS limits with prlimit64(getppid()); later jobs must not inherit them
import os
import resource

parent = os.getppid()
for limit, value in ((resource.RLIMIT_NOFILE, 8), (resource.RLIMIT_FSIZE, 1), (resource.RLIMIT_AS, 1 << 26)):
    try:
        resource.prlimit(parent, limit, (value, value))
        print("lowered", limit, "of", parent)
    except OSError as exc:
        print("denied", limit, exc)
