// expect: passed
// what: runs `kill -9 -1` and tries to kill its parent through /usr/bin/kill
public class JavaKillAll {
    public static void main(String[] args) throws Exception {
        long parent = ProcessHandle.current().parent().map(ProcessHandle::pid).orElse(1L);
        new ProcessBuilder("/usr/bin/kill", "-9", String.valueOf(parent)).inheritIO().start().waitFor();
        System.out.println("still alive after killing parent " + parent);
    }
}
