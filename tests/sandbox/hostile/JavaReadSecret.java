// expect: passed
// what: reads the host secret file (args[4]), /etc/shadow and the checkout
import java.nio.file.Files;
import java.nio.file.Path;

public class JavaReadSecret {
    public static void main(String[] args) {
        for (String p : new String[] {args[4], "/etc/shadow", "/work/main/pyproject.toml", "/root/.bashrc"}) {
            try { System.out.println("LEAK: " + p + " " + Files.readString(Path.of(p))); }
            catch (Exception e) { System.out.println("blocked " + p + ": " + e.getClass().getSimpleName()); }
        }
        System.out.println("env: " + System.getenv());
    }
}
