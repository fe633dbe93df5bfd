// expect: passed
// what: TCP (args[1]) and UDP (args[2]) to the test's listeners on host loopback
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;

public class JavaSockets {
    public static void main(String[] args) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", Integer.parseInt(args[1])), 2000);
            s.getOutputStream().write("PWNED".getBytes());
            System.out.println("LEAK: tcp connected");
        } catch (Exception e) { System.out.println("blocked tcp: " + e.getClass().getSimpleName()); }
        try (DatagramSocket d = new DatagramSocket()) {
            byte[] b = "PWNED".getBytes();
            d.send(new DatagramPacket(b, b.length, InetAddress.getByName("127.0.0.1"), Integer.parseInt(args[2])));
            System.out.println("udp sent (must not arrive)");
        } catch (Exception e) { System.out.println("blocked udp: " + e.getClass().getSimpleName()); }
    }
}
