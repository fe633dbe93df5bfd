# expect: passed
# what: sends UDP datagrams to the test's listener on host loopback (argv[3])
import socket
import sys

try:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for _ in range(5):
            sock.sendto(b"PWNED", ("127.0.0.1", int(sys.argv[3])))
    print("sent (must not arrive)")
except OSError as exc:
    print(f"blocked udp: {type(exc).__name__}")
