import Interpreter
import Lexer

/// Routes, read through the `.route` probe (`ip -j route …`, parsed as JSON).
/// The source address is asked of the kernel (`ip route get` to a public
/// address), never cut out of text: the old `ip route get 8.8.8.8 | sed`
/// trick breaks on the ` uid 0` modern iproute2 prints.
enum RouteBuiltins {
    static let hostFamily = HostFamily("route", builtins: [.family(family)])

    /// Where `route default` asks for the preferred source address.
    static let publicAddress: [AddressFamily: String] = [.ipv4: "8.8.8.8", .ipv6: "2001:4860:4860::8888"]

    static let ipv6 = OptionSpec("--ipv6", aliases: ["-6"], summary: "the IPv6 default route")

    static let family = BuiltinFamily("route", summary: "Read the routing table (ip -j route).", subcommands: [
        BuiltinSpec("route default", summary: "The default route, as a record {dev, gateway, src}; src is the address the host sends from (the default route's prefsrc, or what the kernel picks for a public address). Fails if there is no default route.",
                    options: [ipv6], example: "let uplink = $(route default)") { call in
            let family: AddressFamily = call.has("--ipv6") ? .ipv6 : .ipv4
            let route = try defaultRoute(family, call)
            var source = route.source
            if source == nil, case .route(let found?) = try call.perform(.route(destination: publicAddress[family]!, family: family)) {
                source = found.source
            }
            return .record(Record([("dev", .string(route.device)), ("gateway", .string(route.gateway ?? "")),
                                   ("src", .string(source ?? ""))]))
        },
        BuiltinSpec("route default-interface", summary: "The interface of the default route. Fails if there is none.",
                    options: [ipv6], example: "let uplink = $(route default-interface)") { call in
            .string(try defaultRoute(call.has("--ipv6") ? .ipv6 : .ipv4, call).device)
        },
        BuiltinSpec("route get", summary: "The route the kernel would use to reach ADDRESS, as a record {dev, src, via} (via is empty for a directly connected address). Fails if it is unreachable.",
                    parameters: [Parameter("address", .address)], example: "let route = $(route get 10.0.2.2)") { call in
            let address = try call.text(0)
            let family: AddressFamily = address.contains(":") ? .ipv6 : .ipv4
            guard case .route(let route?) = try call.perform(.route(destination: address, family: family)) else {
                throw call.fail("no route to \(address)", hint: "`route default` shows whether there is a default route")
            }
            return .record(Record([("dev", .string(route.device)), ("src", .string(route.source ?? "")),
                                   ("via", .string(route.gateway ?? ""))]))
        },
    ])

    static func defaultRoute(_ family: AddressFamily, _ call: Invocation) throws -> Route {
        guard case .route(let route?) = try call.perform(.route(destination: nil, family: family)) else {
            throw call.fail(family == .ipv6 ? "no IPv6 default route" : "no default route",
                            hint: "add one (ip route add default via GATEWAY dev IFACE), or check the uplink is up")
        }
        return route
    }
}
