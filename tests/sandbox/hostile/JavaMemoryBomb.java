// expect: memory
// what: fills the heap; the -Xmx derived from the memory limit ends it with OutOfMemoryError
import java.util.ArrayList;
import java.util.List;

public class JavaMemoryBomb {
    public static void main(String[] args) {
        List<long[]> blocks = new ArrayList<>();
        while (true) { blocks.add(new long[8 << 20]); }
    }
}
