// expect: passed
// what: replaces its own files in /sandbox with symlinks to /dev/null and makes /sandbox mode 0300
const fs = require("fs");
for (const name of fs.readdirSync("/sandbox")) {
  try { fs.unlinkSync(`/sandbox/${name}`); fs.symlinkSync("/dev/null", `/sandbox/${name}`); } catch (e) { console.log("denied", e.code); }
}
for (const name of ["main.py", "candidate.py"]) {
  try { fs.symlinkSync("/dev/null", `/sandbox/${name}`); } catch (e) { console.log("denied", e.code); }
}
try { fs.chmodSync("/sandbox", 0o300); } catch (e) { console.log("denied chmod", e.code); }
