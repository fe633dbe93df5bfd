// expect: file_size
// limits: scratch_mb=16
// what: fills /dev/shm beyond the scratch limit; must stop with ENOSPC (file_size)
const fs = require("fs");
const block = Buffer.alloc(4 << 20, 1);
for (let i = 0; i < 42; i++) fs.writeFileSync(`/dev/shm/fill-${i}`, block);
console.log("LEAK: wrote 168 MiB into /dev/shm");
