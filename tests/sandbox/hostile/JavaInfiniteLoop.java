// expect: cpu_limit
// limits: wall_s=20 cpu_s=2
// what: spins forever; RLIMIT_CPU ends it
public class JavaInfiniteLoop {
    public static void main(String[] args) {
        long x = 0;
        while (true) { x++; }
    }
}
