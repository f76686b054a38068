#if canImport(Glibc)
import Glibc
#endif
import Interpreter
import Lexer
import Netlink

/// One thing the network family asks of the kernel or changes in it.
enum NetworkOperation: Equatable, Sendable {
    // Probes, answered with JSON text.
    case readLinks
    case readAddresses
    case readRoutes
    case routeGet(IPAddress)
    // Changes.
    case createLink(LinkSpec)
    case deleteLink(String)
    case setLink(String, LinkChange)
    case moveLink(String, MoveTarget)
    case addAddress(AddressSpec)
    case changeAddress(AddressSpec)
    case deleteAddress(AddressSpec)
    case addRoute(RouteSpec, replace: Bool)
    case deleteRoute(RouteSpec)
    case createNamespace(String)
    case deleteNamespace(String)
}

/// A network effect: an operation in a namespace. It is performed over an
/// rtnetlink socket in-process; the trace prints the `ip` command that does
/// the same (`ip -n NAME …` in a named namespace, `nsenter --net=PATH ip …`
/// in one given by path); a journaled run asks it how to put back what it
/// changes, reading the kernel just before.
struct NetworkEffect: FamilyEffect {
    static let familyName = "network"

    var namespace: NamespaceRef
    var operation: NetworkOperation
    /// Set on a failed run's undo of an address or a route it added: one the kernel took
    /// already (with a link the undo set down, a deleted primary address) is undone.
    var goneIsUndone = false

    init(_ operation: NetworkOperation, in namespace: NamespaceRef = .own) {
        self.namespace = namespace
        self.operation = operation
    }

    var family: String { NetworkEffect.familyName }

    var kind: String {
        switch operation {
        case .readLinks: return "link-dump"
        case .readAddresses: return "address-dump"
        case .readRoutes: return "route-dump"
        case .routeGet: return "route-get"
        case .createLink: return "link-add"
        case .deleteLink: return "link-delete"
        case .setLink: return "link-set"
        case .moveLink: return "link-move"
        case .addAddress: return "address-add"
        case .changeAddress: return "address-change"
        case .deleteAddress: return "address-delete"
        case .addRoute(_, let replace): return replace ? "route-replace" : "route-add"
        case .deleteRoute: return "route-delete"
        case .createNamespace: return "netns-add"
        case .deleteNamespace: return "netns-delete"
        }
    }

    var isMutation: Bool {
        switch operation {
        case .readLinks, .readAddresses, .readRoutes, .routeGet: return false
        default: return true
        }
    }

    var argv: [String] {
        switch operation {
        case .readLinks: return namespace.ip(["-j", "link", "show"])
        case .readAddresses: return namespace.ip(["-j", "address", "show"])
        case .readRoutes: return namespace.ip(["-j", "route", "show", "table", "all"])
        case .routeGet(let address): return namespace.ip((address.isIPv4 ? [] : ["-6"]) + ["-j", "route", "get", "\(address)"])
        case .createLink(let spec): return namespace.ip(["link", "add"] + spec.arguments)
        case .deleteLink(let name): return namespace.ip(["link", "delete", "dev", name])
        case .setLink(let name, let change): return namespace.ip(["link", "set", "dev", name] + change.arguments)
        case .moveLink(let name, let target): return namespace.ip(["link", "set", "dev", name, "netns", target.word])
        case .addAddress(let spec): return namespace.ip(["address", "add"] + spec.arguments())
        case .changeAddress(let spec): return namespace.ip(["address", "change"] + spec.arguments(change: true))
        case .deleteAddress(let spec): return namespace.ip(["address", "delete"] + spec.addressWords + ["dev", spec.device])
        case .addRoute(let spec, let replace): return namespace.ip(spec.ipFamilyWords + ["route", replace ? "replace" : "add"] + spec.arguments)
        case .deleteRoute(let spec): return namespace.ip(spec.ipFamilyWords + ["route", "delete"] + spec.arguments)
        case .createNamespace(let name): return ["ip", "netns", "add", name]
        case .deleteNamespace(let name): return ["ip", "netns", "delete", name]
        }
    }

    var shellCommand: String {
        // Moving a link back into wds's own namespace replays as the replaying shell's own (`$$` unquoted).
        if case .moveLink(_, .namespace(let target)) = operation, target.given == nil {
            return argv.dropLast().map(shellQuote).joined(separator: " ") + " /proc/$$/ns/net"
        }
        return shellLine(argv)
    }

    var fields: JSON {
        var fields: [(String, JSON)] = [("netns", namespace.json)]
        switch operation {
        case .readLinks, .readAddresses, .readRoutes: break
        case .routeGet(let address): fields.append(("address", .string("\(address)")))
        case .createLink(let spec): fields += spec.fields
        case .deleteLink(let name): fields.append(("name", .string(name)))
        case .setLink(let name, let change): fields += [("name", .string(name))] + change.fields
        case .moveLink(let name, let target):
            fields.append(("name", .string(name)))
            switch target {
            case .namespace(let namespace): fields.append(("to", namespace.json))
            case .pid(let pid): fields.append(("pid", .number(Double(pid))))
            }
        case .addAddress(let spec), .changeAddress(let spec), .deleteAddress(let spec): fields += spec.fields
        case .addRoute(let spec, _), .deleteRoute(let spec): fields += spec.fields
        case .createNamespace(let name), .deleteNamespace(let name): fields.append(("name", .string(name)))
        }
        return .object(fields)
    }

    /// Reads an effect back from a saved plan.
    static func decode(kind: String, fields: JSON) -> NetworkEffect? {
        let namespace = NamespaceRef(json: fields["netns"])
        let name = fields["name"]?.stringValue
        let operation: NetworkOperation?
        switch kind {
        case "link-dump": operation = .readLinks
        case "address-dump": operation = .readAddresses
        case "route-dump": operation = .readRoutes
        case "route-get": operation = fields["address"]?.stringValue.flatMap(IPAddress.init).map { .routeGet($0) }
        case "link-add": operation = LinkSpec(fields).map { .createLink($0) }
        case "link-delete": operation = name.map { .deleteLink($0) }
        case "link-set": operation = name.map { .setLink($0, LinkChange(fields)) }
        case "link-move":
            let target: MoveTarget? = fields.int("pid").map { .pid($0) } ?? fields["to"].map { .namespace(NamespaceRef(json: $0)) }
            operation = name.flatMap { name in target.map { .moveLink(name, $0) } }
        case "address-add": operation = AddressSpec(fields).map { .addAddress($0) }
        case "address-change": operation = AddressSpec(fields).map { .changeAddress($0) }
        case "address-delete": operation = AddressSpec(fields).map { .deleteAddress($0) }
        case "route-add": operation = RouteSpec(fields).map { .addRoute($0, replace: false) }
        case "route-replace": operation = RouteSpec(fields).map { .addRoute($0, replace: true) }
        case "route-delete": operation = RouteSpec(fields).map { .deleteRoute($0) }
        case "netns-add": operation = name.map { .createNamespace($0) }
        case "netns-delete": operation = name.map { .deleteNamespace($0) }
        default: operation = nil
        }
        return operation.map { NetworkEffect($0, in: namespace) }
    }

    // MARK: - Performing

    /// A change reached the kernel: answered `.process` (a backend that reaches none answers `.done`).
    static let performed = EffectResult.process(status: 0, standardOutput: "", standardError: "")

    func perform(at location: SourceRange) throws -> EffectResult {
        do {
            switch operation {
            case .createNamespace(let name):
                try NetworkNamespaces.create(name)
                return NetworkEffect.performed
            case .deleteNamespace(let name):
                try NetworkNamespaces.delete(name)
                return NetworkEffect.performed
            default:
                break
            }
            let socket = try RouteSocket(namespace: namespace.path)
            func index(_ name: String) throws -> Int32 {
                guard let link = try socket.link(named: name) else { throw NetlinkError(code: ENODEV, message: "no link '\(name)'") }
                return link.index
            }
            switch operation {
            case .readLinks:
                return .text(NetworkJSON.links(try socket.links()))
            case .readAddresses:
                return .text(NetworkJSON.addresses(try socket.addresses()))
            case .readRoutes:
                return .text(NetworkJSON.routes(try socket.routes()))
            case .routeGet(let address):
                // The device by name too: the answer must not depend on this namespace's indices.
                guard let route = try socket.route(to: address) else { return .text("null") }
                var json = NetworkJSON.route(route)
                if route.device != 0, let name = try socket.links().first(where: { $0.index == route.device })?.name,
                   case .object(var entries) = json {
                    entries.append(("dev", .string(name)))
                    json = .object(entries)
                }
                return .text(json.serialized)
            case .createLink(let spec):
                let mac = try spec.mac.map { try NetworkEffect.mac($0) }
                let kind: LinkRequests.Kind
                var peerNamespace: Int32?
                defer { if let peerNamespace { close(peerNamespace) } }
                switch spec.kind {
                case .veth(let peer, let namespace):
                    if let path = namespace?.path { peerNamespace = try NetworkEffect.openNamespace(path) }
                    kind = .veth(peer: peer, peerNamespaceFD: peerNamespace)
                case .bridge:
                    kind = .bridge
                case .vlan(let parent, let id):
                    kind = .vlan(parent: try index(parent), id: id)
                case .macvlan(let parent, let mode):
                    kind = .macvlan(parent: try index(parent), mode: LinkSpec.macvlanModes[mode] ?? 4)
                }
                try socket.perform(LinkRequests.create(name: spec.name, kind: kind, mtu: spec.mtu, mac: mac))
            case .deleteLink(let name):
                try socket.perform(LinkRequests.delete(index: try index(name)))
            case .setLink(let name, let change):
                var request = LinkRequests.Change(up: change.up, mtu: change.mtu, name: change.name)
                request.mac = try change.mac.map { try NetworkEffect.mac($0) }
                switch change.master {
                case .bridge(let bridge)?: request.master = try index(bridge)
                case .none?: request.master = 0
                case nil: break
                }
                try socket.perform(LinkRequests.set(index: try index(name), request))
            case .moveLink(let name, let target):
                var request = LinkRequests.Change()
                var descriptor: Int32?
                defer { if let descriptor { close(descriptor) } }
                switch target {
                case .pid(let pid): request.namespacePID = Int32(pid)
                case .namespace(let namespace):
                    descriptor = try NetworkEffect.openNamespace(namespace.path ?? "/proc/self/ns/net")
                    request.namespaceFD = descriptor
                }
                try socket.perform(LinkRequests.set(index: try index(name), request))
            case .addAddress(let spec):
                try socket.perform(AddressRequests.add(spec.info(index: try index(spec.device))))
            case .changeAddress(let spec):
                let device = try index(spec.device)
                var changed = try NetworkEffect.address(spec, socket, index: device) ?? spec.info(index: device)
                changed.valid = spec.valid
                changed.preferred = spec.preferred
                // What `ip address change` sends: the flags it is given, no others.
                changed.flags = spec.flagBits
                if changed.valid == nil && changed.preferred == nil { changed.valid = AddressInfo.forever }
                try socket.perform(AddressRequests.add(changed, replace: true))
            case .deleteAddress(let spec):
                try socket.perform(AddressRequests.delete(spec.info(index: try index(spec.device))))
            case .addRoute(let spec, let replace):
                try socket.perform(RouteRequests.add(try NetworkEffect.route(spec, index: index), replace: replace))
            case .deleteRoute(let spec):
                var info = try NetworkEffect.route(spec, index: index)
                info.metric = spec.metric ?? 0
                try socket.perform(RouteRequests.delete(info, scope: spec.scope))
            case .createNamespace, .deleteNamespace:
                break
            }
            return NetworkEffect.performed
        } catch let error as NetlinkError {
            // No such address (EADDRNOTAVAIL) or route (ESRCH).
            if goneIsUndone, error.code == EADDRNOTAVAIL || error.code == ESRCH { return NetworkEffect.performed }
            throw CommandFailure("cannot \(description): \(error)", at: location,
                                 status: error.code == 0 ? ExitStatus.failure : ExitStatus.kernelRefused)
        }
    }

    /// What the operation does, for messages: `create link 'w-1-0'`, `add address 10.0.0.1/24 to 'w-1-0'`.
    var description: String {
        let place = namespace.suffix
        switch operation {
        case .readLinks: return "read the links\(place)"
        case .readAddresses: return "read the addresses\(place)"
        case .readRoutes: return "read the routes\(place)"
        case .routeGet(let address): return "look up the route to \(address)\(place)"
        case .createLink(let spec): return "create \(spec.kind.name) link '\(spec.name)'\(place)"
        case .deleteLink(let name): return "delete link '\(name)'\(place)"
        case .setLink(let name, let change): return "set \(change.arguments.joined(separator: " ")) on link '\(name)'\(place)"
        case .moveLink(let name, let target): return "move link '\(name)'\(place) to netns \(target.word)"
        case .addAddress(let spec): return "add address \(spec.text) to '\(spec.device)'\(place)"
        case .changeAddress(let spec): return "change the lifetimes of \(spec.text) on '\(spec.device)'\(place)"
        case .deleteAddress(let spec): return "delete address \(spec.text) from '\(spec.device)'\(place)"
        case .addRoute(let spec, let replace): return "\(replace ? "replace" : "add") route \(spec.arguments.joined(separator: " "))\(place)"
        case .deleteRoute(let spec): return "delete route \(spec.arguments.joined(separator: " "))\(place)"
        case .createNamespace(let name): return "create network namespace '\(name)'"
        case .deleteNamespace(let name): return "delete network namespace '\(name)'"
        }
    }

    static func mac(_ text: String) throws -> [UInt8] {
        guard let bytes = LinkInfo.macBytes(text) else { throw NetlinkError(code: EINVAL, message: "'\(text)' is not a MAC address") }
        return bytes
    }

    static func openNamespace(_ path: String) throws -> Int32 {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw NetlinkError(code: errno, message: "cannot open the network namespace \(path)") }
        return fd
    }

    static func route(_ spec: RouteSpec, index: (String) throws -> Int32) throws -> RouteInfo {
        RouteInfo(family: spec.family, destination: spec.destination.map(\.network), gateway: spec.gateway,
                  device: try spec.device.map(index) ?? 0, table: spec.table, metric: spec.metric ?? 0, scope: spec.effectiveScope,
                  source: spec.source)
    }

    static func address(_ spec: AddressSpec, _ socket: RouteSocket, index: Int32) throws -> AddressInfo? {
        try socket.addresses().first {
            $0.index == index && $0.local == spec.local && (!spec.local.isIPv4 || $0.prefixLength == spec.prefixLength)
        }
    }

    // MARK: - Undoing

    /// The routes someone made (not the kernel's own, for addresses and the local table), with
    /// their links' indexes: what the undo of a change that takes them with it puts back.
    static func madeRoutes(_ socket: RouteSocket, family: UInt8 = NetlinkConstants.familyUnspecified) -> [(index: Int32, route: ModelRoute)] {
        let names = Dictionary(((try? socket.links()) ?? []).map { ($0.index, $0.name) }, uniquingKeysWith: { first, _ in first })
        return ((try? socket.routes(family: family)) ?? []).compactMap { info in
            let route = ModelRoute(info: info, device: names[info.device])
            return route.isKernelMade || info.device == 0 ? nil : (info.device, route)
        }
    }

    func undo(at location: SourceRange) throws -> FamilyUndo {
        func effects(_ operations: [NetworkOperation], in namespace: NamespaceRef? = nil) -> FamilyUndo {
            let undo = operations.map { NetworkEffect($0, in: namespace ?? self.namespace) }
            return .effects(undo.map(AnyFamilyEffect.init), description: undo.map(\.shellCommand).joined(separator: "; "))
        }
        switch operation {
        case .readLinks, .readAddresses, .readRoutes, .routeGet:
            return .nothing
        case .createNamespace(let name):
            return effects([.deleteNamespace(name)])
        case .deleteNamespace(let name):
            return .pointOfNoReturn("the deletion of network namespace \(name)")
        case .createLink(let spec):
            return effects([.deleteLink(spec.name)])
        case .deleteLink(let name):
            return .pointOfNoReturn("the deletion of link \(name)\(namespace.suffix)")
        case .addAddress(let spec):
            var undo = NetworkEffect(.deleteAddress(spec), in: namespace)
            undo.goneIsUndone = true
            return .effects([AnyFamilyEffect(undo)], description: undo.shellCommand)
        case .addRoute(let spec, false):
            var added = spec
            added.metric = spec.effectiveMetric
            var undo = NetworkEffect(.deleteRoute(added), in: namespace)
            undo.goneIsUndone = true
            return .effects([AnyFamilyEffect(undo)], description: undo.shellCommand)
        default:
            break
        }
        // What the change alters must be read first.
        guard let socket = try? RouteSocket(namespace: namespace.path) else {
            return .pointOfNoReturn("a change of \(description), whose state could not be read")
        }
        switch operation {
        case .setLink(let name, let change):
            guard let link = try? socket.link(named: name) else { return .nothing }  // the change itself will fail
            var back = LinkChange()
            if change.up != nil { back.up = link.isUp }
            if change.mtu != nil { back.mtu = link.mtu }
            if change.mac != nil { back.mac = link.mac }
            if change.name != nil { back.name = name }
            if change.master != nil {
                let links = (try? socket.links()) ?? []
                back.master = links.first { $0.index == link.master && link.master != 0 }.map { .bridge($0.name) } ?? LinkChange.Master.none
            }
            var undo: [NetworkOperation] = [.setLink(change.name ?? name, back)]
            if change.up == false && link.isUp {
                // Down, the link loses its IPv6 addresses and every route through it: up again, they are put back
                // (its link-local address and the routes of its addresses the kernel makes again by itself).
                let addresses = ((try? socket.addresses()) ?? []).filter {
                    $0.index == link.index && !$0.local.isIPv4 && $0.scope != NetlinkConstants.scopeLink
                }
                undo += addresses.map { .addAddress(ModelAddress(device: change.name ?? name, info: $0).spec) }
                undo += NetworkEffect.madeRoutes(socket).filter { $0.index == link.index }.map { made in
                    var route = made.route
                    route.device = change.name ?? name
                    return .addRoute(route.spec, replace: false)
                }
            }
            // The journal performs an undo's effects last first.
            return effects(undo.reversed())
        case .moveLink(let name, let target):
            // Moved back from where it went, into this namespace (its addresses stay lost: the move took them).
            return effects([.moveLink(name, .namespace(namespace))], in: target.namespace)
        case .changeAddress(let spec), .deleteAddress(let spec):
            guard let index = try? socket.link(named: spec.device)?.index,
                  let current = try? NetworkEffect.address(spec, socket, index: index) else { return .nothing }
            var old = ModelAddress(device: spec.device, info: current).spec
            if case .changeAddress = operation {
                old.lifetimesGiven = true
                return effects([.changeAddress(old)])
            }
            guard current.local.isIPv4 else { return effects([.addAddress(old)]) }
            // The kernel takes more with an IPv4 address: a primary's secondaries (promote_secondaries off),
            // the routes that send from what goes, and with the link's last IPv4 address every IPv4 route through it.
            let onLink = ((try? socket.addresses()) ?? []).filter { $0.index == index && $0.local.isIPv4 }
            let network = ModelAddress(device: spec.device, info: current).network
            let sameNetwork = onLink.filter { ModelAddress(device: spec.device, info: $0).network == network }
            let gone = sameNetwork.first == current ? sameNetwork : [current]
            var undo: [NetworkOperation] = gone.map { .addAddress(ModelAddress(device: spec.device, info: $0).spec) }
            let lastAddress = onLink.allSatisfy { gone.contains($0) }
            undo += NetworkEffect.madeRoutes(socket, family: NetlinkConstants.familyIPv4).filter { made in
                made.route.source.map { source in gone.contains { $0.local == source } } == true || (lastAddress && made.index == index)
            }.map { .addRoute($0.route.spec, replace: false) }
            return effects(undo.reversed())
        case .addRoute(let spec, _), .deleteRoute(let spec):
            let names = Dictionary(((try? socket.links()) ?? []).map { ($0.index, $0.name) }, uniquingKeysWith: { first, _ in first })
            let existing = ((try? socket.routes(family: spec.family)) ?? []).map { ModelRoute(info: $0, device: names[$0.device]) }
            if case .deleteRoute = operation {
                guard let old = existing.first(where: { $0.matches(spec) }) else { return .nothing }
                return effects([.addRoute(old.spec, replace: false)])
            }
            // A replace puts back the route it replaced, or removes the one it added.
            var added = spec
            added.metric = spec.effectiveMetric
            let key = ModelRoute(spec).key
            if let old = existing.first(where: { $0.key == key }) { return effects([.addRoute(old.spec, replace: true)]) }
            return effects([.deleteRoute(added)])
        default:
            return .nothing
        }
    }
}
