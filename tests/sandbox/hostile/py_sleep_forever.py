# expect: timeout
# limits: wall_s=2
# what: blocks without using CPU; only the wall-clock limit can stop it
import time

time.sleep(3600)
