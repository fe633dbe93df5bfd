// expect: passed
// what: Environment.Exit(0) from a static constructor, before Main runs
using System;

class CsStaticExit {
    static CsStaticExit() { Console.WriteLine("leaving from the type initializer"); Environment.Exit(0); }
    static void Main() { Console.WriteLine("LEAK: Main must not run"); }
}
