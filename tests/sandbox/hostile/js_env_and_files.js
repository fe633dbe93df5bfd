// expect: passed
// what: reads the environment, the host secret (argv[6]) and writes the canary (argv[2])
const fs = require("fs");
console.log("env", JSON.stringify(process.env));
for (const p of [process.argv[6], "/etc/shadow", "/work/main/pyproject.toml"]) {
  try { console.log("LEAK:", p, fs.readFileSync(p, "utf8").slice(0, 100)); }
  catch (e) { console.log("blocked", p, e.code); }
}
try { fs.writeFileSync(process.argv[2] + "/canary.txt", "PWNED"); console.log("LEAK: canary written"); }
catch (e) { console.log("blocked canary", e.code); }
