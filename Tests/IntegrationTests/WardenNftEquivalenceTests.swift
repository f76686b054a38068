import Foundation
import XCTest

/// Packet-level equivalence of Warden's network on iptables (net.wds +
/// container-net.wds) and on nftables (net-nft.wds + container-net-nft.wds):
/// real connections between namespaces the test makes — a container stand-in
/// (a veth pair into a namespace of its own), the uplink's far side with two
/// documentation networks behind it — give the same results for the same
/// connection matrix, where "open" means the server behind answered.
final class WardenNftEquivalenceTests: XCTestCase {
    /// A TCP server (every ADDRESS:PORT given answers "hello") and a client that prints
    /// open (the server answered), refused (a reset or an ICMP error), or timeout.
    static let probe = """
        import socket, sys, threading, time
        def serve(host, port):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((host, port)); s.listen(16)
            while True:
                c, _ = s.accept(); c.sendall(b"hello\\n"); c.close()
        if sys.argv[1] == "serve":
            for a in sys.argv[2:]:
                host, port = a.rsplit(":", 1)
                threading.Thread(target=serve, args=(host, int(port)), daemon=True).start()
            time.sleep(120)
        else:
            try:
                s = socket.create_connection((sys.argv[2], int(sys.argv[3])), timeout=2)
                print("open" if s.recv(16) == b"hello\\n" else "no answer")
            except socket.timeout:
                print("timeout")
            except OSError:
                print("refused")
        """

    /// The namespaces: `outside` behind the uplink (eth0's peer, 10.0.2.2, with 192.0.2.10 and
    /// 198.51.100.10 on its loopback), `container` behind w-abc-0 (10.254.0.2/30).
    static let topology = """
        private_tmp
        cat > /tmp/probe.py <<'PY'
        \(probe)
        PY
        ip netns add outside && ip netns add container
        ip link set eth0p netns outside
        ip netns exec outside sh -c 'ip link set lo up && ip addr add 10.0.2.2/24 dev eth0p && ip link set eth0p up &&
          ip addr add 192.0.2.10/32 dev lo && ip addr add 198.51.100.10/32 dev lo'
        ip link add w-abc-0 type veth peer name w-abc-1 netns container
        ip addr add 10.254.0.1/30 dev w-abc-0 && ip link set w-abc-0 up
        ip netns exec container sh -c 'ip link set lo up && ip addr add 10.254.0.2/30 dev w-abc-1 && ip link set w-abc-1 up &&
          ip route add default via 10.254.0.1'
        ip netns exec outside timeout 60 python3 /tmp/probe.py serve 192.0.2.10:80 198.51.100.10:80 198.51.100.10:81 & outside_server=$!
        ip netns exec container timeout 60 python3 /tmp/probe.py serve 10.254.0.2:8080 & container_server=$!
        sleep 0.5
        from() { local ns=$1; shift; echo "$* -> $(ip netns exec "$ns" python3 /tmp/probe.py connect "$@")"; }
        """

    /// The connection matrix, with the root script and the per-container script given.
    static func matrix(net: String, container: String) -> String {
        """
        \(topology)
        export POOL_NETWORK=10.254.0.0/22 ALLOW_NETWORKS=192.0.2.0/24 DENY_NETWORKS=0.0.0.0/0
        "$WDS" run "$REPO/scripts/\(net)" setup || echo "net setup failed"
        mkdir -p /tmp/warden/containers/abc/etc
        cp "$REPO/scripts/\(container)" /tmp/warden/containers/abc/net.wds
        printf 'id=abc\\nnetwork_host_iface=w-abc-0\\nnetwork_container_ip=10.254.0.2\\n' > /tmp/warden/containers/abc/etc/config
        "$WDS" run /tmp/warden/containers/abc/net.wds setup || echo "container setup failed"
        from container 192.0.2.10 80
        from container 198.51.100.10 80
        NETWORK=198.51.100.0/24 PORT=80 "$WDS" run /tmp/warden/containers/abc/net.wds out || echo "out failed"
        from container 198.51.100.10 80
        from container 198.51.100.10 81
        HOST_PORT=61001 CONTAINER_PORT=8080 "$WDS" run /tmp/warden/containers/abc/net.wds in || echo "in failed"
        from outside 10.0.2.15 61001
        "$WDS" run /tmp/warden/containers/abc/net.wds teardown || echo "teardown failed"
        from container 198.51.100.10 80
        from outside 10.0.2.15 61001
        kill $outside_server $container_server 2>/dev/null; wait 2>/dev/null
        true
        """
    }

    static let expected = """
        192.0.2.10 80 -> open
        198.51.100.10 80 -> timeout
        198.51.100.10 80 -> open
        198.51.100.10 81 -> timeout
        10.0.2.15 61001 -> open
        198.51.100.10 80 -> timeout
        10.0.2.15 61001 -> refused

        """

    func requireTools() throws {
        try Namespace.requireNamespaces()
        for tool in ["nft", "python3"] where Namespace.run(["sh", "-c", "command -v \(tool)"]).status != 0 {
            throw XCTSkip("\(tool) is not installed (scripts/dev/install-deps installs it)")
        }
    }

    func testIptablesAndNftablesGiveTheSameConnections() throws {
        try requireTools()
        let iptables = Namespace.run(Self.matrix(net: "net.wds", container: "container-net.wds"))
        let nftables = Namespace.run(Self.matrix(net: "net-nft.wds", container: "container-net-nft.wds"))
        XCTAssertEqual(iptables.standardOutput, Self.expected, iptables.standardError)
        XCTAssertEqual(nftables.standardOutput, Self.expected, nftables.standardError)
        XCTAssertEqual(nftables.standardOutput, iptables.standardOutput)
    }
}
