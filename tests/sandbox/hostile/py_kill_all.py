# expect: killed:SIGKILL
# what: a child calls kill(-1, SIGKILL): it reaches only the sandbox's own processes (the program itself included)
import os
import signal

if os.fork() == 0:
    os.kill(-1, signal.SIGKILL)
    os._exit(0)
os.wait()
print("survived kill(-1)")
