// expect: runtime_error
// limits: wall_s=15
// what: spawns processes until the pids limit refuses (spawnSync reports the failure), then exits 1
const { spawn } = require("child_process");
const kids = [];
for (let i = 0; i < 10000; i++) {
  try { kids.push(spawn("/usr/bin/sleep", ["600"], { stdio: "ignore" })); }
  catch (e) { console.error("spawn refused:", e.code); process.exit(1); }
}
process.on("exit", () => {});
setTimeout(() => process.exit(1), 3000);
