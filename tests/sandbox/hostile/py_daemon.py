# expect: passed
# what: setsid + double fork daemon that tries to outlive the job (no orphan may remain)
import os
import time

if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        time.sleep(120)
        os._exit(0)
    os._exit(0)
os.wait()
print("daemon started")
