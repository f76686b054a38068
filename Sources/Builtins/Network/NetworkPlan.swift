import Interpreter
import Lexer
import Netlink

/// What a run's network changes would do, for `wds plan` and `wds verify`:
/// the kernel's links, addresses and routes (read again, live) against the
/// model after the run, in every namespace the run looked at. What the kernel
/// makes by itself is left out on both sides: IPv6 link-local addresses, and
/// the routes of addresses and of the local table. `verify --fix` puts back
/// what is missing or different, in the order that lets each piece go in:
/// namespaces, links, their settings, addresses, routes.
extension NetworkModel: PlannableFamily {
    func plan(_ context: RunContext, at location: SourceRange) throws -> FamilyPlan {
        var plan = FamilyPlan()
        var creations: [Effect] = [], settings: [Effect] = [], addressFixes: [Effect] = [], routeFixes: [Effect] = []

        func live(_ operation: NetworkOperation, in namespace: NamespaceRef) -> String? {
            guard case .text(let text)? = try? context.host.perform(.family(AnyFamilyEffect(NetworkEffect(operation, in: namespace))), at: location)
            else { return nil }
            return text
        }
        func fix(_ operation: NetworkOperation, in namespace: NamespaceRef) -> Effect {
            .family(AnyFamilyEffect(NetworkEffect(operation, in: namespace)))
        }

        // Named namespaces.
        var liveNames: Set<String> = []
        if case .names(let names)? = try? context.host.perform(.listDirectory(path: NetworkNamespaces.directory), at: location) {
            liveNames = Set(names)
        }
        if let names = current.names {
            for name in names.subtracting(liveNames).sorted() {
                plan.lines.append(PlanLine(area: "network namespaces", sign: .add, text: name))
                creations.append(fix(.createNamespace(name), in: .own))
                plan.fixedCount += 1
            }
            for name in liveNames.subtracting(names).sorted() {
                plan.lines.append(PlanLine(area: "network namespaces", sign: .remove, text: name))
            }
        }

        // Where each link is now, to make a missing veth pair with its ends where the run left them.
        var placeOf: [String: NamespaceRef] = [:]
        for namespace in touched { for link in current.namespaces[namespace]?.links ?? [] where placeOf[link.name] == nil { placeOf[link.name] = namespace } }
        var covered: Set<String> = []

        for namespace in touched {
            guard let model = current.namespaces[namespace] else { continue }
            // A namespace the run makes starts as a fresh one: only lo, down.
            let isNew = namespace.name.map { !liveNames.contains($0) && current.names?.contains($0) == true } ?? false
            var before = NamespaceState.fresh
            if !isNew, let linksText = live(.readLinks, in: namespace), let links = try? NetworkJSON.readLinks(linksText) {
                let names = Dictionary(links.compactMap { link in link.index.map { ($0, link.name) } }, uniquingKeysWith: { first, _ in first })
                before.links = links
                before.addresses = live(.readAddresses, in: namespace).flatMap { try? NetworkJSON.readAddresses($0, linkNames: names) } ?? []
                before.routes = live(.readRoutes, in: namespace).flatMap { try? NetworkJSON.readRoutes($0, linkNames: names) } ?? []
            }
            let suffix = namespace.suffix

            // Links, by name.
            if let links = model.links {
                let old = Dictionary((before.links ?? []).map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
                for link in links {
                    guard let was = old[link.name] else {
                        plan.lines.append(PlanLine(area: "links\(suffix)", sign: .add, text: describe(link)))
                        if var spec = link.creation {
                            if case .veth(let peer, let peerNamespace) = spec.kind {
                                let there = link.remotePeer?.namespace ?? (link.peer != nil ? namespace : placeOf[peer] ?? peerNamespace ?? namespace)
                                spec.kind = .veth(peer: peer, peerNamespace: there == namespace ? nil : there)
                                covered.insert("\(there.description)/\(peer)")
                            }
                            creations.append(fix(.createLink(spec), in: namespace))
                            covered.insert("\(namespace.description)/\(link.name)")
                        }
                        if covered.contains("\(namespace.description)/\(link.name)") || link.creation != nil {
                            plan.fixedCount += 1
                        }
                        let change = LinkChange(up: link.up ? true : nil, master: link.master.map { .bridge($0) })
                        if !change.isEmpty { settings.append(fix(.setLink(link.name, change), in: namespace)) }
                        continue
                    }
                    var change = LinkChange()
                    var words: [String] = []
                    if link.up != was.up { change.up = link.up; words.append("\(was.up ? "up" : "down") -> \(link.up ? "up" : "down")") }
                    if link.mtu != was.mtu { change.mtu = link.mtu; words.append("mtu \(was.mtu) -> \(link.mtu)") }
                    if let mac = link.mac, mac != was.mac { change.mac = mac; words.append("address \(was.mac ?? "") -> \(mac)") }
                    if link.master != was.master {
                        change.master = link.master.map { .bridge($0) } ?? LinkChange.Master.none
                        words.append("master \(was.master ?? "none") -> \(link.master ?? "none")")
                    }
                    guard !words.isEmpty else { continue }
                    plan.lines.append(PlanLine(area: "links\(suffix)", sign: .change, text: "\(link.name): \(words.joined(separator: ", "))"))
                    settings.append(fix(.setLink(link.name, change), in: namespace))
                    plan.fixedCount += 1
                }
                let names = Set(links.map(\.name))
                for link in before.links ?? [] where !names.contains(link.name) {
                    plan.lines.append(PlanLine(area: "links\(suffix)", sign: .remove, text: describe(link)))
                }
            }

            // Addresses, by link and address; the kernel's link-local ones are not the script's.
            if let addresses = model.addresses {
                let mine = addresses.filter { !$0.local.isIPv6LinkLocal }
                let theirs = (before.addresses ?? []).filter { !$0.local.isIPv6LinkLocal }
                for address in mine {
                    guard let was = theirs.first(where: { $0.isSame(as: address) }) else {
                        plan.lines.append(PlanLine(area: "addresses\(suffix)", sign: .add, text: describe(address)))
                        addressFixes.append(fix(.addAddress(address.spec), in: namespace))
                        plan.fixedCount += 1
                        continue
                    }
                    var words: [String] = []
                    if was.peer != address.peer { words.append("peer \(was.peer.map { "\($0)" } ?? "none") -> \(address.peer.map { "\($0)" } ?? "none")") }
                    if was.broadcast != address.broadcast {
                        words.append("broadcast \(was.broadcast.map { "\($0)" } ?? "none") -> \(address.broadcast.map { "\($0)" } ?? "none")")
                    }
                    if was.label != address.label { words.append("label \(was.label) -> \(address.label)") }
                    if was.scope != address.scope { words.append("scope \(RouteInfo.scopeName(was.scope)) -> \(RouteInfo.scopeName(address.scope))") }
                    if !words.isEmpty {
                        plan.lines.append(PlanLine(area: "addresses\(suffix)", sign: .change, text: "\(address.text) on \(address.device): \(words.joined(separator: ", "))"))
                    }
                }
                for address in theirs where !mine.contains(where: { $0.isSame(as: address) }) {
                    plan.lines.append(PlanLine(area: "addresses\(suffix)", sign: .remove, text: describe(address)))
                }
            }

            // Routes the script makes (the kernel's own for addresses and the local table are left out).
            if let routes = model.routes {
                let mine = routes.filter { !$0.isKernelMade }
                let theirs = (before.routes ?? []).filter { !$0.isKernelMade }
                for route in mine {
                    guard let was = theirs.first(where: { $0.key == route.key }) else {
                        plan.lines.append(PlanLine(area: "routes\(suffix)", sign: .add, text: describe(route)))
                        routeFixes.append(fix(.addRoute(route.spec, replace: false), in: namespace))
                        plan.fixedCount += 1
                        continue
                    }
                    if was.gateway != route.gateway || was.device != route.device || was.source != route.source || was.scope != route.scope {
                        plan.lines.append(PlanLine(area: "routes\(suffix)", sign: .change, text: "\(describe(was)) -> \(describe(route))"))
                        routeFixes.append(fix(.addRoute(route.spec, replace: true), in: namespace))
                        plan.fixedCount += 1
                    }
                }
                for route in theirs where !mine.contains(where: { $0.key == route.key }) {
                    plan.lines.append(PlanLine(area: "routes\(suffix)", sign: .remove, text: describe(route)))
                }
            }
        }
        plan.fixes = creations + settings + addressFixes + routeFixes
        return plan
    }

    func describe(_ link: ModelLink) -> String {
        var parts = [link.kind.isEmpty ? "device" : link.kind]
        if let peer = link.peer { parts.append("peer \(peer)") }
        if let remote = link.remotePeer { parts.append("peer \(remote.name)\(remote.namespace.suffix)") }
        if let parent = link.parent { parts.append("on \(parent)") }
        parts.append("mtu \(link.mtu)")
        if let master = link.master { parts.append("master \(master)") }
        parts.append(link.up ? "up" : "down")
        return "\(link.name) (\(parts.joined(separator: ", ")))"
    }

    func describe(_ address: ModelAddress) -> String {
        var text = "\(address.text) on \(address.device)"
        if let peer = address.peer { text += " peer \(peer)" }
        if let broadcast = address.broadcast { text += " broadcast \(broadcast)" }
        return text
    }

    func describe(_ route: ModelRoute) -> String {
        var words = [route.destinationText]
        if let gateway = route.gateway { words += ["via", "\(gateway)"] }
        if let device = route.device { words += ["dev", device] }
        if route.table != NetlinkConstants.tableMain { words += ["table", RouteInfo.tableName(route.table)] }
        if route.metric != (route.isIPv4 ? 0 : 1024) { words += ["metric", String(route.metric)] }
        if let source = route.source { words += ["src", "\(source)"] }
        return words.joined(separator: " ")
    }
}
