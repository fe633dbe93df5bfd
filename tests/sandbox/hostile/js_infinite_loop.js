// expect: cpu_limit
// limits: wall_s=20 cpu_s=1
// what: spins forever
for (;;) {}
