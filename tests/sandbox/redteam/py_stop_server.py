# expect: passed
# limits: wall_s=3
# what: SIGSTOPs the warm server (same uid): the host must not hang or trust a stopped server
import os
import signal

os.kill(os.getppid(), signal.SIGSTOP)
print("stopped the server")
