// expect: killed:SIGKILL
// what: a child calls kill(-1, SIGKILL) and kills its parent: only the sandbox's own processes die (itself included)
#include <csignal>
#include <cstdio>
#include <sys/wait.h>
#include <unistd.h>
int main() {
    pid_t parent = getppid();
    if (fork() == 0) { kill(-1, SIGKILL); kill(parent, SIGKILL); _exit(0); }
    wait(nullptr);
    std::puts("survived");
    return 0;
}
