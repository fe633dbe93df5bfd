// expect: file_size
// what: one ever-growing file; RLIMIT_FSIZE raises SIGXFSZ
#include <cstdio>
int main() {
    static char block[1 << 20];
    FILE* f = std::fopen("big.bin", "wb");
    while (true) { std::fwrite(block, 1, sizeof block, f); std::fflush(f); }
}
