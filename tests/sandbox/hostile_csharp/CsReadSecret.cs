// expect: passed
// what: reads the host secret file (args[4]), /etc/shadow, the checkout, root's files and the environment
using System;
using System.Collections;
using System.IO;

class CsReadSecret {
    static void Main(string[] args) {
        foreach (var p in new[] { args[4], "/etc/shadow", "/work/main/pyproject.toml", "/root/.bashrc" }) {
            try { Console.WriteLine("LEAK: " + p + " " + File.ReadAllText(p)); }
            catch (Exception e) { Console.WriteLine("blocked " + p + ": " + e.GetType().Name); }
        }
        foreach (DictionaryEntry e in Environment.GetEnvironmentVariables()) Console.WriteLine("env " + e.Key + "=" + e.Value);
    }
}
