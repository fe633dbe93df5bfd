# expect: passed
# what: dumps its environment (the harness's secrets must not be there) and /proc/1/environ
import os

print("ENV", dict(os.environ))
try:
    with open("/proc/1/environ", "rb") as fh:
        print("PID1 ENV", fh.read().replace(b"\0", b" ").decode(errors="replace"))
except OSError as exc:
    print("blocked /proc/1/environ:", type(exc).__name__)
