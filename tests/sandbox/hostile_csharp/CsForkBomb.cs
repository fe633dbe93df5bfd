// expect: runtime_error
// limits: wall_s=20
// what: spawns processes without bound through Process.Start until the pids limit refuses
using System.Collections.Generic;
using System.Diagnostics;

class CsForkBomb {
    static void Main() {
        var all = new List<Process>();
        while (true) { all.Add(Process.Start(new ProcessStartInfo("/usr/bin/sleep", "600") { UseShellExecute = false })); }
    }
}
