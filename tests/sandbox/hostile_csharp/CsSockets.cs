// expect: passed
// what: TCP (args[1]) and UDP (args[2]) to the test's listeners on host loopback, and a DNS lookup
using System;
using System.Net;
using System.Net.Sockets;
using System.Text;

class CsSockets {
    static void Main(string[] args) {
        try {
            using (var s = new TcpClient()) {
                if (!s.ConnectAsync("127.0.0.1", int.Parse(args[1])).Wait(2000)) throw new TimeoutException();
                s.GetStream().Write(Encoding.ASCII.GetBytes("PWNED"), 0, 5);
                Console.WriteLine("LEAK: tcp connected");
            }
        } catch (Exception e) { Console.WriteLine("blocked tcp: " + e.GetType().Name); }
        try {
            using (var u = new UdpClient()) {
                u.Send(Encoding.ASCII.GetBytes("PWNED"), 5, new IPEndPoint(IPAddress.Loopback, int.Parse(args[2])));
                Console.WriteLine("udp sent (must not arrive)");
            }
        } catch (Exception e) { Console.WriteLine("blocked udp: " + e.GetType().Name); }
        try { Console.WriteLine("LEAK: dns " + Dns.GetHostAddresses("pypi.org")[0]); }
        catch (Exception e) { Console.WriteLine("blocked dns: " + e.GetType().Name); }
    }
}
