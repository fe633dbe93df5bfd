// expect: passed
// what: starts a detached setsid'ed background process that tries to outlive the job
public class JavaDaemon {
    public static void main(String[] args) throws Exception {
        new ProcessBuilder("/usr/bin/setsid", "/usr/bin/sleep", "120").start();
        System.out.println("daemon started");
    }
}
