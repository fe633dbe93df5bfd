// expect: passed
// what: TCP to the host listener (argv[3]) and UDP (argv[4])
const net = require("net");
const dgram = require("dgram");
const udp = dgram.createSocket("udp4");
udp.send("PWNED", Number(process.argv[4]), "127.0.0.1", (err) => {
  console.log(err ? "blocked udp " + err.code : "udp sent (must not arrive)");
  udp.close();
});
const s = net.connect({ host: "127.0.0.1", port: Number(process.argv[3]) }, () => { console.log("LEAK: tcp"); s.end("PWNED"); });
s.on("error", (e) => console.log("blocked tcp", e.code));
setTimeout(() => s.destroy(), 2000).unref();
