# expect: passed
# what: AF_NETLINK sockets (route, audit, uevent...): must be refused
import socket

for protocol in (0, 9, 15):  # NETLINK_ROUTE, NETLINK_AUDIT, NETLINK_KOBJECT_UEVENT
    try:
        socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, protocol)
        print("LEAK: netlink socket", protocol)
    except OSError as exc:
        print("denied", protocol, exc)
