// expect: compile_error
// what: does not compile; mcs's diagnostics come back in stderr
class CsCompileError {
    static void Main() { int x = "not a number"; }
}
