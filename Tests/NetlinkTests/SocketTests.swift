import Foundation
import Netlink
import XCTest

/// The rtnetlink client against a real kernel, in a network namespace of the
/// test's own: the test thread enters a new namespace only long enough to
/// open the socket there, so nothing reaches the host's network.
final class SocketTests: XCTestCase {
    /// A socket in a new, empty network namespace (which lives as long as the socket).
    func freshNamespace() throws -> RouteSocket {
        guard getuid() == 0 else { throw XCTSkip("needs root to create a network namespace") }
        return try NetworkNamespaces.insideNew { try RouteSocket() }
    }

    func index(_ name: String, _ socket: RouteSocket) throws -> Int32 {
        try XCTUnwrap(try socket.links().first { $0.name == name }?.index, "no link \(name)")
    }

    func testAFreshNamespaceHasOnlyLoopbackDown() throws {
        let socket = try freshNamespace()
        let links = try socket.links()
        XCTAssertEqual(links.map(\.name), ["lo"])
        XCTAssertEqual(links[0].flagNames, ["LOOPBACK"])
        XCTAssertEqual(links[0].deviceType, 772)
        XCTAssertEqual(try socket.addresses(), [])
    }

    func testVethPairAddressesAndRoutes() throws {
        let socket = try freshNamespace()
        try socket.perform(LinkRequests.create(name: "w-t-0", kind: .veth(peer: "w-t-1", peerNamespaceFD: nil), mtu: 1454))
        var links = try socket.links()
        XCTAssertEqual(Set(links.map(\.name)), ["lo", "w-t-0", "w-t-1"])
        let host = try XCTUnwrap(links.first { $0.name == "w-t-0" })
        XCTAssertEqual(host.kind, "veth")
        XCTAssertEqual(host.mtu, 1454)
        XCTAssertEqual(links.first { $0.name == "w-t-1" }?.mtu, 1454, "the request gives the peer the MTU too")
        XCTAssertFalse(host.isUp)

        // A second create is refused, with the errno's words.
        XCTAssertThrowsError(try socket.perform(LinkRequests.create(name: "w-t-0", kind: .bridge))) { error in
            XCTAssertEqual((error as? NetlinkError)?.code, EEXIST)
            XCTAssertTrue("\(error)".hasPrefix("File exists"), "\(error)")
        }

        for name in ["w-t-0", "w-t-1"] { try socket.perform(LinkRequests.set(index: try index(name, socket), .init(up: true))) }
        links = try socket.links()
        XCTAssertTrue(try XCTUnwrap(links.first { $0.name == "w-t-0" }).isUp)

        let address = AddressInfo(index: host.index, local: try XCTUnwrap(IPAddress("10.254.0.1")), prefixLength: 30,
                                  broadcast: IPAddress("10.254.0.3"))
        try socket.perform(AddressRequests.add(address))
        let read = try XCTUnwrap(try socket.addresses().first { $0.index == host.index && $0.local.isIPv4 })
        XCTAssertEqual(read.local.description, "10.254.0.1")
        XCTAssertEqual(read.prefixLength, 30)
        XCTAssertEqual(read.broadcast?.description, "10.254.0.3")
        XCTAssertEqual(read.label, "w-t-0")
        XCTAssertNil(read.valid)
        XCTAssertThrowsError(try socket.perform(AddressRequests.add(address))) { XCTAssertEqual(($0 as? NetlinkError)?.code, EEXIST) }

        // The kernel adds the prefix route itself (protocol kernel, scope link).
        let routes = try socket.routes(family: NetlinkConstants.familyIPv4)
        let prefix = try XCTUnwrap(routes.first { $0.table == NetlinkConstants.tableMain && $0.destinationText == "10.254.0.0/30" })
        XCTAssertEqual(prefix.protocolNumber, NetlinkConstants.protocolKernel)
        XCTAssertEqual(prefix.scope, NetlinkConstants.scopeLink)
        XCTAssertEqual(prefix.source?.description, "10.254.0.1")

        let gateway = RouteInfo(family: 2, destination: nil, gateway: IPAddress("10.254.0.2"), device: host.index)
        try socket.perform(RouteRequests.add(gateway))
        let found = try XCTUnwrap(try socket.route(to: try XCTUnwrap(IPAddress("192.0.2.7"))))
        XCTAssertEqual(found.gateway?.description, "10.254.0.2")
        XCTAssertEqual(found.device, host.index)
        XCTAssertEqual(found.source?.description, "10.254.0.1")
        XCTAssertThrowsError(try socket.perform(RouteRequests.add(gateway))) { XCTAssertEqual(($0 as? NetlinkError)?.code, EEXIST) }
        try socket.perform(RouteRequests.add(RouteInfo(family: 2, destination: nil, gateway: IPAddress("10.254.0.2"), device: host.index,
                                                       metric: 0), replace: true))
        try socket.perform(RouteRequests.delete(gateway))
        XCTAssertNil(try socket.route(to: try XCTUnwrap(IPAddress("192.0.2.7"))), "no route: nil, not an error")

        try socket.perform(AddressRequests.delete(address))
        XCTAssertEqual(try socket.addresses().filter { $0.local.isIPv4 && $0.index == host.index }, [])
        // Deleting one end takes the pair.
        try socket.perform(LinkRequests.delete(index: host.index))
        XCTAssertEqual(try socket.links().map(\.name), ["lo"])
    }

    func testBridgeVlanMacvlanAndPorts() throws {
        let socket = try freshNamespace()
        try socket.perform(LinkRequests.create(name: "br-t", kind: .bridge))
        try socket.perform(LinkRequests.create(name: "p-t-0", kind: .veth(peer: "p-t-1", peerNamespaceFD: nil)))
        let bridge = try index("br-t", socket), port = try index("p-t-0", socket)
        try socket.perform(LinkRequests.set(index: port, .init(master: bridge)))
        XCTAssertEqual(try socket.links().first { $0.name == "p-t-0" }?.master, bridge)
        try socket.perform(LinkRequests.set(index: port, .init(master: 0)))
        XCTAssertEqual(try socket.links().first { $0.name == "p-t-0" }?.master, 0)

        do {
            try socket.perform(LinkRequests.create(name: "p-t-1.10", kind: .vlan(parent: try index("p-t-1", socket), id: 10)))
            let vlan = try XCTUnwrap(try socket.links().first { $0.name == "p-t-1.10" })
            XCTAssertEqual(vlan.kind, "vlan")
            XCTAssertEqual(vlan.vlanID, 10)
            XCTAssertEqual(vlan.parent, try index("p-t-1", socket))
        } catch let error as NetlinkError where error.code == EOPNOTSUPP {
            // A kernel without CONFIG_VLAN_8021Q (docs/kernel-notes.md) refuses the kind, in its own words.
            XCTAssertEqual("\(error)", "Operation not supported (Unknown device type)")
        }

        try socket.perform(LinkRequests.create(name: "mv-t", kind: .macvlan(parent: port, mode: 4), mac: [2, 0, 0, 0, 0, 0x42]))
        let macvlan = try XCTUnwrap(try socket.links().first { $0.name == "mv-t" })
        XCTAssertEqual(macvlan.kind, "macvlan")
        XCTAssertEqual(macvlan.macvlanMode, 4)
        XCTAssertEqual(macvlan.mac, "02:00:00:00:00:42")

        // Renaming, a new MAC and MTU in one request.
        try socket.perform(LinkRequests.set(index: bridge, .init(mtu: 1400, mac: [2, 0, 0, 0, 0, 1], name: "br-u")))
        let renamed = try XCTUnwrap(try socket.links().first { $0.index == bridge })
        XCTAssertEqual([renamed.name, renamed.mac, String(renamed.mtu)], ["br-u", "02:00:00:00:00:01", "1400"])
    }

    func testTheKernelsOwnWordsComeWithARefusal() throws {
        let socket = try freshNamespace()
        try socket.perform(LinkRequests.create(name: "v-t-0", kind: .veth(peer: "v-t-1", peerNamespaceFD: nil)))
        // An MTU past the device's maximum: the kernel says why in the extended ack.
        XCTAssertThrowsError(try socket.perform(LinkRequests.set(index: try index("v-t-0", socket), .init(mtu: 70000)))) {
            XCTAssertEqual("\($0)", "Invalid argument (mtu greater than device maximum)")
        }
        // A gateway no address reaches.
        XCTAssertThrowsError(try socket.perform(RouteRequests.add(RouteInfo(family: 2, destination: nil, gateway: IPAddress("192.0.2.1"),
                                                                             device: try index("v-t-0", socket))))) {
            XCTAssertEqual("\($0)", "Network is unreachable (Nexthop has invalid gateway)")
        }
    }

    func testALinkMovesIntoAnotherNamespaceByDescriptor() throws {
        let socket = try freshNamespace()
        // A second namespace, held open by a descriptor of it.
        let other = try NetworkNamespaces.insideNew { open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC) }
        defer { close(other) }
        let otherSocket = try NetworkNamespaces.inside("/proc/self/fd/\(other)") { try RouteSocket() }
        try socket.perform(LinkRequests.create(name: "m-t-0", kind: .veth(peer: "m-t-1", peerNamespaceFD: other)))
        XCTAssertEqual(try socket.links().map(\.name).sorted(), ["lo", "m-t-0"])
        XCTAssertEqual(try otherSocket.links().map(\.name).sorted(), ["lo", "m-t-1"])
        try socket.perform(LinkRequests.set(index: try index("m-t-0", socket), .init(namespaceFD: other)))
        XCTAssertEqual(try socket.links().map(\.name), ["lo"])
        XCTAssertEqual(try otherSocket.links().map(\.name).sorted(), ["lo", "m-t-0", "m-t-1"])
    }
}
