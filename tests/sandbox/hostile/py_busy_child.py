# expect: timeout
# limits: wall_s=3 cpu_s=1
# what: a child spins (its own CPU limit kills it), a second child ignores SIGXCPU, the parent sleeps; no orphan may survive
import os
import signal
import time

for _ in range(2):
    if os.fork() == 0:
        signal.signal(signal.SIGXCPU, signal.SIG_IGN)
        while True:
            pass
time.sleep(3600)
