import Interpreter
import Lexer
import Netlink

/// Deciding a change on the model: refused where the kernel would refuse it,
/// and otherwise applied as the kernel applies it (what goes with a deleted
/// link, a bridge's MTU, where an address is listed). Reads come first, so a
/// refusal changes nothing.
extension NetworkModel {
    /// Checks the change against the model, then applies it there. Reads come first, so a refusal changes nothing.
    func decide(_ operation: NetworkOperation, in namespace: NamespaceRef, _ call: Invocation) throws {
        switch operation {
        case .readLinks, .readAddresses, .readRoutes, .routeGet:
            return
        case .createNamespace(let name):
            var names = try namespaceNames(call)
            if names.contains(name) {
                throw refusal("network namespace '\(name)' already exists", call, kernel: "File exists")
            }
            names.insert(name)
            current.names = names
            current.namespaces[NamespaceRef(given: name)] = .fresh
            if !touched.contains(NamespaceRef(given: name)) { touched.append(NamespaceRef(given: name)) }
        case .deleteNamespace(let name):
            var names = try namespaceNames(call)
            guard names.contains(name) else { throw refusal("no network namespace '\(name)'", call, kernel: "No such file or directory") }
            names.remove(name)
            current.names = names
            current.namespaces[NamespaceRef(given: name)] = nil
            current.namespaces[NamespaceRef(given: NetworkNamespaces.path(of: name))] = nil
        case .createLink(let spec):
            try createLink(spec, in: namespace, call)
        case .deleteLink(let name):
            _ = try requireLink(name, in: namespace, call)
            removeLinks([name], from: namespace, deletingPeers: true)
        case .setLink(let name, let change):
            try setLink(name, change, in: namespace, call)
        case .moveLink(let name, let target):
            var link = try requireLink(name, in: namespace, call)
            let destination = target.namespace
            guard destination != namespace else { return }
            if try self.link(name, in: destination, call) != nil {
                throw refusal("link '\(name)' already exists\(destination.suffix)", call, kernel: "File exists")
            }
            removeLinks([name], from: namespace, deletingPeers: false)
            // It arrives down, without addresses, under its name; the kernel gives it a new index.
            link.index = nil
            link.up = false
            link.master = nil
            link.readFlags = nil
            link.readState = nil
            // A veth pair stays a pair across namespaces.
            if let peer = link.peer {
                link.peer = nil
                link.remotePeer = RemotePeer(namespace: namespace, name: peer)
                updateLink(peer, in: namespace) { $0.peer = nil; $0.remotePeer = RemotePeer(namespace: destination, name: name) }
            } else if let remote = link.remotePeer {
                if remote.namespace == destination {
                    link.remotePeer = nil
                    link.peer = remote.name
                    updateLink(remote.name, in: destination) { $0.remotePeer = nil; $0.peer = name }
                } else {
                    updateLink(remote.name, in: remote.namespace) { $0.remotePeer = RemotePeer(namespace: destination, name: name) }
                }
            }
            current.namespaces[destination, default: NamespaceState()].links?.append(link)
            if !touched.contains(destination) { touched.append(destination) }
        case .addAddress(let spec):
            try addAddress(spec, in: namespace, call)
        case .changeAddress(let spec), .deleteAddress(let spec):
            _ = try requireLink(spec.device, in: namespace, call)
            var addresses = try self.addresses(namespace, call)
            let wanted = ModelAddress(spec)
            guard let index = addresses.firstIndex(where: { $0.isSame(as: wanted) }) else {
                throw refusal("no address \(spec.text) on '\(spec.device)'\(namespace.suffix)", call, kernel: "Cannot assign requested address")
            }
            if case .changeAddress = operation {
                addresses[index].valid = spec.valid
                addresses[index].preferred = spec.preferred
                addresses[index].flags.removeAll { $0 == "permanent" || $0 == "deprecated" }
                if spec.valid == nil { addresses[index].flags.append("permanent") }
                if spec.preferred == 0 { addresses[index].flags.append("deprecated") }
                addresses[index].flags = ModelAddress.ordered(addresses[index].flags)
                current.namespaces[namespace]?.addresses = addresses
            } else {
                try deleteAddress(at: index, addresses, in: namespace, call)
            }
        case .addRoute(let spec, let replace):
            try addRoute(spec, replace: replace, in: namespace, call)
        case .deleteRoute(let spec):
            var routes = try self.routes(namespace, call)
            guard let index = routes.firstIndex(where: { $0.matches(spec) }) else {
                throw refusal("no route \(spec.arguments.joined(separator: " "))\(namespace.suffix)", call, kernel: "No such process")
            }
            routes.remove(at: index)
            current.namespaces[namespace]?.routes = routes
        }
    }

    func createLink(_ spec: LinkSpec, in namespace: NamespaceRef, _ call: Invocation) throws {
        var links = try self.links(namespace, call)
        if links.contains(where: { $0.name == spec.name }) {
            throw refusal("link '\(spec.name)' already exists\(namespace.suffix)", call, kernel: "File exists")
        }
        var link = ModelLink(name: spec.name, index: nil, kind: spec.kind.name, up: false, mtu: spec.mtu ?? 1500, mac: spec.mac)
        link.creation = spec
        switch spec.kind {
        case .veth(let peer, let peerNamespace):
            let other = peerNamespace ?? namespace
            let peerExists = try self.link(peer, in: other, call) != nil
            if peer == spec.name && other == namespace || peerExists {
                throw refusal("link '\(peer)' already exists\(other.suffix)", call, kernel: "File exists")
            }
            var peerLink = ModelLink(name: peer, index: nil, kind: "veth", up: false, mtu: spec.mtu ?? 1500, mac: nil)
            if other == namespace {
                link.peer = peer
                peerLink.peer = spec.name
                links.append(link)
                links.append(peerLink)
            } else {
                link.remotePeer = RemotePeer(namespace: other, name: peer)
                peerLink.remotePeer = RemotePeer(namespace: namespace, name: spec.name)
                links.append(link)
                current.namespaces[other, default: NamespaceState()].links?.append(peerLink)
                if !touched.contains(other) { touched.append(other) }
            }
        case .bridge:
            links.append(link)
        case .vlan(let parent, _), .macvlan(let parent, _):
            let lower = try requireLink(parent, in: namespace, call)
            link.parent = parent
            link.mtu = spec.mtu ?? lower.mtu
            links.append(link)
        }
        current.namespaces[namespace]?.links = links
    }

    func setLink(_ name: String, _ change: LinkChange, in namespace: NamespaceRef, _ call: Invocation) throws {
        var link = try requireLink(name, in: namespace, call)
        if let newName = change.name, newName != name, try self.link(newName, in: namespace, call) != nil {
            throw refusal("link '\(newName)' already exists\(namespace.suffix)", call, kernel: "File exists")
        }
        if case .bridge(let bridge)? = change.master {
            let master = try requireLink(bridge, in: namespace, call)
            guard ["bridge", "bond", "team", "vrf"].contains(master.kind), bridge != name else {
                throw refusal("link '\(bridge)' is a \(master.kind.isEmpty ? "device" : master.kind), not a bridge: '\(name)' cannot be its port",
                              call, kernel: "Operation not supported")
            }
        }
        if let mac = change.mac, let first = LinkInfo.macBytes(mac)?.first, first & 1 == 1 {
            throw refusal("\(mac) is a multicast address: a link cannot have it", call, kernel: "Cannot assign requested address")
        }
        // Taking a link down removes its IPv6 addresses and every route through it: read them first.
        if change.up == false && link.up {
            var addresses = try self.addresses(namespace, call)
            var routes = try self.routes(namespace, call)
            addresses.removeAll { $0.device == name && !$0.isIPv4 }
            routes.removeAll { $0.device == name }
            current.namespaces[namespace]?.addresses = addresses
            current.namespaces[namespace]?.routes = routes
        }
        if let up = change.up, up != link.up {
            link.up = up
            link.readFlags = nil
            link.readState = nil
        }
        if let mtu = change.mtu {
            link.mtu = mtu
            if link.kind == "bridge" { link.mtuSetByUser = true }
        }
        if let mac = change.mac { link.mac = mac }
        switch change.master {
        case .bridge(let bridge)?: link.master = bridge
        case .none?: link.master = nil
        case nil: break
        }
        var links = try self.links(namespace, call)
        if let newName = change.name, newName != name {
            link.name = newName
            // Everything that names the link follows it (the kernel knows them by index).
            if let remote = link.remotePeer {
                updateLink(remote.name, in: remote.namespace) { $0.remotePeer?.name = newName }
            }
            for index in links.indices {
                if links[index].peer == name { links[index].peer = newName }
                if links[index].master == name { links[index].master = newName }
                if links[index].parent == name { links[index].parent = newName }
            }
            if var addresses = current.namespaces[namespace]?.addresses {
                for index in addresses.indices where addresses[index].device == name {
                    addresses[index].device = newName
                    if addresses[index].label == name { addresses[index].label = newName }
                }
                current.namespaces[namespace]?.addresses = addresses
            }
            if var routes = current.namespaces[namespace]?.routes {
                for index in routes.indices where routes[index].device == name { routes[index].device = newName }
                current.namespaces[namespace]?.routes = routes
            }
        }
        let oldMaster = links.first { $0.name == name }?.master
        if let index = links.firstIndex(where: { $0.name == name }) { links[index] = link }
        if let mtu = change.mtu {
            // VLANs and macvlans on it cannot be larger than it.
            for index in links.indices where links[index].parent == link.name && links[index].mtu > mtu { links[index].mtu = mtu }
        }
        if change.master != nil || change.mtu != nil {
            NetworkModel.adjustBridgeMTU([oldMaster, link.master].compactMap { $0 }, in: &links)
        }
        current.namespaces[namespace]?.links = links
    }

    /// A bridge whose MTU was not set after it was made takes the smallest of its ports' (1500 without ports).
    static func adjustBridgeMTU(_ bridges: [String], in links: inout [ModelLink]) {
        for bridge in Set(bridges) {
            guard let index = links.firstIndex(where: { $0.name == bridge && $0.kind == "bridge" }), !links[index].mtuSetByUser else { continue }
            links[index].mtu = links.filter { $0.master == bridge }.map(\.mtu).min() ?? 1500
        }
    }

    /// Removes links with what goes with them: their addresses and routes, VLANs and
    /// macvlans on them, and (when deleting) a veth's other end.
    func removeLinks(_ names: [String], from namespace: NamespaceRef, deletingPeers: Bool) {
        guard var links = current.namespaces[namespace]?.links else { return }
        var gone = Set(names)
        var changed = true
        while changed {
            changed = false
            for link in links where !gone.contains(link.name) {
                let peerGoes = deletingPeers && link.peer.map(gone.contains) == true
                if peerGoes || link.parent.map(gone.contains) == true {
                    gone.insert(link.name)
                    changed = true
                }
            }
        }
        // A veth whose other end is in another namespace takes it with it.
        let remote = deletingPeers ? links.filter { gone.contains($0.name) }.compactMap(\.remotePeer) : []
        let bridges = links.filter { gone.contains($0.name) }.compactMap(\.master)
        links.removeAll { gone.contains($0.name) }
        NetworkModel.adjustBridgeMTU(bridges, in: &links)
        for index in links.indices {
            if let master = links[index].master, gone.contains(master) { links[index].master = nil }
            if let peer = links[index].peer, gone.contains(peer) { links[index].peer = nil }
        }
        current.namespaces[namespace]?.links = links
        current.namespaces[namespace]?.addresses?.removeAll { gone.contains($0.device) }
        current.namespaces[namespace]?.routes?.removeAll { $0.device.map(gone.contains) == true }
        for peer in remote where peer.namespace != namespace { removeLinks([peer.name], from: peer.namespace, deletingPeers: false) }
    }

    /// Changes a link the model knows, wherever it is; nothing when that namespace is not read.
    func updateLink(_ name: String, in namespace: NamespaceRef, _ change: (inout ModelLink) -> Void) {
        guard var links = current.namespaces[namespace]?.links, let index = links.firstIndex(where: { $0.name == name }) else { return }
        change(&links[index])
        current.namespaces[namespace]?.links = links
    }

    func addAddress(_ spec: AddressSpec, in namespace: NamespaceRef, _ call: Invocation) throws {
        _ = try requireLink(spec.device, in: namespace, call)
        var addresses = try self.addresses(namespace, call)
        var address = ModelAddress(spec)
        if let existing = addresses.first(where: { $0.isSame(as: address) }) {
            throw refusal("address \(existing.text) is already on '\(spec.device)'\(namespace.suffix)", call, kernel: "File exists")
        }
        // Where the kernel lists it: among the link's addresses of its family; an IPv4 address in a
        // subnet the link has already is a secondary, after the primaries, which go by scope (host, link, global).
        let block = addresses.indices.filter { addresses[$0].device == spec.device && addresses[$0].isIPv4 == address.isIPv4 }
        var position = block.last.map { $0 + 1 } ?? addresses.endIndex
        if address.isIPv4 {
            if block.contains(where: { addresses[$0].network == address.network }) {
                address.flags = ModelAddress.ordered(address.flags + ["secondary"])
            } else if let first = block.first {
                let primaries = block.filter { !addresses[$0].flags.contains("secondary") }
                position = primaries.last(where: { addresses[$0].scope >= address.scope }).map { $0 + 1 } ?? first
            }
        }
        addresses.insert(address, at: position)
        current.namespaces[namespace]?.addresses = addresses
    }

    func deleteAddress(at index: Int, _ addresses: [ModelAddress], in namespace: NamespaceRef, _ call: Invocation) throws {
        let original = addresses
        var addresses = addresses
        let removed = addresses.remove(at: index)
        if removed.isIPv4 {
            // The first address of a subnet is its primary: its secondaries go with it (promote_secondaries is off).
            let isPrimary = !addresses[..<index].contains { $0.device == removed.device && $0.isIPv4 && $0.network == removed.network }
            if isPrimary { addresses.removeAll { $0.device == removed.device && $0.isIPv4 && $0.network == removed.network } }
            // Routes that send from what went go too; and with the link's last IPv4 address, every IPv4 route through it.
            let kept = Set(addresses.map(\.local))
            let lost = original.filter { !kept.contains($0.local) && $0.isIPv4 }.map(\.local)
            let last = !addresses.contains { $0.device == removed.device && $0.isIPv4 }
            // Read them first: a route the model reads later must not come back from the kernel as it was.
            var routes = try self.routes(namespace, call)
            routes.removeAll { route in
                route.source.map(lost.contains) == true || (last && route.isIPv4 && route.device == removed.device)
            }
            current.namespaces[namespace]?.routes = routes
        }
        current.namespaces[namespace]?.addresses = addresses
    }

    func addRoute(_ spec: RouteSpec, replace: Bool, in namespace: NamespaceRef, _ call: Invocation) throws {
        if let device = spec.device { _ = try requireLink(device, in: namespace, call) }
        var routes = try self.routes(namespace, call)
        var route = ModelRoute(spec)
        if route.device == nil, let gateway = spec.gateway {
            // The kernel sends it out of the link whose network holds the gateway.
            let up = Set(try links(namespace, call).filter(\.up).map(\.name))
            route.device = try connectedNetworks(namespace, call).first {
                up.contains($0.device) && gateway.isIn($0.prefix.address, length: $0.prefix.length)
            }?.device
        }
        if spec.isIPv4, let gateway = spec.gateway {
            // The kernel takes a gateway only on a network a link that is up reaches directly.
            let links = try self.links(namespace, call)
            let connected = try connectedNetworks(namespace, call)
            let reached = connected.contains { network in
                (spec.device == nil || network.device == spec.device) && gateway.isIn(network.prefix.address, length: network.prefix.length)
                    && links.contains { $0.name == network.device && $0.up }
            }
            if !reached {
                throw refusal("gateway \(gateway) is on no network \(spec.device.map { "'\($0)'" } ?? "a link") reaches directly\(namespace.suffix)",
                              call, kernel: "Network is unreachable (Nexthop has invalid gateway)",
                              hint: "add an address in \(gateway)'s network to the link, and set it up, before the route")
            }
        }
        if spec.isIPv4, let source = spec.source, !(try addresses(namespace, call)).contains(where: { $0.local == source }) {
            throw refusal("\(source) is not an address of this host\(namespace.suffix): a route cannot send from it", call,
                          kernel: "Invalid argument (Invalid prefsrc address)")
        }
        if let existing = routes.firstIndex(where: { $0.key == route.key }) {
            guard replace else {
                throw refusal("route \(routes[existing].destinationText) (table \(RouteInfo.tableName(route.table)), metric \(route.metric)) already exists\(namespace.suffix)",
                              call, kernel: "File exists", hint: "`route replace` changes a route that exists")
            }
            routes.remove(at: existing)
        }
        routes.append(route)
        current.namespaces[namespace]?.routes = routes
    }

    /// The networks each link reaches directly: its addresses' networks, and routes without a gateway.
    func connectedNetworks(_ namespace: NamespaceRef, _ call: Invocation) throws -> [(device: String, prefix: IPPrefix, source: IPAddress?)] {
        var networks: [(device: String, prefix: IPPrefix, source: IPAddress?)] = []
        for address in try addresses(namespace, call) { networks.append((address.device, address.network, address.local)) }
        for route in try routes(namespace, call) where route.gateway == nil && route.table == NetlinkConstants.tableMain {
            if let device = route.device, let destination = route.destination { networks.append((device, destination, route.source)) }
        }
        return networks
    }

    func refusal(_ message: String, _ call: Invocation, kernel: String, hint: String? = nil) -> CommandFailure {
        CommandFailure("\(message) (kernel: \(kernel))", at: call.range, status: ExitStatus.kernelRefused, hint: hint)
    }
}
