# expect: passed
# what: SIGKILLs its parent, its process group and pid 1
import os
import signal

for target in (os.getppid(), 1):
    try:
        os.kill(target, signal.SIGKILL)
        print(f"sent SIGKILL to {target}")
    except OSError as exc:
        print(f"blocked kill {target}: {type(exc).__name__}")
