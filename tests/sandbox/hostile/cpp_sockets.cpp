// expect: passed
// what: TCP to the host listener (argv[2]) and an abstract Unix socket (argv[4])
#include <arpa/inet.h>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
int main(int argc, char** argv) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(std::atoi(argv[2]));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (s >= 0 && connect(s, (sockaddr*)&a, sizeof a) == 0) { write(s, "PWNED", 5); std::puts("LEAK: tcp"); }
    else std::puts("blocked tcp");
    int u = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un un{};
    un.sun_family = AF_UNIX;
    std::strncpy(un.sun_path + 1, argv[4], sizeof un.sun_path - 2);
    socklen_t len = offsetof(sockaddr_un, sun_path) + 1 + std::strlen(argv[4]);
    if (u >= 0 && connect(u, (sockaddr*)&un, len) == 0) { write(u, "PWNED", 5); std::puts("LEAK: abstract"); }
    else std::puts("blocked abstract unix");
    return 0;
}
