/// Routes as RTM_NEWROUTE messages describe them, and the requests that add,
/// replace, delete and look them up. The fixed part is struct rtmsg: family,
/// destination and source prefix lengths, TOS, table, protocol, scope, type, flags.
public struct RouteInfo: Equatable, Sendable {
    /// AF_INET or AF_INET6.
    public var family: UInt8
    /// nil: the default route (a prefix of length 0).
    public var destination: IPPrefix?
    public var gateway: IPAddress?
    /// The output link's index; 0 for none (a blackhole, a multipath route).
    public var device: Int32
    public var table: UInt32
    /// RTA_PRIORITY, the metric (`ip route … metric N`).
    public var metric: UInt32
    public var scope: UInt8
    /// RTA_PREFSRC: the address the host sends from on this route.
    public var source: IPAddress?
    public var protocolNumber: UInt8
    public var type: UInt8
    public var tos: UInt8

    public init(family: UInt8, destination: IPPrefix?, gateway: IPAddress? = nil, device: Int32 = 0,
                table: UInt32 = NetlinkConstants.tableMain, metric: UInt32 = 0, scope: UInt8 = 0, source: IPAddress? = nil,
                protocolNumber: UInt8 = NetlinkConstants.protocolBoot, type: UInt8 = NetlinkConstants.typeUnicast, tos: UInt8 = 0) {
        self.family = family
        self.destination = destination
        self.gateway = gateway
        self.device = device
        self.table = table
        self.metric = metric
        self.scope = scope
        self.source = source
        self.protocolNumber = protocolNumber
        self.type = type
        self.tos = tos
    }

    public init?(_ message: NetlinkMessage) {
        guard message.type == NetlinkConstants.newRoute, message.payload.count >= 12 else { return nil }
        let body = message.payload
        family = body[0]
        let destinationLength = Int(body[1])
        tos = body[3]
        protocolNumber = body[5]
        scope = body[6]
        type = body[7]
        let attributes = message.attributes(after: 12)
        // RTA_TABLE holds tables past 255; rtm_table has the low ones too.
        table = attributes[type: NetlinkConstants.routeTable]?.u32 ?? UInt32(body[4])
        if let bytes = attributes[type: NetlinkConstants.routeDestination]?.payload, let address = IPAddress(bytes: bytes) {
            destination = IPPrefix(address: address, length: destinationLength)
        } else if destinationLength > 0 {
            return nil
        } else {
            destination = nil
        }
        gateway = attributes[type: NetlinkConstants.routeGateway].flatMap { IPAddress(bytes: $0.payload) }
        device = attributes[type: NetlinkConstants.routeOutputInterface]?.i32 ?? 0
        metric = attributes[type: NetlinkConstants.routePriority]?.u32 ?? 0
        source = attributes[type: NetlinkConstants.routePreferredSource].flatMap { IPAddress(bytes: $0.payload) }
    }

    public var isIPv4: Bool { family == NetlinkConstants.familyIPv4 }
    /// `default`, or the prefix as `ip` prints it (`10.0.0.0/24`, an address alone for a host route).
    public var destinationText: String {
        guard let destination else { return "default" }
        return destination.length == destination.address.bitLength ? "\(destination.address)" : "\(destination)"
    }

    /// What identifies a route to the kernel: table, destination, TOS and metric.
    /// Adding a second route with the same key fails with EEXIST; replace changes it.
    public var key: RouteKey {
        RouteKey(family: family, table: table, destination: destination.map { "\($0.network)" } ?? "default", tos: tos, metric: metric)
    }

    public static func tableName(_ table: UInt32) -> String {
        switch table {
        case NetlinkConstants.tableMain: return "main"
        case NetlinkConstants.tableLocal: return "local"
        case 253: return "default"
        default: return String(table)
        }
    }

    public static func scopeName(_ scope: UInt8) -> String {
        switch scope {
        case NetlinkConstants.scopeUniverse: return "global"
        case 200: return "site"
        case NetlinkConstants.scopeLink: return "link"
        case NetlinkConstants.scopeHost: return "host"
        case NetlinkConstants.scopeNowhere: return "nowhere"
        default: return String(scope)
        }
    }

    public static func protocolName(_ number: UInt8) -> String {
        let names: [UInt8: String] = [0: "unspec", 1: "redirect", 2: "kernel", 3: "boot", 4: "static", 9: "ra", 16: "dhcp"]
        return names[number] ?? String(number)
    }

    public static func typeName(_ type: UInt8) -> String {
        let names = ["unspec", "unicast", "local", "broadcast", "anycast", "multicast", "blackhole", "unreachable", "prohibit",
                     "throw", "nat", "xresolve"]
        return Int(type) < names.count ? names[Int(type)] : String(type)
    }
}

/// The identity of a route in its table.
public struct RouteKey: Hashable, Sendable {
    public var family: UInt8
    public var table: UInt32
    public var destination: String
    public var tos: UInt8
    public var metric: UInt32

    public init(family: UInt8, table: UInt32, destination: String, tos: UInt8, metric: UInt32) {
        self.family = family
        self.table = table
        self.destination = destination
        self.tos = tos
        self.metric = metric
    }
}

/// The requests about routes, with the defaults `ip route` gives: table main,
/// protocol boot, scope link for an IPv4 route without a gateway (global
/// otherwise), and for a delete no protocol, type or scope (any matches).
public enum RouteRequests {
    static func header(family: UInt8, destinationLength: Int, table: UInt32, protocolNumber: UInt8, scope: UInt8, type: UInt8,
                       flags: UInt32 = 0) -> [UInt8] {
        [family, UInt8(destinationLength), 0, 0, table < 256 ? UInt8(table) : NetlinkConstants.tableUnspecified,
         protocolNumber, scope, type] + Bytes.of(flags)
    }

    public static func dump(family: UInt8 = NetlinkConstants.familyUnspecified) -> NetlinkRequest {
        NetlinkRequest(type: NetlinkConstants.getRoute, flags: 0,
                       header: header(family: family, destinationLength: 0, table: 0, protocolNumber: 0, scope: 0, type: 0))
    }

    /// The attributes every route request carries: destination, gateway, device, metric, source, table.
    static func attributes(_ route: RouteInfo) -> [NetlinkAttribute] {
        var attributes: [NetlinkAttribute] = []
        if let destination = route.destination, destination.length > 0 {
            attributes.append(NetlinkAttribute(NetlinkConstants.routeDestination, destination.address.bytes))
        }
        if let gateway = route.gateway { attributes.append(NetlinkAttribute(NetlinkConstants.routeGateway, gateway.bytes)) }
        if route.device != 0 { attributes.append(.u32(NetlinkConstants.routeOutputInterface, UInt32(bitPattern: route.device))) }
        if route.metric != 0 { attributes.append(.u32(NetlinkConstants.routePriority, route.metric)) }
        if let source = route.source { attributes.append(NetlinkAttribute(NetlinkConstants.routePreferredSource, source.bytes)) }
        if route.table >= 256 { attributes.append(.u32(NetlinkConstants.routeTable, route.table)) }
        return attributes
    }

    /// `ip route add` (NLM_F_CREATE | NLM_F_EXCL) or, with `replace`, `ip route replace` (NLM_F_CREATE | NLM_F_REPLACE).
    public static func add(_ route: RouteInfo, replace: Bool = false) -> NetlinkRequest {
        NetlinkRequest(type: NetlinkConstants.newRoute,
                       flags: NetlinkConstants.create | (replace ? NetlinkConstants.replace : NetlinkConstants.exclusive),
                       header: header(family: route.family, destinationLength: route.destination?.length ?? 0, table: route.table,
                                      protocolNumber: route.protocolNumber, scope: route.scope, type: route.type),
                       attributes: attributes(route))
    }

    /// `ip route delete`: what identifies the route, and what narrows it (gateway, device, source) when given.
    /// `scope` nil sends what `ip` sends for a delete without one (nowhere for IPv4, global for IPv6).
    public static func delete(_ route: RouteInfo, scope: UInt8? = nil) -> NetlinkRequest {
        let anyScope = route.isIPv4 ? NetlinkConstants.scopeNowhere : NetlinkConstants.scopeUniverse
        return NetlinkRequest(type: NetlinkConstants.deleteRoute, flags: 0,
                              header: header(family: route.family, destinationLength: route.destination?.length ?? 0, table: route.table,
                                             protocolNumber: 0, scope: scope ?? anyScope, type: 0),
                              attributes: attributes(route))
    }

    /// `ip route get ADDRESS`: the route the kernel would take, with the table it came from.
    public static func get(_ destination: IPAddress) -> NetlinkRequest {
        NetlinkRequest(type: NetlinkConstants.getRoute, flags: 0,
                       header: header(family: destination.family, destinationLength: destination.bitLength, table: 0, protocolNumber: 0,
                                      scope: 0, type: 0, flags: NetlinkConstants.routeLookupTable),
                       attributes: [NetlinkAttribute(NetlinkConstants.routeDestination, destination.bytes)])
    }
}

extension RouteSocket {
    /// Every route of every table of one family (or both), as the kernel lists them.
    public func routes(family: UInt8 = NetlinkConstants.familyUnspecified) throws -> [RouteInfo] {
        try dump(RouteRequests.dump(family: family)).compactMap(RouteInfo.init)
    }

    /// The route to `destination`; nil when the kernel has none (ENETUNREACH, EHOSTUNREACH).
    public func route(to destination: IPAddress) throws -> RouteInfo? {
        do {
            return RouteInfo(try ask(RouteRequests.get(destination)))
        } catch let error as NetlinkError where error.code == 101 || error.code == 113 {
            return nil
        }
    }
}
