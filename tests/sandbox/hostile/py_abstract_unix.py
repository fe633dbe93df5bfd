# expect: passed
# what: connects to the test's abstract Unix socket (argv[4]); abstract sockets live in the network namespace
import socket
import sys

try:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(2)
        sock.connect("\0" + sys.argv[4])
        sock.sendall(b"PWNED")
        print("LEAK: connected to the abstract socket")
except OSError as exc:
    print(f"blocked abstract unix: {type(exc).__name__}")
