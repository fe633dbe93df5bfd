// expect: runtime_error
// limits: wall_s=15
// what: spawns processes without bound through ProcessBuilder until the pids limit refuses
import java.util.ArrayList;
import java.util.List;

public class JavaForkBomb {
    public static void main(String[] args) throws Exception {
        List<Process> all = new ArrayList<>();
        while (true) { all.add(new ProcessBuilder("/usr/bin/sleep", "600").start()); }
    }
}
