import Interpreter
import Lexer
import Netlink

/// Routes: the lookups Warden's scripts needed (the default route, the route
/// to an address), read over rtnetlink in-process, and adding, replacing,
/// deleting and listing routes, decided on the run's model. The source
/// address is asked of the kernel (`route get` to a public address), never
/// cut out of text: the old `ip route get 8.8.8.8 | sed` trick breaks on the
/// ` uid 0` modern iproute2 prints.
///
/// In wds's own namespace, while the run has changed no route where no kernel
/// saw it, the lookups are the `.route` probe (`ip -j route show default`,
/// `ip -j route get ADDRESS` in the trace); after such a change (trace, plan)
/// they are answered from the model, so a trace sees the routes it added.
enum RouteBuiltins {
    /// Where `route default` asks for the preferred source address.
    static let publicAddress: [AddressFamily: String] = [.ipv4: "8.8.8.8", .ipv6: "2001:4860:4860::8888"]

    static let ipv6 = OptionSpec("--ipv6", aliases: ["-6"], summary: "the IPv6 default route")
    static let netns = NetworkValues.netnsOption

    static let routeOptions: [OptionSpec] = [
        netns,
        OptionSpec("--via", NetworkValues.address, summary: "the gateway"),
        OptionSpec("--dev", NetworkValues.linkName, summary: "the link it goes out of"),
        OptionSpec("--table", NetworkValues.table, summary: "the routing table (default main)"),
        OptionSpec("--metric", NetworkValues.metric, summary: "the metric (default 0 for IPv4, 1024 for IPv6)"),
        OptionSpec("--scope", NetworkValues.scope, summary: "global, link or host (default link without --via, global with it)"),
        OptionSpec("--src", NetworkValues.address, summary: "the address the host sends from on this route"),
        OptionSpec("--ipv6", aliases: ["-6"], summary: "an IPv6 route (needed only for `default` without --via)"),
    ]

    static let family = BuiltinFamily("route", summary: "Read and change routing tables (rtnetlink, in-process).", subcommands: [
        BuiltinSpec("route default", summary: "The default route, as a record {dev, gateway, src}; src is the address the host sends from (the default route's prefsrc, or what the kernel picks for a public address). Fails if there is no default route.",
                    options: [ipv6, netns], example: "let uplink = $(route default)") { call in
            let family: AddressFamily = call.has("--ipv6") ? .ipv6 : .ipv4
            let route = try defaultRoute(family, call)
            var source = route.source
            if source == nil, let found = try lookup(publicAddress[family]!, call) { source = found.source }
            return .record(Record([("dev", .string(route.device)), ("gateway", .string(route.gateway ?? "")),
                                   ("src", .string(source ?? ""))]))
        },
        BuiltinSpec("route default-interface", summary: "The interface of the default route. Fails if there is none.",
                    options: [ipv6, netns], example: "let uplink = $(route default-interface)") { call in
            .string(try defaultRoute(call.has("--ipv6") ? .ipv6 : .ipv4, call).device)
        },
        BuiltinSpec("route get", summary: "The route the kernel would use to reach ADDRESS, as a record {dev, src, via} (via is empty for a directly connected address). Fails if it is unreachable.",
                    parameters: [Parameter("address", .address)], options: [netns], example: "let route = $(route get 10.0.2.2)") { call in
            let address = try call.text(0)
            guard let route = try lookup(address, call) else {
                throw call.fail("no route to \(address)", hint: "`route default` shows whether there is a default route")
            }
            return .record(Record([("dev", .string(route.device)), ("src", .string(route.source ?? "")),
                                   ("via", .string(route.gateway ?? ""))]))
        },
        BuiltinSpec("route add", summary: "Add a route to DESTINATION (default, a network, or an address) as `ip route add` does: table main, protocol boot. Fails if the table has a route to DESTINATION with that metric, or the gateway is on no network a link that is up reaches.",
                    parameters: [Parameter("destination", NetworkValues.destination)], options: routeOptions,
                    example: "route add default --via $host_ip --netns $netns") { call in
            try NetworkModel.of(call).perform(.addRoute(try spec(call), replace: false), in: try NetworkValues.namespace(call), call)
            return .empty
        },
        BuiltinSpec("route replace", summary: "Add the route, or change the one to DESTINATION with that metric in that table (ip route replace).",
                    parameters: [Parameter("destination", NetworkValues.destination)], options: routeOptions,
                    example: "route replace 10.254.0.0/22 --dev lxcbr0") { call in
            try NetworkModel.of(call).perform(.addRoute(try spec(call), replace: true), in: try NetworkValues.namespace(call), call)
            return .empty
        },
        BuiltinSpec("route delete", summary: "Delete the first route to DESTINATION in the table that matches what is given (gateway, link, metric, source). With --if-exists, no such route is not an error.",
                    parameters: [Parameter("destination", NetworkValues.destination)],
                    options: routeOptions + [OptionSpec("--if-exists", summary: "do nothing when there is no such route")],
                    example: "route delete default --via 10.0.2.2") { call in
            let spec = try spec(call)
            let model = NetworkModel.of(call), namespace = try NetworkValues.namespace(call)
            if call.has("--if-exists"), try !model.routes(namespace, call).contains(where: { $0.matches(spec) }) { return .empty }
            try model.perform(.deleteRoute(spec), in: namespace, call)
            return .empty
        },
        BuiltinSpec("route list", summary: "The routes of a table (main unless --table; all for every table) as records {family, dst, via, dev, table, metric, scope, src, protocol, type}: dst is default or a network, protocol kernel for the routes the kernel made for an address.",
                    options: [netns, OptionSpec("--ipv4", aliases: ["-4"], summary: "only IPv4 routes"),
                              OptionSpec("--ipv6", aliases: ["-6"], summary: "only IPv6 routes"),
                              OptionSpec("--table", .custom("main|local|N|all") { $0 == "all" ? nil : NetworkValues.table.problem(with: .string($0)) },
                                         summary: "the table, or all"),
                              OptionSpec("--dev", NetworkValues.linkName, summary: "only routes out of this link")],
                    example: "for r in $(route list --dev w-$id-0) { echo $r.dst }") { call in
            let table = try call.option("--table")
            let device = try call.option("--dev")
            let routes = try NetworkModel.of(call).routeView(try NetworkValues.namespace(call), call).filter { route in
                (table == "all" || route.table == NetworkValues.table(table)) && (!call.has("--ipv4") || route.isIPv4)
                    && (!call.has("--ipv6") || !route.isIPv4) && (device.map { route.device == $0 } ?? true)
            }
            return .list(routes.map { .record(record($0)) })
        },
    ])

    static func record(_ route: ModelRoute) -> Record {
        Record([("family", .string(route.isIPv4 ? "inet" : "inet6")), ("dst", .string(route.destinationText)),
                ("via", .string(route.gateway.map { "\($0)" } ?? "")), ("dev", .string(route.device ?? "")),
                ("table", .string(RouteInfo.tableName(route.table))), ("metric", .integer(Int(route.metric))),
                ("scope", .string(RouteInfo.scopeName(route.scope))), ("src", .string(route.source.map { "\($0)" } ?? "")),
                ("protocol", .string(RouteInfo.protocolName(route.protocolNumber))), ("type", .string(RouteInfo.typeName(route.type)))])
    }

    /// The route a builtin names, its family from the addresses given (or --ipv6).
    static func spec(_ call: Invocation) throws -> RouteSpec {
        let destinationText = try call.text(0)
        let destination = destinationText == "default" ? nil : IPPrefix(destinationText)
        let gateway = try call.option("--via").flatMap(IPAddress.init)
        let source = try call.option("--src").flatMap(IPAddress.init)
        let families = Set([destination?.address.family, gateway?.family, source?.family].compactMap { $0 })
        if families.count > 1 { throw call.fail("the destination, --via and --src must all be IPv4 or all IPv6") }
        let family = families.first ?? (call.has("--ipv6") ? NetlinkConstants.familyIPv6 : NetlinkConstants.familyIPv4)
        if call.has("--ipv6") && family != NetlinkConstants.familyIPv6 { throw call.fail("--ipv6 with IPv4 addresses") }
        var spec = RouteSpec(family: family, destination: destination)
        spec.gateway = gateway
        spec.source = source
        spec.device = try call.option("--dev")
        spec.table = NetworkValues.table(try call.option("--table"))
        spec.metric = try call.option("--metric").flatMap { UInt32($0) }
        spec.scope = NetworkValues.scope(try call.option("--scope"))
        if spec.gateway == nil && spec.device == nil && call.spec.name != "route delete" {
            throw call.fail("a route needs --via or --dev")
        }
        return spec
    }

    static func defaultRoute(_ family: AddressFamily, _ call: Invocation) throws -> Route {
        let namespace = try NetworkValues.namespace(call)
        let route: Route?
        if namespace.given == nil && !NetworkModel.of(call).isSimulated(namespace) {
            if case .route(let found) = try call.perform(.route(destination: nil, family: family)) { route = found } else { route = nil }
        } else {
            route = try NetworkModel.of(call).defaultRoute(family == .ipv4 ? NetlinkConstants.familyIPv4 : NetlinkConstants.familyIPv6,
                                                           in: namespace, call)
        }
        guard let route else {
            throw call.fail(family == .ipv6 ? "no IPv6 default route" : "no default route",
                            hint: "add one (route add default --via GATEWAY --dev IFACE), or check the uplink is up")
        }
        return route
    }

    /// The route to `address`: the kernel's answer, or the model's after changes no kernel saw.
    static func lookup(_ address: String, _ call: Invocation) throws -> Route? {
        let namespace = try NetworkValues.namespace(call)
        guard let destination = IPAddress(address) else { return nil }
        let model = NetworkModel.of(call)
        if model.isSimulated(namespace) { return try model.resolve(destination, in: namespace, call) }
        if namespace.given == nil {
            guard case .route(let route) = try call.perform(.route(destination: address, family: destination.isIPv4 ? .ipv4 : .ipv6)) else {
                return nil
            }
            return route
        }
        let result = try call.perform(.family(AnyFamilyEffect(NetworkEffect(.routeGet(destination), in: namespace))))
        guard case .text(let text) = result, let json = try? JSON.parse(text), json != .null, let device = json["dev"]?.stringValue else {
            return nil
        }
        return Route(device: device, gateway: json["gateway"]?.stringValue, source: json["prefsrc"]?.stringValue)
    }
}
