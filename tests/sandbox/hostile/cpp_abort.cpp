// expect: killed:SIGABRT
// what: a failed assertion aborts
#include <cassert>
int main(int argc, char**) {
    assert(argc > 100);
    return 0;
}
