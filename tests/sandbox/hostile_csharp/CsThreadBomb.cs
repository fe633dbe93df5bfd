// expect: runtime_error
// limits: wall_s=20
// what: starts sleeping threads without bound; the pids cgroup / NPROC refuse new native threads
using System.Threading;

class CsThreadBomb {
    static void Main() {
        while (true) { var t = new Thread(() => Thread.Sleep(600000)); t.IsBackground = false; t.Start(); }
    }
}
