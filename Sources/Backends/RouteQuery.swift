import Interpreter
import Lexer
import Netlink

/// Route lookups over rtnetlink, in-process: `route default` and `route get`
/// start no `ip` process. The answers are those `ip -j route show default`
/// and `ip -j route get ADDRESS` give (the commands the trace prints).
enum RouteQuery {
    static func lookup(destination: String?, family: AddressFamily, at location: SourceRange) throws -> Route? {
        do {
            let socket = try RouteSocket()
            let found: RouteInfo?
            if let destination {
                guard let address = IPAddress(destination) else {
                    throw CommandFailure("'\(destination)' is not an IPv4 or IPv6 address", at: location)
                }
                found = try socket.route(to: address)
            } else {
                // The main table's default routes, lowest metric first, as `ip route show default` lists them.
                found = try socket.routes(family: family == .ipv4 ? NetlinkConstants.familyIPv4 : NetlinkConstants.familyIPv6)
                    .filter { $0.destination == nil && $0.table == NetlinkConstants.tableMain && $0.type == NetlinkConstants.typeUnicast }
                    .min { $0.metric < $1.metric }
            }
            guard let route = found, route.device != 0,
                  let device = try socket.links().first(where: { $0.index == route.device })?.name else { return nil }
            return Route(device: device, gateway: route.gateway.map { "\($0)" }, source: route.source.map { "\($0)" })
        } catch let error as NetlinkError {
            throw CommandFailure("cannot read the routing table: \(error)", at: location,
                                 status: error.code == 0 ? ExitStatus.failure : ExitStatus.kernelRefused)
        }
    }
}
