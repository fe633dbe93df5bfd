// expect: file_size
// limits: scratch_mb=16
// what: fills /tmp beyond the scratch limit; must stop with ENOSPC (file_size)
import java.io.FileOutputStream;
import java.io.IOException;

public class JavaTmpFill {
    public static void main(String[] args) throws IOException {
        byte[] block = new byte[4 << 20];
        for (int i = 0; i < 42; i++) {
            try (FileOutputStream out = new FileOutputStream("/tmp/fill-" + i)) {
                out.write(block);
            }
        }
        System.out.println("LEAK: wrote 168 MiB into /tmp");
    }
}
