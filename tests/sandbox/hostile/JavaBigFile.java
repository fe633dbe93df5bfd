// expect: file_size
// what: writes one ever-growing file (RLIMIT_FSIZE)
import java.io.FileOutputStream;

public class JavaBigFile {
    public static void main(String[] args) throws Exception {
        byte[] block = new byte[1 << 20];
        try (FileOutputStream out = new FileOutputStream("big.bin")) {
            while (true) { out.write(block); }
        }
    }
}
