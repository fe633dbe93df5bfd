// expect: file_size
// what: writes one ever-growing file (RLIMIT_FSIZE)
using System.IO;

class CsBigFile {
    static void Main() {
        var block = new byte[1 << 20];
        using (var f = new FileStream("/tmp/big.bin", FileMode.Create)) { while (true) { f.Write(block, 0, block.Length); f.Flush(); } }
    }
}
