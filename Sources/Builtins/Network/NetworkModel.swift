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
    /// Where a simulated undo is printed (the trace) and recorded (a plan): the
    /// run's host, and the probe tracker that marks it. Held instead of the
    /// RunContext that owns this model: a weak reference to the context would
    /// give it a side table, and every retain of the context (one per builtin
    /// call) would then take the runtime's slow path.
    private var undoTarget: (host: Host, probes: ProbeTracker)?
    /// A change reached no kernel (trace, plan): the model is the run's truth from then on.
    private(set) var simulated = false
    /// The namespaces the run read or changed, in the order it first did: what `plan` compares.
    var touched: [NamespaceRef] = []
    /// Whether the run read /run/netns (or created or deleted a namespace there).
    var namesTouched = false

    var name: String { NetworkEffect.familyName }
    var hasPendingChanges: Bool { false }

    /// The run's model, made on first use (a sandbox, the REPL before its first entry).
    static func of(_ call: Invocation) -> NetworkModel {
        if let model = call.context.storage[storageKey] as? NetworkModel { return model }
        let model = NetworkModel()
        model.undoTarget = (call.context.host, call.context.probes)
        call.context.storage[storageKey] = model
        call.context.register(model)
        return model
    }

    static func install(in context: RunContext) {
        let model = NetworkModel()
        model.undoTarget = (context.host, context.probes)
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
        if simulated, let undoTarget {
            for change in history[savepoint.count...].reversed() {
                for (operation, namespace) in NetworkModel.inverse(of: change) {
                    _ = try? undoTarget.host.perform(.family(AnyFamilyEffect(NetworkEffect(operation, in: namespace))),
                                                     in: EffectContext(location: change.location, dependsOnProbe: true))
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
