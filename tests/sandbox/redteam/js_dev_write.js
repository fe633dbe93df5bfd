// expect: passed
// what: leaves files under /dev, /tmp and /dev/shm, and chmods /tmp to 000
const fs = require("fs");
for (const path of ["/dev/left-by-hostile", "/tmp/left-by-hostile.txt", "/dev/shm/left-by-hostile.txt"]) {
  try {
    fs.writeFileSync(path, "LEFTOVER");
    console.log("wrote", path);
  } catch (e) {
    console.log("denied", path, e.code);
  }
}
try { fs.chmodSync("/tmp", 0); } catch (e) { console.log("denied chmod", e.code); }
