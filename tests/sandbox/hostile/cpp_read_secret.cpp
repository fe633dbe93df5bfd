// expect: passed
// what: reads the host secret (argv[5]) and /etc/shadow, and prints its environment
#include <cstdio>
extern char** environ;
int main(int argc, char** argv) {
    const char* paths[] = {argv[5], "/etc/shadow", "/work/main/pyproject.toml"};
    for (const char* p : paths) {
        FILE* f = std::fopen(p, "r");
        if (!f) { std::printf("blocked %s\n", p); continue; }
        char buf[200] = {0};
        std::fread(buf, 1, sizeof buf - 1, f);
        std::printf("LEAK: %s %s\n", p, buf);
    }
    for (char** e = environ; *e; ++e) std::printf("env %s\n", *e);
    return 0;
}
