// expect: failed
// what: exit 3 = wrong answer
class CsWrongAnswer {
    static int Main() { return 3; }
}
