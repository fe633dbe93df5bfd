// expect: killed:SIGKILL
// what: a child runs `kill -9 -1`: only the sandbox's own processes die (itself included), never the host's
using System;
using System.Diagnostics;

class CsKillAll {
    static void Main() {
        try {
            var p = Process.Start(new ProcessStartInfo("/usr/bin/kill", "-9 -1") { UseShellExecute = false });
            p.WaitForExit();
            Console.WriteLine("kill -9 -1 exited " + p.ExitCode);
        } catch (Exception e) { Console.WriteLine("blocked kill: " + e.GetType().Name); }
        try {
            var p = Process.Start(new ProcessStartInfo("/usr/bin/kill", "-9 1") { UseShellExecute = false });
            p.WaitForExit();
        } catch (Exception e) { Console.WriteLine("blocked kill parent: " + e.GetType().Name); }
        Console.WriteLine("still alive");
    }
}
