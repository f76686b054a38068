import Foundation
import XCTest

/// scripts/container-link.wds, the network half of a Warden container's
/// set-up, with a second network namespace standing in for the container.
final class ContainerLinkTests: XCTestCase {
    static let config = """
        id=abc
        network_host_ip=10.254.0.1
        network_host_iface=w-abc-0
        network_container_ip=10.254.0.2
        network_container_iface=w-abc-1
        network_netmask=255.255.255.252
        container_iface_mtu=1454
        """

    /// Bash that makes a container folder (the scripts beside etc/config) at $C and the container's namespace c1.
    static let container = """
        private_tmp
        C=/tmp/warden/containers/abc
        mkdir -p $C/etc /tmp/warden/containers/tmp
        cp "$REPO/scripts/container-link.wds" "$REPO/scripts/container-net.wds" $C/
        cat > $C/etc/config <<'EOF'
        \(config)
        EOF
        ip netns add c1
        """

    func testSetupTwiceEqualsOnceAndTheTraceReplaysIt() throws {
        try Namespace.requireNamespaces()
        let result = Namespace.run("""
            \(Self.container)
            "$WDS" run $C/container-link.wds setup /run/netns/c1; echo "first=$?"
            \(KernelNetwork.dumpCommand(["c1"]))
            "$WDS" trace $C/container-link.wds setup /run/netns/c1 | grep -v '^#' | sed 's/  # .*//'
            "$WDS" run $C/container-link.wds setup /run/netns/c1; echo "second=$?"
            \(KernelNetwork.dumpCommand(["c1"]))
            "$WDS" run $C/container-link.wds teardown /run/netns/c1; echo "teardown=$?"
            ip -br link | grep -c w-abc; ip -n c1 -br link | grep -c w-abc
            "$WDS" run $C/container-link.wds teardown /run/netns/c1; echo "teardown again=$?"
            """)
        let lines = result.standardOutput.split(separator: "\n").map(String.init)
        let dumps = lines.filter { $0.hasPrefix("{\"ns\"") }
        XCTAssertEqual(dumps.count, 4, result.standardOutput + result.standardError)
        let once = try KernelNetwork(parsing: dumps[0...1].joined(separator: "\n"))
        let twice = try KernelNetwork(parsing: dumps[2...3].joined(separator: "\n"))
        XCTAssertEqual(twice, once, "a second setup changed the state")
        XCTAssertEqual(once.lines(mentioning: ["w-abc"]), [
            "address w-abc-0 10.254.0.1/30 brd=10.254.0.3 scope=global forever",
            "link w-abc-0 veth mtu=1454 UP",
            "route local broadcast 10.254.0.3 dev=w-abc-0 proto=kernel scope=link src=10.254.0.1",
            "route local local 10.254.0.1 dev=w-abc-0 proto=kernel scope=host src=10.254.0.1",
            "route local multicast ff00::/8 dev=w-abc-0 proto=kernel metric=256",
            "route main unicast 10.254.0.0/30 dev=w-abc-0 proto=kernel scope=link src=10.254.0.1",
            "route main unicast fe80::/64 dev=w-abc-0 proto=kernel metric=256",
        ], once.description)
        XCTAssertEqual((once.namespaces["c1"] ?? []).filter { !$0.contains("multicast") && !$0.contains("fe80") && !$0.contains("route local") }, [
            "address lo 127.0.0.1/8 scope=host forever",
            "address lo ::1/128 scope=host forever",
            "address w-abc-1 10.254.0.2/30 brd=10.254.0.3 scope=global forever",
            "link lo device mtu=65536 UP",
            "link w-abc-1 veth mtu=1454 UP",
            "route main unicast 10.254.0.0/30 dev=w-abc-1 proto=kernel scope=link src=10.254.0.2",
            "route main unicast default via=10.254.0.1 dev=w-abc-1",
        ], once.description)
        // On a host that has it all, setup changes nothing but what re-asserts the settings.
        XCTAssertEqual(lines.filter { !$0.hasPrefix("{") && !$0.contains("=") }, [
            "ip link set dev w-abc-0 mtu 1454 up",
            "ip -n c1 link set dev lo up",
            "ip -n c1 link set dev w-abc-1 mtu 1454 up",
            "ip -n c1 route replace default via 10.254.0.1",
            "0", "0",
        ], result.standardOutput)
        for status in ["first=0", "second=0", "teardown=0", "teardown again=0"] {
            XCTAssertTrue(lines.contains(status), "\(status): \(result.standardOutput)\n\(result.standardError)")
        }
    }

    func testTheTraceOfAFirstSetupReplaysToTheSameState() throws {
        try Namespace.requireNamespaces()
        func state(_ how: String) throws -> (KernelNetwork, Namespace.Result) {
            let result = Namespace.run("""
                \(Self.container)
                \(how)
                \(KernelNetwork.dumpCommand(["c1"]))
                """)
            return (try KernelNetwork(parsing: result.standardOutput), result)
        }
        let (run, runResult) = try state(#""$WDS" run $C/container-link.wds setup /run/netns/c1"#)
        let (replayed, replayResult) = try state("""
            "$WDS" trace $C/container-link.wds setup /run/netns/c1 > /tmp/trace.sh && bash -e /tmp/trace.sh
            """)
        XCTAssertEqual(replayed, run, "run: \(runResult.standardError)\nreplay: \(replayResult.standardError)")
        XCTAssertEqual(run.lines(mentioning: ["link w-abc"]), ["link w-abc-0 veth mtu=1454 UP"])
    }

    /// Plan on a fresh host lists what setup makes; after the run, no changes; a host address
    /// deleted by hand is drift that verify reports and `--fix` puts back.
    func testPlanVerifyAndFix() throws {
        try Namespace.requireNamespaces()
        let result = Namespace.run("""
            \(Self.container)
            "$WDS" plan $C/container-link.wds setup /run/netns/c1; echo "plan=$?"
            "$WDS" run $C/container-link.wds setup /run/netns/c1; echo "run=$?"
            "$WDS" plan $C/container-link.wds setup /run/netns/c1; echo "plan=$?"
            ip address delete 10.254.0.1/30 dev w-abc-0
            "$WDS" verify $C/container-link.wds setup /run/netns/c1; echo "verify=$?"
            "$WDS" verify --fix $C/container-link.wds setup /run/netns/c1; echo "fix=$?"
            ip -br address show dev w-abc-0 | awk '{ print $3 }'
            "$WDS" verify $C/container-link.wds setup /run/netns/c1; echo "verify=$?"
            """)
        XCTAssertEqual(result.standardOutput, """
            links:
              + w-abc-0 (veth, peer w-abc-1 in netns /run/netns/c1, mtu 1454, up)
            addresses:
              + 10.254.0.1/30 on w-abc-0 broadcast 10.254.0.3
            links in netns /run/netns/c1:
              ~ lo: down -> up
              + w-abc-1 (veth, peer w-abc-0, mtu 1454, up)
            addresses in netns /run/netns/c1:
              + 10.254.0.2/30 on w-abc-1 broadcast 10.254.0.3
            routes in netns /run/netns/c1:
              + default via 10.254.0.1 dev w-abc-1
            6 change(s) in 5 area(s)
            plan=10
            run=0
            no changes: the host already is what container-link.wds would make it
            plan=0
            missing:
              addresses: 10.254.0.1/30 on w-abc-0 broadcast 10.254.0.3
            verify=10
            missing:
              addresses: 10.254.0.1/30 on w-abc-0 broadcast 10.254.0.3
            fixed: 1 missing or different piece(s) put back; extra ones left as they are
            fix=0
            10.254.0.1/30
            no drift: the host holds everything container-link.wds would make
            verify=0

            """, result.standardError)
    }

    /// A saved plan holds the network effects as JSON: applied, it makes what the run makes,
    /// and it is refused on a host that changed since.
    func testASavedPlanAppliesAndIsRefusedOnAChangedHost() throws {
        try Namespace.requireNamespaces()
        func state(_ how: String) throws -> (KernelNetwork, Namespace.Result) {
            let result = Namespace.run("""
                \(Self.container)
                \(how)
                \(KernelNetwork.dumpCommand(["c1"]))
                """)
            return (try KernelNetwork(parsing: result.standardOutput), result)
        }
        let (run, _) = try state(#""$WDS" run $C/container-link.wds setup /run/netns/c1"#)
        let (applied, result) = try state("""
            "$WDS" plan --out /tmp/link.plan $C/container-link.wds setup /run/netns/c1 >/dev/null; echo "plan=$?"
            "$WDS" apply --trust-plan /tmp/link.plan; echo "apply=$?"
            """)
        XCTAssertTrue(result.standardOutput.hasPrefix("plan=10\napply=0\n"), result.standardOutput + result.standardError)
        XCTAssertEqual(applied, run)
        let refused = Namespace.run("""
            \(Self.container)
            "$WDS" plan --out /tmp/link.plan $C/container-link.wds setup /run/netns/c1 >/dev/null
            ip link add name w-abc-0 type bridge
            "$WDS" apply --trust-plan /tmp/link.plan; echo "apply=$?"
            """)
        XCTAssertEqual(refused.standardOutput, "apply=1\n", refused.standardError)
        XCTAssertTrue(refused.standardError.contains("the host has changed since the plan was made: `ip -j link show`"), refused.standardError)
    }

    /// After container-link, net.wds and container-net.wds, a process in the container reaches
    /// an allowed network beyond the host's uplink and not a denied one: packets, counted where
    /// they arrive, in a namespace behind the uplink that stands in for the outside.
    func testTheContainerReachesAnAllowedNetworkAndNotADeniedOne() throws {
        try Namespace.requireNamespaces()
        let result = Namespace.run("""
            \(Self.container)
            ip netns add outside
            ip link add eth0 type veth peer name eth0p netns outside
            ip addr add 10.0.2.15/24 dev eth0 && ip link set eth0 up && ip route add default via 10.0.2.2 dev eth0
            ip -n outside link set lo up && ip -n outside addr add 10.0.2.2/24 dev eth0p && ip -n outside link set eth0p up
            # 192.0.2.1 stands in for an allowed network, 198.51.100.1 for a denied one.
            ip -n outside addr add 192.0.2.1/32 dev lo && ip -n outside addr add 198.51.100.1/32 dev lo
            ip netns exec outside iptables -A INPUT -s 10.0.2.15 -d 192.0.2.1 -p tcp --dport 7
            ip netns exec outside iptables -A INPUT -s 10.0.2.15 -d 198.51.100.1 -p tcp --dport 7
            export POOL_NETWORK=10.254.0.0/22 ALLOW_NETWORKS=192.0.2.0/24 DENY_NETWORKS=198.51.100.0/24
            "$WDS" run $C/container-link.wds setup /run/netns/c1 && echo "link=ok"
            "$WDS" run "$REPO/scripts/net.wds" setup && echo "net=ok"
            "$WDS" run $C/container-net.wds setup && echo "container-net=ok"
            # No listener: the outside answers a SYN that arrives with a reset (refused); one dropped on the way times out.
            ip netns exec c1 timeout 5 bash -c 'exec 3<>/dev/tcp/192.0.2.1/7' 2>/dev/null; echo "allowed: status $?"
            ip netns exec c1 timeout 2 bash -c 'exec 3<>/dev/tcp/198.51.100.1/7' 2>/dev/null; echo "denied: status $?"
            ip netns exec outside iptables -S INPUT -v | awk '/^-A/ { print "arrived from " $4 " at " $6 ": " ($(NF-1) > 0 ? "yes" : "no") }'
            """, uplink: nil)
        XCTAssertEqual(result.standardOutput, """
            link=ok
            net=ok
            container-net=ok
            allowed: status 1
            denied: status 124
            arrived from 10.0.2.15/32 at 192.0.2.1/32: yes
            arrived from 10.0.2.15/32 at 198.51.100.1/32: no

            """, result.standardError)
    }
}
