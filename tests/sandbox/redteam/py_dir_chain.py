# expect: passed
# anomaly: yes (the host finds what it changed or left; its server is replaced)
# what: 400-level directory chains (r-- without x) holding files in /tmp, /sandbox and /dev/shm: a wipe cannot descend
import os

for base in ("/tmp", "/sandbox", "/dev/shm"):
    path = os.path.join(base, "chain")
    os.makedirs(os.path.join(path, *["d"] * 20))
    open(os.path.join(path, *["d"] * 20, "left.txt"), "w").write("LEFTOVER")
    for depth in range(20, -1, -1):
        os.chmod(os.path.join(path, *["d"] * depth), 0o400)
print("chains left")
