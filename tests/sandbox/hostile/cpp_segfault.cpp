// expect: killed:SIGSEGV
// what: writes through a null pointer
int main() {
    volatile int* p = nullptr;
    *p = 1;
    return 0;
}
