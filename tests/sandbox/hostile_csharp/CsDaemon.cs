// expect: passed
// what: starts a detached setsid'ed background process that tries to outlive the job
using System.Diagnostics;

class CsDaemon {
    static void Main() {
        Process.Start(new ProcessStartInfo("/usr/bin/setsid", "-f /usr/bin/sleep 600") { UseShellExecute = false });
        Process.Start(new ProcessStartInfo("/usr/bin/nohup", "/usr/bin/sleep 600") { UseShellExecute = false, RedirectStandardOutput = true });
        System.Console.WriteLine("daemons started");
    }
}
