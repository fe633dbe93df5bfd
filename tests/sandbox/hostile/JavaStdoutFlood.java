// expect: output_limit
// what: floods stdout
public class JavaStdoutFlood {
    public static void main(String[] args) {
        String line = "J".repeat(4096);
        while (true) { System.out.println(line); }
    }
}
