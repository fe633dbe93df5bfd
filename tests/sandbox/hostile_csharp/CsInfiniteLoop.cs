// expect: cpu_limit
// limits: wall_s=20 cpu_s=2
// what: spins forever; RLIMIT_CPU ends it
class CsInfiniteLoop {
    static void Main() { long i = 0; while (true) { i++; } }
}
