// expect: runtime_error
// limits: wall_s=15
// what: starts sleeping threads without bound; the pids cgroup / NPROC refuse new native threads
public class JavaThreadBomb {
    public static void main(String[] args) {
        while (true) {
            Thread t = new Thread(() -> { try { Thread.sleep(600000); } catch (InterruptedException e) { } });
            t.setDaemon(true);
            t.start();
        }
    }
}
