# expect: passed
# anomaly: yes (the host finds what it changed or left; its server is replaced)
# what: leaves a FIFO, a bound Unix socket file and a setgid-looking file in /tmp and /sandbox
import os
import socket

for base in ("/tmp", "/sandbox"):
    os.mkfifo(f"{base}/fifo")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(f"{base}/sock")
    open(f"{base}/x", "w").write("LEFTOVER")
    os.chmod(f"{base}/x", 0o6777)
print("left")
