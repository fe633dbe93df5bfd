// expect: passed
// what: AF_VSOCK (not network-namespaced), AF_NETLINK, AF_PACKET and AF_ALG sockets must be refused
#include <cstdio>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <unistd.h>
#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif
#ifndef AF_ALG
#define AF_ALG 38
#endif
int main() {
    struct { int family, type, protocol; const char* name; } tries[] = {
        {AF_VSOCK, SOCK_STREAM, 0, "vsock"}, {AF_NETLINK, SOCK_RAW, NETLINK_ROUTE, "netlink route"},
        {AF_NETLINK, SOCK_DGRAM, NETLINK_KOBJECT_UEVENT, "netlink uevent"}, {AF_PACKET, SOCK_RAW, 0, "packet"},
        {AF_ALG, SOCK_SEQPACKET, 0, "alg"}};
    for (auto& t : tries) {
        int s = socket(t.family, t.type, t.protocol);
        if (s >= 0) { std::printf("LEAK: %s socket\n", t.name); close(s); }
        else std::printf("denied %s\n", t.name);
    }
    return 0;
}
