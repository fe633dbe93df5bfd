// expect: passed
// what: overwrites and deletes the host canary (args[0]) and writes into /usr
import java.nio.file.Files;
import java.nio.file.Path;

public class JavaCanaryWrite {
    public static void main(String[] args) {
        Path canary = Path.of(args[0], "canary.txt");
        try { Files.writeString(canary, "PWNED"); System.out.println("LEAK: overwrote canary"); }
        catch (Exception e) { System.out.println("blocked write: " + e.getClass().getSimpleName()); }
        try { Files.delete(canary); System.out.println("LEAK: deleted canary"); }
        catch (Exception e) { System.out.println("blocked delete: " + e.getClass().getSimpleName()); }
        try { Files.writeString(Path.of("/usr/codeeff-pwned"), "PWNED"); System.out.println("LEAK: wrote /usr"); }
        catch (Exception e) { System.out.println("blocked /usr: " + e.getClass().getSimpleName()); }
    }
}
