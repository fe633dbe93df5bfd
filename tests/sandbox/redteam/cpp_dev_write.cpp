// expect: passed
// what: leaves a file under /dev and one in /tmp and /dev/shm (each sandbox must start without them)
#include <cstdio>
int main() {
    const char* paths[] = {"/dev/left-by-hostile", "/tmp/left-by-hostile.txt", "/dev/shm/left-by-hostile.txt"};
    for (const char* path : paths) {
        FILE* f = std::fopen(path, "w");
        if (f) { std::fputs("LEFTOVER", f); std::fclose(f); std::printf("wrote %s\n", path); }
        else std::perror(path);
    }
    return 0;
}
