// expect: compile_error
// what: does not compile; javac's diagnostics come back in stderr
public class JavaCompileError {
    public static void main(String[] args) { int x = "not an int"; }
}
