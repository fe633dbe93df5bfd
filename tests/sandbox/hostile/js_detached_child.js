// expect: passed
// what: spawns a detached, unref'ed child that tries to outlive the job
const { spawn } = require("child_process");
const child = spawn("/usr/bin/sleep", ["120"], { detached: true, stdio: "ignore" });
child.unref();
console.log("detached child", child.pid);
