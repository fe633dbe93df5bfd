// expect: memory
// what: allocates and touches unmanaged memory (Marshal.AllocHGlobal) past the GC's cap; the cgroup OOM-kills it
using System;
using System.Runtime.InteropServices;

class CsNativeMemoryBomb {
    static void Main() {
        while (true) {
            IntPtr p = Marshal.AllocHGlobal(1 << 24);
            for (int i = 0; i < (1 << 24); i += 4096) Marshal.WriteByte(p, i, 1);
        }
    }
}
