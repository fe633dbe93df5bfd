// expect: passed
// what: leaves files under /dev, /tmp and /dev/shm (each sandbox must start without them; /dev is read-only)
import java.io.FileWriter;
import java.io.IOException;

public class JavaDevWrite {
    public static void main(String[] args) {
        for (String path : new String[] {"/dev/left-by-hostile", "/tmp/left-by-hostile.txt", "/dev/shm/left-by-hostile.txt"}) {
            try (FileWriter w = new FileWriter(path)) {
                w.write("LEFTOVER");
                System.out.println("wrote " + path);
            } catch (IOException e) {
                System.out.println("denied " + path + ": " + e.getMessage());
            }
        }
    }
}
