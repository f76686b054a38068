import Interpreter
import Lexer
import Netlink

/// Route questions answered from the model, for a namespace the run changed
/// where no kernel saw it (trace, plan): the kernel would answer from what it
/// has, which does not hold the run's changes.
extension NetworkModel {
    /// Whether the run changed this namespace where no kernel saw it: questions about
    /// routes are then answered from the model, not by the kernel.
    func isSimulated(_ namespace: NamespaceRef) -> Bool { current.simulatedChanges.contains(namespace) }

    /// The route the kernel would take to `destination` after the run's changes: the longest
    /// prefix of the main table, then the lowest metric; the source its prefsrc or an address of the link.
    func resolve(_ destination: IPAddress, in namespace: NamespaceRef, _ call: Invocation) throws -> Route? {
        let links = try self.links(namespace, call)
        let up = Set(links.filter(\.up).map(\.name))
        var candidates: [(prefix: Int, metric: UInt32, device: String, gateway: IPAddress?, source: IPAddress?)] = []
        for route in try routes(namespace, call)
        where route.family == destination.family && route.table == NetlinkConstants.tableMain && route.type == NetlinkConstants.typeUnicast {
            guard let device = route.device, up.contains(device) else { continue }
            let length = route.destination?.length ?? 0
            if let prefix = route.destination, !destination.isIn(prefix.address, length: length) { continue }
            candidates.append((length, route.metric, device, route.gateway, route.source))
        }
        for address in try addresses(namespace, call) where address.local.family == destination.family && up.contains(address.device) {
            if destination.isIn(address.network.address, length: address.prefixLength) {
                candidates.append((address.prefixLength, 0, address.device, nil, address.local))
            }
        }
        guard let best = candidates.min(by: { $0.prefix != $1.prefix ? $0.prefix > $1.prefix : $0.metric < $1.metric }) else { return nil }
        var source = best.source
        if source == nil {
            let own = try addresses(namespace, call).filter { $0.device == best.device && $0.local.family == destination.family }
            let target = best.gateway ?? destination
            source = (own.first { target.isIn($0.network.address, length: $0.prefixLength) } ?? own.first { $0.scope == 0 })?.local
        }
        return Route(device: best.device, gateway: best.gateway.map { "\($0)" }, source: source.map { "\($0)" })
    }

    /// The routes as `route list` shows them: after changes no kernel saw, with the
    /// routes the kernel would have made for the addresses on links that are up.
    func routeView(_ namespace: NamespaceRef, _ call: Invocation) throws -> [ModelRoute] {
        var routes = try self.routes(namespace, call)
        guard isSimulated(namespace) else { return routes }
        let up = Set(try links(namespace, call).filter(\.up).map(\.name))
        for address in try addresses(namespace, call)
        where up.contains(address.device) && !address.flags.contains("noprefixroute") && !address.local.isIPv6LinkLocal {
            let prefix = address.network
            guard prefix.length < prefix.address.bitLength || address.peer != nil else { continue }
            if routes.contains(where: { $0.destination == prefix && $0.device == address.device && $0.table == NetlinkConstants.tableMain }) {
                continue
            }
            var info = RouteInfo(family: address.local.family, destination: prefix, device: 0,
                                 metric: address.isIPv4 ? 0 : 256, scope: address.isIPv4 ? NetlinkConstants.scopeLink : 0,
                                 source: address.isIPv4 ? address.local : nil, protocolNumber: NetlinkConstants.protocolKernel)
            info.table = NetlinkConstants.tableMain
            routes.append(ModelRoute(info: info, device: address.device))
        }
        return routes
    }

    /// The default route of a family, from the model: the main table's, lowest metric first.
    func defaultRoute(_ family: UInt8, in namespace: NamespaceRef, _ call: Invocation) throws -> Route? {
        let route = try routes(namespace, call)
            .filter { $0.family == family && $0.destination == nil && $0.table == NetlinkConstants.tableMain && $0.type == NetlinkConstants.typeUnicast }
            .min { $0.metric < $1.metric }
        return route.map { Route(device: $0.device ?? "", gateway: $0.gateway.map { "\($0)" }, source: $0.source.map { "\($0)" }) }
    }
}
