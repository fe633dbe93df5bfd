// expect: output_limit
// what: floods stdout
class CsStdoutFlood {
    static void Main() { var line = new string('x', 1000); while (true) System.Console.WriteLine(line); }
}
