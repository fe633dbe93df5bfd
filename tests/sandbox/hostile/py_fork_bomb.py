# expect: runtime_error
# limits: wall_s=10 cpu_s=2
# what: fork bomb; pids cgroup and RLIMIT_NPROC bound it, the main process dies when fork fails
import os

while True:
    os.fork()
