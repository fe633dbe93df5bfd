// expect: runtime_error
// limits: wall_s=10 cpu_s=2
// what: fork bomb; the main process exits 1 once fork() is refused
#include <unistd.h>
int main() {
    while (true) {
        if (fork() < 0) return 1;
    }
}
