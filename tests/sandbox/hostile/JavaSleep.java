// expect: timeout
// limits: wall_s=3
// what: sleeps without using CPU; only the wall clock stops it
public class JavaSleep {
    public static void main(String[] args) throws Exception { Thread.sleep(600000); }
}
