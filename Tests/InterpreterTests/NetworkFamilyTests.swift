@testable import Builtins
import Interpreter
import Lexer
import Netlink
import XCTest

/// The network family without a kernel: what the checker refuses, the `ip`
/// command each effect replays as, and its JSON for saved plans.
final class NetworkFamilyTests: XCTestCase {
    func testTheCheckerRefusesValuesNoKernelWouldTake() {
        let table: [(String, [String])] = [
            ("veth create w-1-0 w-1-1 --mtu 1500 --netns web", []),
            ("veth create a-name-of-16bytes b", ["1:13: link name 'a-name-of-16bytes' is longer than 15 bytes"]),
            ("bridge create br:0", ["1:15: link name 'br:0' contains '/', ':' or a blank"]),
            ("link set eth0 --mtu 40", ["1:21: --mtu: '40' is not an MTU (68 to 65535)"]),
            ("link set eth0 --address 01:02", ["1:25: --address: '01:02' is not a MAC address like 02:00:00:00:00:01"]),
            ("vlan create v v0 4095", ["1:18: '4095' is not a VLAN id (1 to 4094)"]),
            ("macvlan create m eth0 --mode fast", ["1:30: --mode: 'fast' is not one of private, vepa, bridge, passthru, source"]),
            ("link move w-1-1 /proc/1/ns/net", []),
            ("link move w-1-1 0", ["1:17: '0' is not a process id"]),
            ("link move w-1-1 a/b", ["1:17: 'a/b' is neither a name under /run/netns nor an absolute path"]),
            ("address add eth0 10.0.0.1/33", ["1:18: '10.0.0.1/33' is not an address with a prefix length, like 10.0.0.1/24 or fd00::1/64"]),
            ("address add eth0 10.0.0.1/24 --broadcast fd00::1", ["1:42: --broadcast: 'fd00::1' is not an IPv4 broadcast address (or + for the network's last)"]),
            ("address add eth0 10.0.0.1/24 --valid-lifetime soon", ["1:47: --valid-lifetime: 'soon' is not a lifetime (whole seconds, or forever)"]),
            ("address add eth0 10.0.0.1/24 --scope galaxy", ["1:38: --scope: 'galaxy' is not a scope (global, site, link, host, or 0 to 255)"]),
            ("route add nowhere --dev eth0", ["1:11: 'nowhere' is not a route destination (default, or a network such as 10.0.0.0/8)"]),
            ("route add default --via 10.0.0.1 --table 0", ["1:42: --table: '0' is not a routing table (main, local, default, or a number from 1)"]),
            ("route list --table all", []),
            ("netns create a/b", ["1:14: 'a/b' is neither a name under /run/netns nor an absolute path"]),
            ("run --netns web ip link", []),
            ("sysctl set net.ipv6.conf.lxc.br0.autoconf 0", []),
        ]
        for (source, expected) in table {
            var loader = Loader(readFile: { path in path == "t" ? Array(source.utf8) : nil })
            let script = loader.load(SourceFile(name: "t", path: "t", text: source))
            let diagnostics = loader.diagnostics.isEmpty ? Checker.check(script, registry: Builtins.standard) : loader.diagnostics
            let shown = diagnostics.map { diagnostic -> String in
                guard let range = diagnostic.range else { return diagnostic.message }
                let (line, column) = range.file.lineAndColumn(of: range.start)
                return "\(line):\(column): \(diagnostic.message)"
            }
            XCTAssertEqual(shown, expected, source)
        }
    }

    func testPerLinkSysctlKeysKeepTheDotsOfTheLinkName() {
        XCTAssertEqual(sysctlPath("net.ipv6.conf.lxc.br0.autoconf"), "/proc/sys/net/ipv6/conf/lxc.br0/autoconf")
        XCTAssertEqual(sysctlPath("net.ipv4.conf.eth0.forwarding"), "/proc/sys/net/ipv4/conf/eth0/forwarding")
        XCTAssertEqual(sysctlPath("net.ipv4.neigh.a.b.c.gc_stale_time"), "/proc/sys/net/ipv4/neigh/a.b.c/gc_stale_time")
        XCTAssertEqual(sysctlPath("net.ipv4.ip_forward"), "/proc/sys/net/ipv4/ip_forward")
        XCTAssertEqual(sysctlPath("kernel.domainname"), "/proc/sys/kernel/domainname")
    }

    /// Every effect: the `ip` command the trace prints, and its JSON read back as the same effect.
    func testEachEffectReplaysAsIpAndReadsBackFromAPlan() throws {
        let web = NamespaceRef(given: "web"), path = NamespaceRef(given: "/proc/42/ns/net")
        var address = AddressSpec(device: "w-0", local: try XCTUnwrap(IPAddress("10.0.0.1")), prefixLength: 30)
        address.broadcast = IPAddress("10.0.0.3")
        address.label = "w-0:a"
        address.lifetimesGiven = true
        address.valid = 600
        address.flags = ["noprefixroute"]
        var peer = AddressSpec(device: "p-0", local: try XCTUnwrap(IPAddress("10.1.0.1")), prefixLength: 32, peer: IPAddress("10.1.0.2"))
        peer.scope = 253
        var route = RouteSpec(family: 10, destination: IPPrefix("2001:db8::/32"))
        route.gateway = IPAddress("fd00::1")
        route.device = "w-0"
        route.table = 100
        route.metric = 5
        var gatewayOnly = RouteSpec(family: 2, destination: nil)
        gatewayOnly.gateway = IPAddress("10.0.0.1")
        let cases: [(NetworkEffect, String)] = [
            (NetworkEffect(.readLinks), "ip -j link show"),
            (NetworkEffect(.readRoutes, in: web), "ip -n web -j route show table all"),
            (NetworkEffect(.readAddresses, in: path), "nsenter --net=/proc/42/ns/net ip -j address show"),
            (NetworkEffect(.routeGet(try XCTUnwrap(IPAddress("fd00::9"))), in: web), "ip -n web -6 -j route get fd00::9"),
            (NetworkEffect(.createLink(LinkSpec(name: "w-0", kind: .veth(peer: "w-1", peerNamespace: web), mtu: 1400))),
             "ip link add name w-0 mtu 1400 type veth peer name w-1 mtu 1400 netns web"),
            (NetworkEffect(.createLink(LinkSpec(name: "br0", kind: .bridge, mac: "02:00:00:00:00:01"))),
             "ip link add name br0 address 02:00:00:00:00:01 type bridge"),
            (NetworkEffect(.createLink(LinkSpec(name: "e.10", kind: .vlan(parent: "e", id: 10))), in: web),
             "ip -n web link add link e name e.10 type vlan id 10"),
            (NetworkEffect(.createLink(LinkSpec(name: "mv", kind: .macvlan(parent: "e", mode: "vepa"), mtu: 1300))),
             "ip link add link e name mv mtu 1300 type macvlan mode vepa"),
            (NetworkEffect(.deleteLink("a")), "ip link delete dev a"),
            (NetworkEffect(.setLink("a", LinkChange(up: false, mtu: 1280, mac: "02:00:00:00:00:02", name: "b", master: .bridge("br0")))),
             "ip link set dev a name b address 02:00:00:00:00:02 mtu 1280 master br0 down"),
            (NetworkEffect(.setLink("a", LinkChange(master: LinkChange.Master.none))), "ip link set dev a nomaster"),
            (NetworkEffect(.moveLink("w-1", .namespace(web))), "ip link set dev w-1 netns web"),
            (NetworkEffect(.moveLink("w-1", .pid(42))), "ip link set dev w-1 netns 42"),
            (NetworkEffect(.moveLink("w-1", .namespace(.own)), in: web), "ip -n web link set dev w-1 netns /proc/$$/ns/net"),
            (NetworkEffect(.addAddress(address)),
             "ip address add 10.0.0.1/30 broadcast 10.0.0.3 label w-0:a valid_lft 600 preferred_lft forever noprefixroute dev w-0"),
            (NetworkEffect(.addAddress(peer), in: web), "ip -n web address add 10.1.0.1 peer 10.1.0.2/32 scope link dev p-0"),
            (NetworkEffect(.changeAddress(address)), "ip address change 10.0.0.1/30 valid_lft 600 preferred_lft forever noprefixroute dev w-0"),
            (NetworkEffect(.deleteAddress(peer)), "ip address delete 10.1.0.1 peer 10.1.0.2/32 dev p-0"),
            (NetworkEffect(.addRoute(route, replace: false)), "ip -6 route add 2001:db8::/32 via fd00::1 dev w-0 table 100 metric 5"),
            (NetworkEffect(.addRoute(gatewayOnly, replace: true), in: web), "ip -n web route replace default via 10.0.0.1"),
            (NetworkEffect(.deleteRoute(gatewayOnly)), "ip route delete default via 10.0.0.1"),
            (NetworkEffect(.createNamespace("web")), "ip netns add web"),
            (NetworkEffect(.deleteNamespace("web")), "ip netns delete web"),
        ]
        _ = Builtins.standard  // registers the decoder
        for (effect, line) in cases {
            XCTAssertEqual(effect.shellCommand, line)
            let json = try JSON.parse(Effect.family(AnyFamilyEffect(effect)).json.serialized)
            XCTAssertEqual(Effect(json: json), .family(AnyFamilyEffect(effect)), line)
            guard case .family(let decoded)? = Effect(json: json), let network = decoded.effect as? NetworkEffect else {
                XCTFail("\(line) did not read back")
                continue
            }
            XCTAssertEqual(network.operation, effect.operation, line)
            XCTAssertEqual(network.namespace.given, effect.namespace.given, line)
        }
    }
}
