// expect: passed
// what: a POSIX message queue /codeeff-redteam with a message, left for the next job
#include <cstdio>
#include <fcntl.h>
#include <mqueue.h>
int main() {
    mqd_t q = mq_open("/codeeff-redteam", O_CREAT | O_RDWR, 0666, nullptr);
    if (q == (mqd_t)-1) { std::perror("denied mq_open"); return 0; }
    mq_send(q, "LEFTOVER", 8, 0);
    std::puts("queue left");
    return 0;
}
