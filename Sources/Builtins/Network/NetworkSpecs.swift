import Interpreter
import Netlink

/// Where a network builtin acts: the namespace wds runs in, or one given by
/// name (`--netns web`: /run/netns/web, as `ip -n web`) or by path
/// (`--netns /proc/1234/ns/net`).
struct NamespaceRef: Hashable, Sendable, CustomStringConvertible {
    /// nil: wds's own namespace; otherwise a name or a path as the script gave it.
    var given: String?

    /// `web` and `/run/netns/web` are the same namespace.
    static func == (a: NamespaceRef, b: NamespaceRef) -> Bool { a.path == b.path }
    func hash(into hasher: inout Hasher) { hasher.combine(path) }

    static let own = NamespaceRef(given: nil)

    /// The file to enter; nil for wds's own namespace.
    var path: String? { given.map(NetworkNamespaces.path(of:)) }

    /// A name under /run/netns (what `ip -n` takes; `/run/netns/NAME` is one too), or nil for
    /// another path or wds's own namespace.
    var name: String? {
        guard let given else { return nil }
        let prefix = NetworkNamespaces.directory + "/"
        if given.hasPrefix(prefix), !given.dropFirst(prefix.count).contains("/"), given.count > prefix.count {
            return String(given.dropFirst(prefix.count))
        }
        return given.contains("/") ? nil : given
    }

    /// The `ip` command acting in this namespace: `ip -n NAME …`, or `nsenter --net=PATH ip …` for a path.
    func ip(_ arguments: [String]) -> [String] {
        guard let given else { return ["ip"] + arguments }
        if let name { return ["ip", "-n", name] + arguments }
        return ["nsenter", "--net=\(given)", "ip"] + arguments
    }

    /// `` for wds's own, ` in netns NAME` otherwise (plan areas, messages).
    var suffix: String { given.map { " in netns \($0)" } ?? "" }

    var description: String { given ?? "this namespace" }

    var json: JSON { given.map(JSON.string) ?? .null }
    init(given: String?) { self.given = given }
    init(json: JSON?) { given = json?.stringValue }
}

/// A link to create: its name, kind and what it starts with.
struct LinkSpec: Equatable, Sendable {
    enum Kind: Equatable, Sendable {
        /// A veth pair; the peer is made in `peerNamespace` (nil: the same one).
        case veth(peer: String, peerNamespace: NamespaceRef?)
        case bridge
        case vlan(parent: String, id: Int)
        case macvlan(parent: String, mode: String)

        var name: String {
            switch self {
            case .veth: return "veth"
            case .bridge: return "bridge"
            case .vlan: return "vlan"
            case .macvlan: return "macvlan"
            }
        }
    }

    var name: String
    var kind: Kind
    var mtu: Int?
    var mac: String?

    static let macvlanModes: [String: UInt32] = ["private": 1, "vepa": 2, "bridge": 4, "passthru": 8, "source": 16]

    /// The words after `ip link add`, as iproute2 reads them (`name` and `dev`
    /// always written, so a link called `a` is never taken for `address`).
    var arguments: [String] {
        var words: [String] = []
        switch kind {
        case .vlan(let parent, _), .macvlan(let parent, _): words += ["link", parent]
        case .veth, .bridge: break
        }
        words += ["name", name]
        if let mtu { words += ["mtu", String(mtu)] }
        if let mac { words += ["address", mac] }
        words += ["type", kind.name]
        switch kind {
        case .veth(let peer, let peerNamespace):
            words += ["peer", "name", peer]
            if let mtu { words += ["mtu", String(mtu)] }
            if let peerNamespace, let given = peerNamespace.given { words += ["netns", given] }
        case .bridge: break
        case .vlan(_, let id): words += ["id", String(id)]
        case .macvlan(_, let mode): words += ["mode", mode]
        }
        return words
    }

    var fields: [(String, JSON)] {
        var fields: [(String, JSON)] = [("name", .string(name)), ("kind", .string(kind.name))]
        if let mtu { fields.append(("mtu", .number(Double(mtu)))) }
        if let mac { fields.append(("mac", .string(mac))) }
        switch kind {
        case .veth(let peer, let peerNamespace):
            fields += [("peer", .string(peer)), ("peerNetns", peerNamespace?.json ?? .null)]
        case .bridge: break
        case .vlan(let parent, let id): fields += [("parent", .string(parent)), ("id", .number(Double(id)))]
        case .macvlan(let parent, let mode): fields += [("parent", .string(parent)), ("mode", .string(mode))]
        }
        return fields
    }

    init(name: String, kind: Kind, mtu: Int? = nil, mac: String? = nil) {
        self.name = name
        self.kind = kind
        self.mtu = mtu
        self.mac = mac
    }

    init?(_ json: JSON) {
        guard let name = json["name"]?.stringValue, let kind = json["kind"]?.stringValue else { return nil }
        self.name = name
        mtu = json.int("mtu")
        mac = json["mac"]?.stringValue
        switch kind {
        case "veth":
            guard let peer = json["peer"]?.stringValue else { return nil }
            let namespace = json["peerNetns"]
            self.kind = .veth(peer: peer, peerNamespace: namespace == nil || namespace == .null ? nil : NamespaceRef(json: namespace))
        case "bridge": self.kind = .bridge
        case "vlan":
            guard let parent = json["parent"]?.stringValue, let id = json.int("id") else { return nil }
            self.kind = .vlan(parent: parent, id: id)
        case "macvlan":
            guard let parent = json["parent"]?.stringValue, let mode = json["mode"]?.stringValue else { return nil }
            self.kind = .macvlan(parent: parent, mode: mode)
        default: return nil
        }
    }
}

/// What `link set` changes; nil leaves a part as it is.
struct LinkChange: Equatable, Sendable {
    enum Master: Equatable, Sendable {
        case bridge(String)
        case none
    }

    var up: Bool?
    var mtu: Int?
    var mac: String?
    var name: String?
    var master: Master?

    var isEmpty: Bool { up == nil && mtu == nil && mac == nil && name == nil && master == nil }

    /// The words after `ip link set dev NAME`.
    var arguments: [String] {
        var words: [String] = []
        if let name { words += ["name", name] }
        if let mac { words += ["address", mac] }
        if let mtu { words += ["mtu", String(mtu)] }
        switch master {
        case .bridge(let bridge)?: words += ["master", bridge]
        case .none?: words.append("nomaster")
        case nil: break
        }
        if let up { words.append(up ? "up" : "down") }
        return words
    }

    var fields: [(String, JSON)] {
        var fields: [(String, JSON)] = []
        if let up { fields.append(("up", .bool(up))) }
        if let mtu { fields.append(("mtu", .number(Double(mtu)))) }
        if let mac { fields.append(("mac", .string(mac))) }
        if let name { fields.append(("newName", .string(name))) }
        switch master {
        case .bridge(let bridge)?: fields.append(("master", .string(bridge)))
        case .none?: fields.append(("master", .null))
        case nil: break
        }
        return fields
    }

    init(up: Bool? = nil, mtu: Int? = nil, mac: String? = nil, name: String? = nil, master: Master? = nil) {
        self.up = up
        self.mtu = mtu
        self.mac = mac
        self.name = name
        self.master = master
    }

    init(_ json: JSON) {
        if case .bool(let up)? = json["up"] { self.up = up }
        mtu = json.int("mtu")
        mac = json["mac"]?.stringValue
        name = json["newName"]?.stringValue
        if let master = json["master"] { self.master = master.stringValue.map(Master.bridge) ?? Master.none }
    }
}

/// Where `link move` sends a link: a namespace, or the namespace of a process.
enum MoveTarget: Equatable, Sendable {
    case namespace(NamespaceRef)
    case pid(Int)

    /// The namespace the link lands in, as the model keys it.
    var namespace: NamespaceRef {
        switch self {
        case .namespace(let namespace): return namespace
        case .pid(let pid): return NamespaceRef(given: "/proc/\(pid)/ns/net")
        }
    }

    /// What `ip link set … netns` takes: a name, a path or a pid.
    var word: String {
        switch self {
        case .namespace(let namespace): return namespace.given ?? "/proc/self/ns/net"
        case .pid(let pid): return String(pid)
        }
    }
}

/// An address on a link, as `address add` gives it.
struct AddressSpec: Equatable, Sendable {
    var device: String
    var local: IPAddress
    var prefixLength: Int
    var peer: IPAddress?
    var broadcast: IPAddress?
    /// nil: what `ip` chooses (host for 127.0.0.0/8, global otherwise).
    var scope: UInt8?
    var label: String?
    /// Seconds; nil is forever.
    var valid: UInt32?
    var preferred: UInt32?
    /// Whether the lifetimes were given (`address change` sets only those).
    var lifetimesGiven = false
    /// nodad, noprefixroute, home, mngtmpaddr, autojoin.
    var flags: [String] = []

    /// `10.0.0.1/24`, or `10.0.0.1 peer 10.0.0.2/30` as ip writes a point-to-point address.
    var text: String { peer.map { "\(local) peer \($0)/\(prefixLength)" } ?? "\(local)/\(prefixLength)" }

    var effectiveScope: UInt8 {
        scope ?? (local.isIPv4 && local.bytes[0] == 127 ? NetlinkConstants.scopeHost : NetlinkConstants.scopeUniverse)
    }

    var flagBits: UInt32 { flags.reduce(0) { $0 | (AddressInfo.settableFlags[$1] ?? 0) } }

    /// The local address (and peer) with the prefix length, as `ip address add|delete` takes them.
    var addressWords: [String] {
        peer.map { ["\(local)", "peer", "\($0)/\(prefixLength)"] } ?? ["\(local)/\(prefixLength)"]
    }

    static func lifetime(_ seconds: UInt32?) -> String { seconds.map(String.init) ?? "forever" }

    /// The words after `ip address add` (all of it) or `ip address change` (the lifetimes).
    func arguments(change: Bool = false) -> [String] {
        var words = addressWords
        if !change {
            if let broadcast { words += ["broadcast", "\(broadcast)"] }
            if let scope { words += ["scope", RouteInfo.scopeName(scope)] }
            if let label { words += ["label", label] }
        }
        if lifetimesGiven || change {
            words += ["valid_lft", AddressSpec.lifetime(valid), "preferred_lft", AddressSpec.lifetime(preferred)]
        }
        words += flags
        return words + ["dev", device]
    }

    var fields: [(String, JSON)] {
        var fields: [(String, JSON)] = [("dev", .string(device)), ("local", .string("\(local)")), ("prefixlen", .number(Double(prefixLength)))]
        if let peer { fields.append(("peer", .string("\(peer)"))) }
        if let broadcast { fields.append(("broadcast", .string("\(broadcast)"))) }
        if let scope { fields.append(("scope", .number(Double(scope)))) }
        if let label { fields.append(("label", .string(label))) }
        if lifetimesGiven {
            fields += [("valid", valid.map { .number(Double($0)) } ?? .null), ("preferred", preferred.map { .number(Double($0)) } ?? .null)]
        }
        if !flags.isEmpty { fields.append(("flags", .array(flags.map(JSON.string)))) }
        return fields
    }

    init(device: String, local: IPAddress, prefixLength: Int, peer: IPAddress? = nil) {
        self.device = device
        self.local = local
        self.prefixLength = prefixLength
        self.peer = peer
    }

    init?(_ json: JSON) {
        guard let device = json["dev"]?.stringValue, let local = json["local"]?.stringValue.flatMap(IPAddress.init),
              let length = json.int("prefixlen") else { return nil }
        self.device = device
        self.local = local
        prefixLength = length
        peer = json["peer"]?.stringValue.flatMap(IPAddress.init)
        broadcast = json["broadcast"]?.stringValue.flatMap(IPAddress.init)
        scope = json.int("scope").map { UInt8(clamping: $0) }
        label = json["label"]?.stringValue
        if json["valid"] != nil || json["preferred"] != nil {
            lifetimesGiven = true
            valid = json.int("valid").map { UInt32(clamping: $0) }
            preferred = json.int("preferred").map { UInt32(clamping: $0) }
        }
        flags = json["flags"]?.arrayValue?.compactMap(\.stringValue) ?? []
    }

    /// The request the kernel gets, for the link at `index`.
    func info(index: Int32) -> AddressInfo {
        AddressInfo(index: index, local: local, prefixLength: prefixLength, peer: peer, broadcast: broadcast, scope: effectiveScope,
                    label: label ?? "", flags: flagBits, valid: lifetimesGiven ? valid : nil, preferred: lifetimesGiven ? preferred : nil)
    }
}

/// A route, as `route add|replace|delete` give it.
struct RouteSpec: Equatable, Sendable {
    var family: UInt8
    /// nil: the default route.
    var destination: IPPrefix?
    var gateway: IPAddress?
    var device: String?
    var table: UInt32 = NetlinkConstants.tableMain
    var metric: UInt32?
    var scope: UInt8?
    var source: IPAddress?

    var isIPv4: Bool { family == NetlinkConstants.familyIPv4 }

    var destinationText: String {
        guard let destination else { return "default" }
        return destination.length == destination.address.bitLength ? "\(destination.address)" : "\(destination.network)"
    }

    /// The metric the kernel gives a route added without one: 0 for IPv4, 1024 for IPv6.
    var effectiveMetric: UInt32 { metric ?? (isIPv4 ? 0 : 1024) }

    /// The scope `ip route add` sends: link for an IPv4 route without a gateway, global otherwise.
    var effectiveScope: UInt8 {
        scope ?? (isIPv4 && gateway == nil ? NetlinkConstants.scopeLink : NetlinkConstants.scopeUniverse)
    }

    /// The words after `ip route add|replace|delete`.
    var arguments: [String] {
        var words = [destinationText]
        if let gateway { words += ["via", "\(gateway)"] }
        if let device { words += ["dev", device] }
        if table != NetlinkConstants.tableMain { words += ["table", RouteInfo.tableName(table)] }
        if let metric { words += ["metric", String(metric)] }
        if let scope { words += ["scope", RouteInfo.scopeName(scope)] }
        if let source { words += ["src", "\(source)"] }
        return words
    }

    /// `ip -6 route …` for IPv6 (a `default` alone would be read as IPv4).
    var ipFamilyWords: [String] { isIPv4 ? [] : ["-6"] }

    var fields: [(String, JSON)] {
        var fields: [(String, JSON)] = [("family", .number(Double(family))), ("dst", .string(destination.map { "\($0.network)" } ?? "default")),
                                        ("table", .number(Double(table)))]
        if let gateway { fields.append(("via", .string("\(gateway)"))) }
        if let device { fields.append(("dev", .string(device))) }
        if let metric { fields.append(("metric", .number(Double(metric)))) }
        if let scope { fields.append(("scope", .number(Double(scope)))) }
        if let source { fields.append(("src", .string("\(source)"))) }
        return fields
    }

    init(family: UInt8, destination: IPPrefix?) {
        self.family = family
        self.destination = destination
    }

    init?(_ json: JSON) {
        guard let family = json.int("family"), let destination = json["dst"]?.stringValue, let table = json.int("table") else { return nil }
        self.family = UInt8(clamping: family)
        if destination == "default" {
            self.destination = nil
        } else {
            guard let prefix = IPPrefix(destination) else { return nil }
            self.destination = prefix
        }
        self.table = UInt32(clamping: table)
        gateway = json["via"]?.stringValue.flatMap(IPAddress.init)
        device = json["dev"]?.stringValue
        metric = json.int("metric").map { UInt32(clamping: $0) }
        scope = json.int("scope").map { UInt8(clamping: $0) }
        source = json["src"]?.stringValue.flatMap(IPAddress.init)
    }
}

extension JSON {
    func int(_ key: String) -> Int? {
        if case .number(let n)? = self[key] { return Int(n) }
        return nil
    }
}
