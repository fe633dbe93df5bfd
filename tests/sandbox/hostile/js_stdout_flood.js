// expect: output_limit
// what: floods stdout synchronously
const fs = require("fs");
const line = "N".repeat(65536);
for (;;) fs.writeSync(1, line);
