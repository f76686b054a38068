import Interpreter
import Netlink

/// The links, addresses and routes of this namespace and of every named one,
/// as lines, for `wds run --sandbox` to show what a run changed. What the
/// kernel makes by itself (IPv6 link-local addresses, the routes of addresses
/// and the local table) and random MAC addresses are left out.
enum NetworkSnapshot {
    static func lines() -> [String] {
        var lines = namespaceLines(nil, label: "")
        for name in NetworkNamespaces.names() {
            lines.append("netns \(name)")
            lines += namespaceLines(NetworkNamespaces.path(of: name), label: "[netns \(name)] ")
        }
        return lines
    }

    static func namespaceLines(_ path: String?, label: String) -> [String] {
        guard let socket = try? RouteSocket(namespace: path), let links = try? socket.links() else { return [] }
        let names = Dictionary(links.map { ($0.index, $0.name) }, uniquingKeysWith: { first, _ in first })
        var lines: [String] = []
        for link in links {
            var parts = [link.kind.isEmpty ? "device" : link.kind, "mtu \(link.mtu)"]
            if let master = names[link.master], link.master != 0 { parts.append("master \(master)") }
            parts.append(link.isUp ? "up" : "down")
            lines.append("\(label)link \(link.name) (\(parts.joined(separator: ", ")))")
        }
        for address in (try? socket.addresses()) ?? [] where !address.local.isIPv6LinkLocal {
            lines.append("\(label)address \(address.local)/\(address.prefixLength) on \(names[address.index] ?? "?")")
        }
        for route in (try? socket.routes()) ?? []
        where route.protocolNumber != NetlinkConstants.protocolKernel && route.table != NetlinkConstants.tableLocal {
            var words = [route.destinationText]
            if let gateway = route.gateway { words += ["via", "\(gateway)"] }
            if let device = names[route.device] { words += ["dev", device] }
            if route.table != NetlinkConstants.tableMain { words += ["table", RouteInfo.tableName(route.table)] }
            lines.append("\(label)route \(words.joined(separator: " "))")
        }
        return lines
    }
}
