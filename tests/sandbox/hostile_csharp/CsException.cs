// expect: runtime_error
// what: an uncaught exception (mono exits 1)
class CsException {
    static void Main() { throw new System.InvalidOperationException("boom"); }
}
