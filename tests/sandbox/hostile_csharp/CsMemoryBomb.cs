// expect: memory
// what: fills the heap; the GC heap cap derived from the memory limit ends it with OutOfMemoryException
using System.Collections.Generic;

class CsMemoryBomb {
    static void Main() { var all = new List<long[]>(); while (true) all.Add(new long[1 << 17]); }
}
