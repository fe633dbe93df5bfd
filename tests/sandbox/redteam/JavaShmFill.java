// expect: file_size
// limits: scratch_mb=16
// what: fills /dev/shm beyond the scratch limit; must stop with ENOSPC (file_size)
import java.io.FileOutputStream;
import java.io.IOException;

public class JavaShmFill {
    public static void main(String[] args) throws IOException {
        byte[] block = new byte[4 << 20];
        for (int i = 0; i < 42; i++) {
            try (FileOutputStream out = new FileOutputStream("/dev/shm/fill-" + i)) {
                out.write(block);
            }
        }
        System.out.println("LEAK: wrote 168 MiB into /dev/shm");
    }
}
