import Interpreter
import Lexer
import Netlink

/// The run's model of links, addresses, routes and named namespaces, kept in
/// `RunContext.storage["network"]` and registered as a `TransactionalFamily`.
/// Each part of each namespace is read from the kernel the first time a
/// statement needs it (one netlink dump, a probe the trace lists), and every
/// change is decided on it before it is made: a link that exists makes
/// `veth create` fail at that statement, where `||`, `try` and `if` see it.
///
/// Changes are not batched: each is one netlink request, made at its
/// statement. Where a change reaches the kernel (`wds run`), the model
/// forgets what it read and reads again when asked, since the kernel adds
/// things of its own (link-local addresses, the routes of an address). Where
/// none does (trace, plan), the model is changed as the kernel would change,
/// and it is the only truth there is of the run's changes.
final class NetworkModel: TransactionalFamily {
    static let storageKey = "network"

    /// What the model knows, as one value: a savepoint keeps a copy.
    struct Snapshot {
        var namespaces: [NamespaceRef: NamespaceState] = [:]
        /// The names under /run/netns, once read.
        var names: Set<String>?
        /// The namespaces whose state the run changed without a kernel seeing it.
        var simulatedChanges: Set<NamespaceRef> = []
    }

    /// One change the run made: the model before it, to go back to when a caught failure is undone.
    struct Change {
        var before: Snapshot
        var operation: NetworkOperation
        var namespace: NamespaceRef
        var location: SourceRange
    }

    var current = Snapshot()
    private var history: [Change] = []
    /// Where a simulated undo is printed (the trace) and recorded (a plan): the run's host.
    private weak var context: RunContext?
    /// A change reached no kernel (trace, plan): the model is the run's truth from then on.
    private(set) var simulated = false
    /// What the kernel held in each namespace when first read (before the run's changes): what `plan` compares with.
    private(set) var touched: [NamespaceRef] = []
    private(set) var namesTouched = false

    var name: String { NetworkEffect.familyName }
    var hasPendingChanges: Bool { false }

    /// The run's model, made on first use (a sandbox, the REPL before its first entry).
    static func of(_ call: Invocation) -> NetworkModel {
        if let model = call.context.storage[storageKey] as? NetworkModel { return model }
        let model = NetworkModel()
        model.context = call.context
        call.context.storage[storageKey] = model
        call.context.register(model)
        return model
    }

    static func install(in context: RunContext) {
        let model = NetworkModel()
        model.context = context
        context.storage[storageKey] = model
        context.register(model)
    }

    // MARK: - TransactionalFamily

    func commit(_ context: RunContext) throws {}

    func abandon(_ context: RunContext) {
        current = Snapshot()
        history = []
    }

    func forgetHost() {
        // Where no change reached a kernel, the model is all there is of the run's changes.
        guard !simulated else { return }
        current = Snapshot()
    }

    func savepoint() -> FamilySavepoint { FamilySavepoint(generation: 0, count: history.count) }

    /// A caught failure: a real run's journal has put the kernel back, so the model reads it
    /// again. A simulated run undoes the changes as the journal would, latest first, through
    /// the host, so the trace prints the commands that undo them and a replay ends as the run did.
    func rollBack(to savepoint: FamilySavepoint) {
        guard history.count > savepoint.count else { return }
        if simulated, let context {
            for change in history[savepoint.count...].reversed() {
                for (operation, namespace) in NetworkModel.inverse(of: change) {
                    context.probes.mutationDependsOnProbe = true
                    _ = try? context.host.perform(.family(AnyFamilyEffect(NetworkEffect(operation, in: namespace))), at: change.location)
                }
            }
        }
        current = simulated ? history[savepoint.count].before : Snapshot()
        history.removeSubrange(savepoint.count...)
    }

    /// What undoes a change, decided on the model as it was before it (as `NetworkEffect.undo` decides
    /// on the kernel); nothing for what cannot be undone exactly (a deleted link or namespace).
    static func inverse(of change: Change) -> [(NetworkOperation, NamespaceRef)] {
        let namespace = change.namespace
        let before = change.before.namespaces[namespace]
        switch change.operation {
        case .readLinks, .readAddresses, .readRoutes, .routeGet, .deleteLink, .deleteNamespace:
            return []
        case .createNamespace(let name):
            return [(.deleteNamespace(name), .own)]
        case .createLink(let spec):
            return [(.deleteLink(spec.name), namespace)]
        case .setLink(let name, let change):
            guard let link = before?.links?.first(where: { $0.name == name }) else { return [] }
            var back = LinkChange()
            if change.up != nil { back.up = link.up }
            if change.mtu != nil { back.mtu = link.mtu }
            if change.mac != nil, let mac = link.mac { back.mac = mac }
            if change.name != nil { back.name = name }
            if change.master != nil { back.master = link.master.map { .bridge($0) } ?? LinkChange.Master.none }
            return back.isEmpty ? [] : [(.setLink(change.name ?? name, back), namespace)]
        case .moveLink(let name, let target):
            return [(.moveLink(name, .namespace(namespace)), target.namespace)]
        case .addAddress(let spec):
            return [(.deleteAddress(spec), namespace)]
        case .changeAddress(let spec), .deleteAddress(let spec):
            let wanted = ModelAddress(spec)
            guard let old = before?.addresses?.first(where: { $0.isSame(as: wanted) }) else { return [] }
            if case .changeAddress = change.operation {
                var spec = old.spec
                spec.lifetimesGiven = true
                return [(.changeAddress(spec), namespace)]
            }
            return [(.addAddress(old.spec), namespace)]
        case .addRoute(let spec, let replace):
            var added = spec
            added.metric = spec.effectiveMetric
            if replace, let old = before?.routes?.first(where: { $0.key == ModelRoute(spec).key }) {
                return [(.addRoute(old.spec, replace: true), namespace)]
            }
            return [(.deleteRoute(added), namespace)]
        case .deleteRoute(let spec):
            guard let old = before?.routes?.first(where: { $0.matches(spec) }) else { return [] }
            return [(.addRoute(old.spec, replace: false), namespace)]
        }
    }

    // MARK: - Reading

    private func read(_ operation: NetworkOperation, in namespace: NamespaceRef, _ call: Invocation) throws -> String {
        if !touched.contains(namespace) { touched.append(namespace) }
        let result = try call.perform(.family(AnyFamilyEffect(NetworkEffect(operation, in: namespace))))
        guard case .text(let text) = result else { return "[]" }
        return text
    }

    /// The links of a namespace as the run has left them.
    func links(_ namespace: NamespaceRef, _ call: Invocation) throws -> [ModelLink] {
        call.context.probes.builtinConsultedHost = true
        if let links = current.namespaces[namespace]?.links { return links }
        try requireNamespace(namespace, call)
        let links = try NetworkJSON.readLinks(try read(.readLinks, in: namespace, call))
        current.namespaces[namespace, default: NamespaceState()].links = links
        return links
    }

    func link(_ name: String, in namespace: NamespaceRef, _ call: Invocation) throws -> ModelLink? {
        try links(namespace, call).first { $0.name == name }
    }

    /// The link, or a failure that says there is none (with the names there are).
    func requireLink(_ name: String, in namespace: NamespaceRef, _ call: Invocation) throws -> ModelLink {
        if let link = try link(name, in: namespace, call) { return link }
        let names = try links(namespace, call).map(\.name)
        throw refusal("no link '\(name)'\(namespace.suffix)", call, kernel: "No such device",
                      hint: Suggestions.didYouMean(name, in: names) ?? "the links\(namespace.suffix): \(names.joined(separator: ", "))")
    }

    /// The addresses of a namespace, each on its link by name. Addresses of links
    /// the run deleted or moved away are gone (the kernel takes them with the link).
    func addresses(_ namespace: NamespaceRef, _ call: Invocation) throws -> [ModelAddress] {
        call.context.probes.builtinConsultedHost = true
        if let addresses = current.namespaces[namespace]?.addresses { return addresses }
        let names = try indexNames(namespace, call)
        let addresses = try NetworkJSON.readAddresses(try read(.readAddresses, in: namespace, call), linkNames: names)
            .filter { address in names.values.contains(address.device) }
        current.namespaces[namespace, default: NamespaceState()].addresses = addresses
        return addresses
    }

    /// The routes of a namespace, every table, both families.
    func routes(_ namespace: NamespaceRef, _ call: Invocation) throws -> [ModelRoute] {
        call.context.probes.builtinConsultedHost = true
        if let routes = current.namespaces[namespace]?.routes { return routes }
        let names = try indexNames(namespace, call)
        let routes = try NetworkJSON.readRoutes(try read(.readRoutes, in: namespace, call), linkNames: names)
            .filter { route in route.device.map { names.values.contains($0) } ?? true }
        current.namespaces[namespace, default: NamespaceState()].routes = routes
        return routes
    }

    /// Kernel index → the name the model knows the link by now (a rename keeps the index).
    private func indexNames(_ namespace: NamespaceRef, _ call: Invocation) throws -> [Int32: String] {
        var names: [Int32: String] = [:]
        for link in try links(namespace, call) { if let index = link.index { names[index] = link.name } }
        return names
    }

    /// The named namespaces, from /run/netns.
    func namespaceNames(_ call: Invocation) throws -> Set<String> {
        call.context.probes.builtinConsultedHost = true
        if let names = current.names { return names }
        namesTouched = true
        var names: Set<String> = []
        // No /run/netns is no namespace.
        if case .names(let listed)? = try? call.perform(.listDirectory(path: NetworkNamespaces.directory)) { names = Set(listed) }
        current.names = names
        return names
    }

    /// A namespace named in the script must exist: one the run deleted, or that was never
    /// made when the run knows the names, is a failure here, not a kernel error later.
    private func requireNamespace(_ namespace: NamespaceRef, _ call: Invocation) throws {
        guard let name = namespace.name, namesTouched || current.names != nil else { return }
        let names = try namespaceNames(call)
        if !names.contains(name) {
            throw refusal("no network namespace '\(name)'", call, kernel: "No such file or directory",
                          hint: "create it first with `netns create \(name)`")
        }
    }

    // MARK: - Changing

    /// Decides `operation` on the model (throwing where the kernel would refuse
    /// it), makes it at this statement, and changes the model as the kernel would.
    func perform(_ operation: NetworkOperation, in namespace: NamespaceRef, _ call: Invocation) throws {
        // What is read here only checks that the kernel would take the change: the change's words
        // do not depend on it, so it does not mark the trace line "after a probe".
        let probes = call.context.probes
        let (countBefore, consultedBefore) = (probes.count, probes.builtinConsultedHost)
        if !touched.contains(namespace) { touched.append(namespace) }
        let before = current
        try decide(operation, in: namespace, call)
        (probes.count, probes.builtinConsultedHost) = (countBefore, consultedBefore)
        history.append(Change(before: before, operation: operation, namespace: namespace, location: call.range))
        let result: EffectResult
        do {
            result = try call.perform(.family(AnyFamilyEffect(NetworkEffect(operation, in: namespace))))
        } catch {
            // The model took the change; the kernel did not (or not all of it): read it again.
            history.removeLast()
            current = simulated ? before : Snapshot()
            throw error
        }
        if case .process = result {
            // The kernel has it, and what it added of its own: read it again when asked.
            current = Snapshot()
        } else {
            simulated = true
            current.simulatedChanges.insert(namespace)
            for other in operation.otherNamespaces { current.simulatedChanges.insert(other) }
        }
    }

    /// Checks the change against the model, then applies it there. Reads come first, so a refusal changes nothing.
    private func decide(_ operation: NetworkOperation, in namespace: NamespaceRef, _ call: Invocation) throws {
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

    private func createLink(_ spec: LinkSpec, in namespace: NamespaceRef, _ call: Invocation) throws {
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

    private func setLink(_ name: String, _ change: LinkChange, in namespace: NamespaceRef, _ call: Invocation) throws {
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
    private func removeLinks(_ names: [String], from namespace: NamespaceRef, deletingPeers: Bool) {
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
    private func updateLink(_ name: String, in namespace: NamespaceRef, _ change: (inout ModelLink) -> Void) {
        guard var links = current.namespaces[namespace]?.links, let index = links.firstIndex(where: { $0.name == name }) else { return }
        change(&links[index])
        current.namespaces[namespace]?.links = links
    }

    private func addAddress(_ spec: AddressSpec, in namespace: NamespaceRef, _ call: Invocation) throws {
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

    private func deleteAddress(at index: Int, _ addresses: [ModelAddress], in namespace: NamespaceRef, _ call: Invocation) throws {
        var addresses = addresses
        let removed = addresses.remove(at: index)
        if removed.isIPv4 {
            // The first address of a subnet is its primary: its secondaries go with it (promote_secondaries is off).
            let isPrimary = !addresses[..<index].contains { $0.device == removed.device && $0.isIPv4 && $0.network == removed.network }
            if isPrimary { addresses.removeAll { $0.device == removed.device && $0.isIPv4 && $0.network == removed.network } }
            // Routes that send from it go too.
            current.namespaces[namespace]?.routes?.removeAll { $0.source == removed.local }
        }
        current.namespaces[namespace]?.addresses = addresses
    }

    private func addRoute(_ spec: RouteSpec, replace: Bool, in namespace: NamespaceRef, _ call: Invocation) throws {
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

    private func refusal(_ message: String, _ call: Invocation, kernel: String, hint: String? = nil) -> CommandFailure {
        CommandFailure("\(message) (kernel: \(kernel))", at: call.range, status: ExitStatus.kernelRefused, hint: hint)
    }

    // MARK: - Routes as the model has them

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

extension NetworkOperation {
    /// The namespaces a change reaches besides its own: where a peer is made, where a link moves.
    var otherNamespaces: [NamespaceRef] {
        switch self {
        case .createLink(let spec):
            if case .veth(_, let other?) = spec.kind { return [other] }
            return []
        case .moveLink(_, let target): return [target.namespace]
        case .createNamespace(let name), .deleteNamespace(let name): return [NamespaceRef(given: name)]
        default: return []
        }
    }
}
