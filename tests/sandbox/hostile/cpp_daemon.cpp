// expect: passed
// what: classic daemonize (fork, setsid, fork) and a sleeping daemon that tries to outlive the job
#include <cstdio>
#include <sys/wait.h>
#include <unistd.h>
int main() {
    if (fork() == 0) {
        setsid();
        if (fork() == 0) { sleep(120); _exit(0); }
        _exit(0);
    }
    wait(nullptr);
    std::puts("daemon started");
    return 0;
}
