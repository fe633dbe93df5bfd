// expect: memory
// what: allocates and touches memory without bound (RLIMIT_AS -> bad_alloc, or the cgroup OOM killer)
#include <cstring>
#include <vector>
int main() {
    std::vector<char*> blocks;
    while (true) {
        char* p = new char[64 << 20];
        std::memset(p, 1, 64 << 20);
        blocks.push_back(p);
    }
}
