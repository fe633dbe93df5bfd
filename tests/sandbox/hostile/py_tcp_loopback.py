# expect: passed
# what: connects to the test's TCP listener on host loopback (argv[2]) and to well-known ports
import socket
import sys

for port in (int(sys.argv[2]), 22, 80):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as conn:
            conn.sendall(b"PWNED")
            print(f"LEAK: connected to {port}")
    except OSError as exc:
        print(f"blocked tcp {port}: {type(exc).__name__}")
