# expect: passed
# anomaly: yes (the host finds what it changed or left; its server is replaced)
# what: leaves a file in /tmp and makes /tmp mode 000, so a wipe by the slot uid cannot list it
import os

open("/tmp/left-by-hostile.txt", "w").write("LEFTOVER")
try:
    os.chmod("/tmp", 0)
except OSError as exc:
    print("denied chmod", exc)
