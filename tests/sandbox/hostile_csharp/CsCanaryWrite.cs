// expect: passed
// what: overwrites and deletes the host canary (args[0]), drops files there and writes into /usr, /etc, /root, /var/tmp
using System;
using System.IO;

class CsCanaryWrite {
    static void Try(string what, Action action) {
        try { action(); Console.WriteLine("LEAK: " + what); }
        catch (Exception e) { Console.WriteLine("blocked " + what + ": " + e.GetType().Name); }
    }

    static void Main(string[] args) {
        string canary = Path.Combine(args[0], "canary.txt");
        Try("overwrite canary", () => File.WriteAllText(canary, "PWNED"));
        Try("delete canary", () => {
            if (!File.Exists(canary)) throw new FileNotFoundException("not visible");  // File.Delete never throws on a missing file
            File.Delete(canary);
            if (File.Exists(canary)) throw new IOException("still there");
        });
        Try("drop file", () => File.WriteAllText(Path.Combine(args[0], "dropped.txt"), "PWNED"));
        foreach (var dir in new[] { "/usr", "/etc", "/root", "/var/tmp" }) {
            Try("write " + dir, () => File.WriteAllText(dir + "/codeeff-pwned", "PWNED"));
        }
    }
}
