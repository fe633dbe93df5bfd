// expect: failed
// what: exit 3 = wrong answer
public class JavaWrongAnswer {
    public static void main(String[] args) { System.exit(3); }
}
