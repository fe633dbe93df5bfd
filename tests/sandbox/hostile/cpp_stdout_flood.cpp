// expect: output_limit
// what: floods stdout
#include <cstdio>
int main() {
    while (true) { std::fputs("CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC\n", stdout); }
}
