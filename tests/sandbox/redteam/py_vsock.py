# expect: passed
# what: AF_VSOCK is not network-namespaced: the socket must be refused
import socket

try:
    sock = socket.socket(socket.AF_VSOCK, socket.SOCK_STREAM)
    print("LEAK: AF_VSOCK socket created")
    try:
        sock.connect((socket.VMADDR_CID_HOST, 22))
        print("LEAK: AF_VSOCK connected to the host")
    except OSError as exc:
        print("connect failed", exc)
except OSError as exc:
    print("denied", exc)
