// expect: runtime_error
// what: an uncaught exception (exit 1)
public class JavaException {
    public static void main(String[] args) { throw new IllegalStateException("candidate crashed"); }
}
