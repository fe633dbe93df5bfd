# expect: passed
# what: every address family besides AF_UNIX, AF_INET and AF_INET6 (AF_ALG crypto API, AF_PACKET, AF_KEY, AF_XDP, ...) must be refused
import socket

allowed = {socket.AF_UNIX, socket.AF_INET, socket.AF_INET6}
for family in range(0, 64):
    if family in allowed:
        continue
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM, socket.SOCK_RAW, socket.SOCK_SEQPACKET):
        try:
            socket.socket(family, kind, 0).close()
            print("LEAK: family", family, "type", kind)
        except OSError:
            pass
print("done")
