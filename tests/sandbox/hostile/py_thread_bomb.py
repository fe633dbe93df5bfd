# expect: runtime_error
# limits: wall_s=10 cpu_s=2
# what: thread bomb; thread creation fails at the pids/NPROC limit
import threading
import time

while True:
    threading.Thread(target=time.sleep, args=(60,), daemon=True).start()
