// expect: passed
// what: symlinks from the scratch dir to the host canary (argv[1]) and writes through them
#include <cstdio>
#include <string>
#include <unistd.h>
int main(int argc, char** argv) {
    std::string target = std::string(argv[1]) + "/canary.txt";
    symlink(target.c_str(), "link");
    FILE* f = std::fopen("link", "w");
    if (f) { std::fputs("PWNED", f); std::fclose(f); std::puts("wrote through link (must be a sandbox-local file)"); }
    else std::puts("blocked link");
    return 0;
}
