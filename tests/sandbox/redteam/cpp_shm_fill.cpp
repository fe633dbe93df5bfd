// expect: file_size
// limits: scratch_mb=16
// what: fills /dev/shm beyond the scratch limit; must stop with ENOSPC (file_size)
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>
int main() {
    std::vector<char> block(4 << 20, 1);
    for (int i = 0; i < 42; ++i) {
        char name[64];
        std::snprintf(name, sizeof name, "/dev/shm/fill-%d", i);
        FILE* f = std::fopen(name, "wb");
        if (!f || std::fwrite(block.data(), 1, block.size(), f) != block.size() || std::fclose(f) != 0) {
            std::fprintf(stderr, "write failed: %s\n", std::strerror(errno));
            return 1;
        }
    }
    std::puts("LEAK: wrote 168 MiB into /dev/shm");
    return 0;
}
