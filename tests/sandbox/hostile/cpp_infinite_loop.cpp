// expect: cpu_limit
// limits: wall_s=20 cpu_s=1
// what: spins forever (volatile so the compiler keeps the loop)
int main() {
    volatile unsigned long x = 0;
    while (true) { x = x + 1; }
}
