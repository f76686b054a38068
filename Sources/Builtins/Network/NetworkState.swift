import Interpreter
import Netlink

/// What the model knows of one namespace's links, addresses and routes. Each
/// part is read from the kernel on first use (a probe answered as JSON, so
/// state files and saved plans hold it) and then changed by the run's own
/// statements. Links are known by name, as scripts name them.
struct NamespaceState: Equatable, Sendable {
    var links: [ModelLink]?
    var addresses: [ModelAddress]?
    var routes: [ModelRoute]?

    /// A namespace the run created: nothing in it but `lo`, down.
    static let fresh = NamespaceState(links: [ModelLink(name: "lo", index: 1, kind: "", up: false, mtu: 65536, mac: "00:00:00:00:00:00",
                                                        loopback: true)],
                                      addresses: [], routes: [])
}

struct ModelLink: Equatable, Sendable {
    var name: String
    /// nil for a link the run made (the kernel chooses the index).
    var index: Int32?
    var kind: String
    var up: Bool
    var mtu: Int
    /// nil while the kernel has not said (a link the run made without `--address`).
    var mac: String?
    var master: String?
    /// A veth's other end, in the same namespace (nil when it is elsewhere or unknown).
    var peer: String?
    /// A veth's other end in another namespace, when the run put it there (the kernel names it only by a namespace id).
    var remotePeer: RemotePeer?
    /// What a VLAN or macvlan sits on.
    var parent: String?
    var loopback = false
    /// A bridge whose MTU the run set after making it: the kernel stops deriving it from the ports.
    var mtuSetByUser = false
    /// From the kernel: the flags and state as read (a link the run changed recomputes them).
    var readFlags: [String]?
    var readState: String?
    /// The request that made it, when the run did: what `verify --fix` performs when it is missing.
    var creation: LinkSpec?

    init(name: String, index: Int32?, kind: String, up: Bool, mtu: Int, mac: String?, master: String? = nil, peer: String? = nil,
         parent: String? = nil, loopback: Bool = false) {
        self.name = name
        self.index = index
        self.kind = kind
        self.up = up
        self.mtu = mtu
        self.mac = mac
        self.master = master
        self.peer = peer
        self.parent = parent
        self.loopback = loopback
    }

    var flags: [String] {
        if let readFlags { return readFlags }
        var flags = loopback ? ["LOOPBACK"] : ["BROADCAST", "MULTICAST"]
        if up { flags.append("UP") }
        return flags
    }

    var state: String { readState ?? (up ? (loopback ? "UNKNOWN" : "UP") : "DOWN") }

    /// The state a link the run changed is in, given its peer (a veth whose other end is down has no carrier).
    func state(peerUp: Bool?) -> String {
        if readState == nil, up, kind == "veth", peerUp == false { return "LOWERLAYERDOWN" }
        return state
    }
}

/// A link in another namespace.
struct RemotePeer: Equatable, Sendable {
    var namespace: NamespaceRef
    var name: String
}

struct ModelAddress: Equatable, Sendable {
    var device: String
    var local: IPAddress
    var prefixLength: Int
    var peer: IPAddress?
    var broadcast: IPAddress?
    var scope: UInt8
    var label: String
    var flags: [String]
    var valid: UInt32?
    var preferred: UInt32?

    var isIPv4: Bool { local.isIPv4 }
    var text: String { "\(local)/\(prefixLength)" }
    /// The network the kernel routes to the link for this address.
    var network: IPPrefix { IPPrefix(address: (peer ?? local).masked(prefixLength), length: prefixLength) }

    /// The same address as the kernel knows it: same link, same local address (and, for IPv4, prefix length).
    func isSame(as other: ModelAddress) -> Bool {
        device == other.device && local == other.local && (!isIPv4 || prefixLength == other.prefixLength)
    }

    init(_ spec: AddressSpec) {
        device = spec.device
        local = spec.local
        prefixLength = spec.prefixLength
        peer = spec.peer
        broadcast = spec.broadcast
        scope = spec.effectiveScope
        label = spec.label ?? (spec.local.isIPv4 ? spec.device : "")
        // An address without an end is "permanent" to the kernel; one no longer preferred, "deprecated".
        flags = ModelAddress.ordered(spec.flags + (spec.lifetimesGiven && spec.valid != nil ? [] : ["permanent"])
                                     + (spec.lifetimesGiven && spec.preferred == 0 ? ["deprecated"] : []))
        valid = spec.lifetimesGiven ? spec.valid : nil
        preferred = spec.lifetimesGiven ? spec.preferred : nil
    }

    init(device: String, info: AddressInfo) {
        self.device = device
        local = info.local
        prefixLength = info.prefixLength
        peer = info.peer
        broadcast = info.broadcast
        scope = info.scope
        label = info.label
        flags = info.flagNames
        valid = info.valid
        preferred = info.preferred
    }

    /// Flags in the order the kernel's bits (and `AddressInfo.flagNames`) give them.
    static func ordered(_ flags: [String]) -> [String] {
        let order = ["secondary", "nodad", "optimistic", "dadfailed", "home", "deprecated", "tentative", "permanent", "mngtmpaddr",
                     "noprefixroute", "autojoin", "stable-privacy"]
        return order.filter(flags.contains)
    }

    /// What `address add` would make this address again.
    var spec: AddressSpec {
        var spec = AddressSpec(device: device, local: local, prefixLength: prefixLength, peer: peer)
        spec.broadcast = broadcast
        spec.scope = scope == NetlinkConstants.scopeUniverse ? nil : scope
        spec.label = label.isEmpty || label == device ? nil : label
        spec.flags = flags.filter { AddressInfo.settableFlags[$0] != nil }
        if valid != nil || preferred != nil {
            spec.lifetimesGiven = true
            spec.valid = valid
            spec.preferred = preferred
        }
        return spec
    }
}

struct ModelRoute: Equatable, Sendable {
    var family: UInt8
    var destination: IPPrefix?
    var gateway: IPAddress?
    var device: String?
    var table: UInt32
    var metric: UInt32
    var scope: UInt8
    var source: IPAddress?
    var protocolNumber: UInt8
    var type: UInt8

    var isIPv4: Bool { family == NetlinkConstants.familyIPv4 }
    var destinationText: String {
        guard let destination else { return "default" }
        return destination.length == destination.address.bitLength ? "\(destination.address)" : "\(destination.network)"
    }

    /// What identifies the route in its table: adding a second one fails, replacing changes it.
    var key: RouteKey {
        RouteKey(family: family, table: table, destination: destination.map { "\($0.network)" } ?? "default", tos: 0, metric: metric)
    }

    /// A route the kernel makes and removes by itself (for an address, the loopback, IPv6 multicast).
    var isKernelMade: Bool { protocolNumber == NetlinkConstants.protocolKernel || table == NetlinkConstants.tableLocal }

    init(_ spec: RouteSpec) {
        family = spec.family
        destination = spec.destination.map(\.network)
        gateway = spec.gateway
        device = spec.device
        table = spec.table
        metric = spec.effectiveMetric
        scope = spec.effectiveScope
        source = spec.source
        protocolNumber = NetlinkConstants.protocolBoot
        type = NetlinkConstants.typeUnicast
    }

    init(info: RouteInfo, device: String?) {
        family = info.family
        destination = info.destination
        gateway = info.gateway
        self.device = device
        table = info.table
        metric = info.metric
        scope = info.scope
        source = info.source
        protocolNumber = info.protocolNumber
        type = info.type
    }

    /// What `route add` would make this route again.
    var spec: RouteSpec {
        var spec = RouteSpec(family: family, destination: destination)
        spec.gateway = gateway
        spec.device = device
        spec.table = table
        spec.metric = metric == (isIPv4 ? 0 : 1024) ? nil : metric
        spec.scope = scope == (isIPv4 && gateway == nil ? NetlinkConstants.scopeLink : NetlinkConstants.scopeUniverse) ? nil : scope
        spec.source = source
        return spec
    }

    /// Whether a `route delete` of `spec` removes this route: the same destination and table,
    /// and the same metric, gateway, device and source where the delete names them.
    func matches(_ spec: RouteSpec) -> Bool {
        family == spec.family && table == spec.table && destination.map { "\($0.network)" } == spec.destination.map { "\($0.network)" }
            && (spec.metric == nil || spec.metric == metric) && (spec.gateway == nil || spec.gateway == gateway)
            && (spec.device == nil || spec.device == device) && (spec.source == nil || spec.source == source)
    }
}

// MARK: - Probe answers

/// The kernel's answers to the family's probes, as JSON text: what a state
/// file records and a saved plan fingerprints. Counters are left out, so the
/// same host answers the same.
enum NetworkJSON {
    static func links(_ links: [LinkInfo]) -> String {
        JSON.array(links.map { link in
            .object([("index", .number(Double(link.index))), ("name", .string(link.name)), ("kind", .string(link.kind)),
                     ("flags", .array(link.flagNames.map(JSON.string))), ("state", .string(link.state)), ("mtu", .number(Double(link.mtu))),
                     ("mac", .string(link.mac)), ("master", .number(Double(link.master))), ("link", .number(Double(link.parent))),
                     ("linkNetns", link.parentNamespaceID.map { .number(Double($0)) } ?? .null),
                     ("loopback", .bool(link.deviceType == 772))])
        }).serialized
    }

    static func addresses(_ addresses: [AddressInfo]) -> String {
        JSON.array(addresses.map { address in
            .object([("index", .number(Double(address.index))), ("local", .string("\(address.local)")),
                     ("prefixlen", .number(Double(address.prefixLength))), ("peer", address.peer.map { .string("\($0)") } ?? .null),
                     ("broadcast", address.broadcast.map { .string("\($0)") } ?? .null), ("scope", .number(Double(address.scope))),
                     ("label", .string(address.label)), ("flags", .array(address.flagNames.map(JSON.string))),
                     ("valid", address.valid.map { .number(Double($0)) } ?? .null),
                     ("preferred", address.preferred.map { .number(Double($0)) } ?? .null)])
        }).serialized
    }

    static func routes(_ routes: [RouteInfo]) -> String {
        JSON.array(routes.map(route)).serialized
    }

    static func route(_ route: RouteInfo) -> JSON {
        .object([("family", .number(Double(route.family))), ("dst", .string(route.destination.map { "\($0)" } ?? "default")),
                 ("gateway", route.gateway.map { .string("\($0)") } ?? .null), ("oif", .number(Double(route.device))),
                 ("table", .number(Double(route.table))), ("metric", .number(Double(route.metric))), ("scope", .number(Double(route.scope))),
                 ("prefsrc", route.source.map { .string("\($0)") } ?? .null), ("protocol", .number(Double(route.protocolNumber))),
                 ("type", .number(Double(route.type)))])
    }

    /// Links as the model holds them, from a `links` answer: indices become names.
    static func readLinks(_ text: String) throws -> [ModelLink] {
        let entries = try JSON.parse(text).arrayValue ?? []
        var names: [Int: String] = [:]
        for entry in entries { if let index = entry.int("index"), let name = entry["name"]?.stringValue { names[index] = name } }
        return entries.compactMap { entry in
            guard let name = entry["name"]?.stringValue, let index = entry.int("index") else { return nil }
            let flags = entry["flags"]?.arrayValue?.compactMap(\.stringValue) ?? []
            let kind = entry["kind"]?.stringValue ?? ""
            let master = entry.int("master").flatMap { names[$0] }
            // IFLA_LINK names a link of this namespace unless a namespace id says otherwise.
            let sameNamespace = entry["linkNetns"] == nil || entry["linkNetns"] == .null
            let other = sameNamespace ? entry.int("link").flatMap { $0 == index ? nil : names[$0] } : nil
            var link = ModelLink(name: name, index: Int32(index), kind: kind, up: flags.contains("UP"), mtu: entry.int("mtu") ?? 0,
                                 mac: entry["mac"]?.stringValue, master: master, peer: kind == "veth" ? other : nil,
                                 parent: kind == "veth" ? nil : other, loopback: entry["loopback"] == .bool(true))
            link.readFlags = flags
            link.readState = entry["state"]?.stringValue
            return link
        }
    }

    static func readAddresses(_ text: String, linkNames: [Int32: String]) throws -> [ModelAddress] {
        try (JSON.parse(text).arrayValue ?? []).compactMap { entry in
            guard let index = entry.int("index"), let local = entry["local"]?.stringValue.flatMap(IPAddress.init),
                  let length = entry.int("prefixlen") else { return nil }
            let info = AddressInfo(index: Int32(index), local: local, prefixLength: length,
                                   peer: entry["peer"]?.stringValue.flatMap(IPAddress.init),
                                   broadcast: entry["broadcast"]?.stringValue.flatMap(IPAddress.init),
                                   scope: UInt8(clamping: entry.int("scope") ?? 0), label: entry["label"]?.stringValue ?? "",
                                   flags: 0, valid: entry.int("valid").map { UInt32(clamping: $0) },
                                   preferred: entry.int("preferred").map { UInt32(clamping: $0) })
            var address = ModelAddress(device: linkNames[Int32(index)] ?? "if\(index)", info: info)
            address.flags = entry["flags"]?.arrayValue?.compactMap(\.stringValue) ?? []
            return address
        }
    }

    static func readRoutes(_ text: String, linkNames: [Int32: String]) throws -> [ModelRoute] {
        try (JSON.parse(text).arrayValue ?? []).compactMap { readRoute($0, linkNames: linkNames) }
    }

    static func readRoute(_ entry: JSON, linkNames: [Int32: String]) -> ModelRoute? {
        guard let family = entry.int("family"), let destination = entry["dst"]?.stringValue else { return nil }
        var info = RouteInfo(family: UInt8(clamping: family), destination: destination == "default" ? nil : IPPrefix(destination))
        info.gateway = entry["gateway"]?.stringValue.flatMap(IPAddress.init)
        info.table = UInt32(clamping: entry.int("table") ?? 254)
        info.metric = UInt32(clamping: entry.int("metric") ?? 0)
        info.scope = UInt8(clamping: entry.int("scope") ?? 0)
        info.source = entry["prefsrc"]?.stringValue.flatMap(IPAddress.init)
        info.protocolNumber = UInt8(clamping: entry.int("protocol") ?? 0)
        info.type = UInt8(clamping: entry.int("type") ?? 1)
        let device = entry.int("oif").flatMap { $0 == 0 ? nil : linkNames[Int32($0)] ?? "if\($0)" }
        return ModelRoute(info: info, device: device)
    }
}
