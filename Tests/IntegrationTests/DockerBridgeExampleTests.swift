import Foundation
import XCTest

/// examples/docker-bridge: Docker's default bridge network for one container
/// with a published port, in bash (`ip`, `iptables`, `sysctl`, one process a
/// rule) and ported to wds from its documentation alone. The port must leave
/// the kernel state the original leaves, carry the packets a Docker host
/// carries, and change nothing when it runs again.
final class DockerBridgeExampleTests: XCTestCase {
    static var example: URL { Namespace.repositoryRoot.appendingPathComponent("examples/docker-bridge") }
    /// The host's uplink; its other end is the "outside" namespace, the gateway.
    static let uplink = Namespace.Uplink(name: "up0", address: "192.0.2.2/24", gateway: "192.0.2.1")

    /// What a script leaves: the ruleset (counters zeroed), the links with their
    /// masters and whether they are up, the IPv4 addresses and routes of the host
    /// and of the container, and forwarding. IPv6 link-local addresses are left
    /// out: each link's is made from its MAC address, which the kernel picks at
    /// random. So is each link's operational state (`state UP`, `LOWER_UP`,
    /// `NO-CARRIER`): the kernel settles it a moment after the link is set up, so
    /// it says when the snapshot was taken, not what the script did.
    static let linkFilter = "sed -E 's/^[0-9]+: //; s/@if[0-9]+//; s/ link\\/.*//; s/ qlen [0-9]+//; s/ state [A-Z]+//; s/,LOWER_UP//; s/NO-CARRIER,//'"
    static let stateCommands = """
        iptables-save | grep -v '^#' | sed -E '/^:/ s/\\[[0-9]+:[0-9]+\\]$/[0:0]/'
        ip -o link show | \(linkFilter)
        ip -4 -o addr show | awk '{print $2, $4}'
        ip -n c1 -o link show | \(linkFilter)
        ip -n c1 -4 -o addr show | awk '{print $2, $4}'
        ip -n c1 route
        sysctl -n net.ipv4.ip_forward
        """

    func state(after command: String) -> (state: String, errors: String) {
        let result = Namespace.run("""
            cd \(Namespace.shellQuote(Self.example.path))
            \(command) > /dev/null; echo "status=$?"
            \(Self.stateCommands)
            """, uplink: Self.uplink)
        return (result.standardOutput, result.standardError)
    }

    func testThePortLeavesWhatTheOriginalLeaves() throws {
        try Namespace.requireNamespaces()
        let (original, originalErrors) = state(after: "bash ./docker-bridge.sh")
        let (port, portErrors) = state(after: "\"$WDS\" run ./docker-bridge.wds")
        XCTAssertTrue(original.hasPrefix("status=0\n"), original + originalErrors)
        XCTAssertTrue(original.contains("-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 198.51.100.2:80"), original)
        XCTAssertTrue(original.contains("veth-c1: <BROADCAST,MULTICAST,UP> mtu 1500 qdisc noqueue master docker0 mode DEFAULT"), original)
        XCTAssertEqual(port, original, portErrors)
    }

    /// From outside, the published port reaches the container, with the
    /// client's own address (DNAT, no masquerade on the way in); from the
    /// container, the outside is reached as the host (MASQUERADE); a second
    /// run plans nothing, changes nothing and succeeds.
    func testPacketsFlowAsOnADockerHostAndASecondRunChangesNothing() throws {
        try Namespace.requireNamespaces()
        let listen = { (address: String, port: Int) in
            "import socket; s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); "
                + "s.bind(('\(address)', \(port))); s.listen(1); s.settimeout(10); c, a = s.accept(); c.sendall(('you are ' + a[0]).encode()); c.close()"
        }
        let connect = { (address: String, port: Int) in
            "import socket; s = socket.create_connection(('\(address)', \(port)), timeout=5); print(s.recv(100).decode())"
        }
        let result = Namespace.run("""
            set -e
            ip netns add outside
            ip link set up0p netns outside
            ip -n outside addr add 192.0.2.1/24 dev up0p
            ip -n outside link set up0p up
            ip -n outside link set lo up
            cd \(Namespace.shellQuote(Self.example.path))
            "$WDS" run ./docker-bridge.wds
            ip netns exec c1 python3 -c "\(listen("0.0.0.0", 80))" & sleep 0.5
            echo "inbound: $(ip netns exec outside python3 -c "\(connect("192.0.2.2", 8080))")"
            wait
            ip netns exec outside python3 -c "\(listen("192.0.2.1", 9000))" & sleep 0.5
            echo "outbound: $(ip netns exec c1 python3 -c "\(connect("192.0.2.1", 9000))")"
            wait
            iptables-save | grep -v '^#' | sed -E 's/\\[[0-9]+:[0-9]+\\]//' > /tmp/before
            set +e
            "$WDS" plan ./docker-bridge.wds; echo "plan status=$?"
            "$WDS" run ./docker-bridge.wds; echo "second run status=$?"
            iptables-save | grep -v '^#' | sed -E 's/\\[[0-9]+:[0-9]+\\]//' | diff /tmp/before - && echo "ruleset unchanged"
            """, uplink: Self.uplink)
        let out = result.standardOutput
        XCTAssertTrue(out.contains("inbound: you are 192.0.2.1\n"), out + result.standardError)
        XCTAssertTrue(out.contains("outbound: you are 192.0.2.2\n"), out + result.standardError)
        XCTAssertTrue(out.contains("no changes") || out.contains("0 change"), out)
        XCTAssertTrue(out.contains("plan status=0\n"), out + result.standardError)
        XCTAssertTrue(out.contains("second run status=0\n"), out + result.standardError)
        XCTAssertTrue(out.contains("ruleset unchanged\n"), out + result.standardError)
    }
}
