// expect: runtime_error
// what: writes through a null pointer with Marshal (no unsafe code): Mono turns the SIGSEGV into an exception
class CsNullWrite {
    static void Main() { System.Runtime.InteropServices.Marshal.WriteInt32(System.IntPtr.Zero, 42); }
}
