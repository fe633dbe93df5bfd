// expect: passed
// what: SysV shared memory, message queue and semaphores (key 0x5eed), left for the next job
#include <cstdio>
#include <cstring>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
int main() {
    int shm = shmget(0x5eed, 4096, IPC_CREAT | 0666);
    if (shm >= 0) {
        void* p = shmat(shm, nullptr, 0);
        if (p != (void*)-1) std::memcpy(p, "LEFTOVER", 8);
        std::puts("segment left");
    } else std::perror("denied shmget");
    int q = msgget(0x5eed, IPC_CREAT | 0666);
    if (q >= 0) {
        struct { long type; char text[8]; } m{1, {'L', 'E', 'F', 'T', 'O', 'V', 'E', 'R'}};
        msgsnd(q, &m, sizeof m.text, 0);
        std::puts("queue left");
    } else std::perror("denied msgget");
    int s = semget(0x5eed, 4, IPC_CREAT | 0666);
    if (s >= 0) std::puts("semaphores left"); else std::perror("denied semget");
    return 0;
}
