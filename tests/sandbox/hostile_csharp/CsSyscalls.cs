// expect: passed
// what: P/Invoke of unshare, mount, ptrace and setuid(0) from inside the sandbox; all must fail
using System;
using System.Runtime.InteropServices;

class CsSyscalls {
    [DllImport("libc", SetLastError = true)] static extern int unshare(int flags);
    [DllImport("libc", SetLastError = true)] static extern int mount(string src, string dst, string type, ulong flags, IntPtr data);
    [DllImport("libc", SetLastError = true)] static extern long ptrace(long request, int pid, IntPtr addr, IntPtr data);
    [DllImport("libc", SetLastError = true)] static extern int setuid(uint uid);

    static void Report(string what, long rc) { Console.WriteLine((rc == 0 ? "LEAK: " : "blocked ") + what + " rc=" + rc + " errno=" + Marshal.GetLastWin32Error()); }

    static void Main() {
        Report("unshare(CLONE_NEWUSER)", unshare(0x10000000));
        Report("mount tmpfs /usr", mount("none", "/usr", "tmpfs", 0, IntPtr.Zero));
        Report("ptrace attach 1", ptrace(16, 1, IntPtr.Zero, IntPtr.Zero));
        Report("setuid(0)", setuid(0));
    }
}
