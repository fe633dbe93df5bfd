# expect: passed
# anomaly: yes (the host finds what it changed or left; its server is replaced)
# what: leaves a file in /dev/shm and makes /dev/shm mode 000
import os

open("/dev/shm/left-by-hostile.txt", "w").write("LEFTOVER")
try:
    os.chmod("/dev/shm", 0)
except OSError as exc:
    print("denied chmod", exc)
