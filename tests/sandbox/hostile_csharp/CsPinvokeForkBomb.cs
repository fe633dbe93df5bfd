// expect: runtime_error
// limits: wall_s=20
// what: calls libc fork() through P/Invoke in a loop (no unsafe code needed); the pids cgroup and NPROC refuse
using System;
using System.Runtime.InteropServices;

class CsPinvokeForkBomb {
    [DllImport("libc", SetLastError = true)] static extern int fork();
    [DllImport("libc")] static extern uint sleep(uint seconds);

    static void Main() {
        int children = 0;
        while (true) {
            int pid = fork();
            if (pid == 0) { sleep(600); Environment.Exit(0); }
            if (pid < 0) { Console.Error.WriteLine("fork refused after " + children + ": errno " + Marshal.GetLastWin32Error()); Environment.Exit(1); }
            children++;
        }
    }
}
