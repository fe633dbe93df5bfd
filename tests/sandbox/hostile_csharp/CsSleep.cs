// expect: timeout
// limits: wall_s=3
// what: sleeps without using CPU; only the wall clock stops it
class CsSleep {
    static void Main() { System.Threading.Thread.Sleep(600000); }
}
