import Interpreter
import Lexer
import Netlink

/// Addresses of links: add (with everything `ip address add` takes), change
/// lifetimes, delete, flush, ask. Decided on the run's model, made over rtnetlink.
enum AddressBuiltins {
    static let netns = NetworkValues.netnsOption
    static let device = Parameter("iface", NetworkValues.linkName)
    static let address = Parameter("address", NetworkValues.prefix)
    static let lifetimes = [
        OptionSpec("--valid-lifetime", NetworkValues.lifetime, summary: "seconds until the address is removed (default forever)"),
        OptionSpec("--preferred-lifetime", NetworkValues.lifetime, summary: "seconds until it is no longer used for new connections (default: the valid lifetime)"),
    ]

    /// The address a builtin names: ADDRESS[/LEN], with --peer PEER[/LEN] taking the length (point to point).
    static func spec(_ call: Invocation) throws -> AddressSpec {
        let text = try call.text(1)
        guard let prefix = IPPrefix(text) else { throw call.fail("'\(text)' is not an address with a prefix length") }
        var spec = AddressSpec(device: try call.text(0), local: prefix.address, prefixLength: prefix.length)
        if let peerText = try call.option("--peer") {
            guard let peer = IPPrefix(peerText), peer.address.family == prefix.address.family else {
                throw call.fail("--peer \(peerText) is not an address of the same family as \(text)")
            }
            if text.contains("/") {
                throw call.fail("with --peer, the prefix length goes on the peer", hint: "write `\(prefix.address) --peer \(peer.address)/\(prefix.length)`")
            }
            spec.peer = peer.address
            spec.prefixLength = peer.length
        }
        return spec
    }

    static func lifetimes(_ spec: inout AddressSpec, _ call: Invocation) throws {
        let valid = try call.option("--valid-lifetime"), preferred = try call.option("--preferred-lifetime")
        guard valid != nil || preferred != nil else { return }
        spec.lifetimesGiven = true
        spec.valid = NetworkValues.lifetime(valid)
        spec.preferred = preferred == nil ? spec.valid : NetworkValues.lifetime(preferred)
        if (spec.preferred.map(Int.init) ?? Int.max) > (spec.valid.map(Int.init) ?? Int.max) {
            throw call.fail("the preferred lifetime is longer than the valid lifetime", hint: "an address stops being preferred before it is removed")
        }
    }

    static let family = BuiltinFamily("address", summary: "Add, change, delete and inspect the addresses of links.", subcommands: [
        BuiltinSpec("address add", summary: "Add ADDRESS/LEN to link IFACE (ip address add … dev IFACE). --broadcast + is the network's last address. Fails if IFACE has it already.",
                    parameters: [device, address],
                    options: [netns, OptionSpec("--peer", NetworkValues.prefix, summary: "the other end of a point-to-point link, with the prefix length"),
                              OptionSpec("--broadcast", NetworkValues.broadcast, summary: "the broadcast address, or + for the network's last address"),
                              OptionSpec("--scope", NetworkValues.scope, summary: "global (default), site, link or host"),
                              OptionSpec("--label", .text, summary: "an IPv4 label, IFACE or IFACE:SUFFIX")]
                        + lifetimes
                        + [OptionSpec("--nodad", summary: "IPv6: use it at once, without duplicate address detection"),
                           OptionSpec("--noprefixroute", summary: "add no route to the address's network"),
                           OptionSpec("--home", summary: "IPv6: a mobile IPv6 home address"),
                           OptionSpec("--mngtmpaddr", summary: "IPv6: make temporary addresses from this one (privacy extensions)")],
                    example: "address add w-$id-0 $host_ip/30 --broadcast +") { call in
            var spec = try spec(call)
            if let broadcast = try call.option("--broadcast") {
                guard spec.local.isIPv4 else { throw call.fail("a broadcast address is for IPv4 only") }
                // As ip does for `+`: the network's last address, for networks that have one (/30 and wider).
                spec.broadcast = broadcast == "+" ? (spec.prefixLength <= 30 ? (spec.peer ?? spec.local).lastAddress(spec.prefixLength) : nil)
                    : IPAddress(broadcast)
            }
            spec.scope = NetworkValues.scope(try call.option("--scope"))
            if let label = try call.option("--label") {
                let device = spec.device
                guard spec.local.isIPv4, label == device || label.hasPrefix(device + ":"), label.utf8.count <= 15 else {
                    throw call.fail("label '\(label)' must be '\(device)' or start with '\(device):' (IPv4 only, 15 bytes at most)")
                }
                spec.label = label
            }
            try lifetimes(&spec, call)
            spec.flags = ["--nodad", "--noprefixroute", "--home", "--mngtmpaddr"].filter { call.has($0) }.map { String($0.dropFirst(2)) }
            if spec.local.isIPv4, let flag = spec.flags.first(where: { $0 != "noprefixroute" }) {
                throw call.fail("--\(flag) is for IPv6 addresses")
            }
            try NetworkModel.of(call).perform(.addAddress(spec), in: try NetworkValues.namespace(call), call)
            return .empty
        },
        BuiltinSpec("address change", summary: "Change the lifetimes of ADDRESS/LEN on IFACE (ip address change … valid_lft … preferred_lft …); what is not given is forever.",
                    parameters: [device, address], options: [netns] + lifetimes,
                    example: "address change w-$id-0 fd00::1/64 --preferred-lifetime 0") { call in
            var spec = try spec(call)
            try lifetimes(&spec, call)
            spec.lifetimesGiven = true
            // The address keeps its flags: `ip address change` clears those it is not given.
            let model = NetworkModel.of(call), namespace = try NetworkValues.namespace(call), wanted = ModelAddress(spec)
            if let current = try model.addresses(namespace, call).first(where: { $0.isSame(as: wanted) }) {
                spec.flags = current.flags.filter { AddressInfo.settableFlags[$0] != nil }
            }
            try model.perform(.changeAddress(spec), in: namespace, call)
            return .empty
        },
        BuiltinSpec("address delete", summary: "Delete ADDRESS/LEN from IFACE (ip address delete … dev IFACE). Deleting an IPv4 primary address deletes its secondaries too, as the kernel does. With --if-exists, a missing address is not an error.",
                    parameters: [device, address],
                    options: [netns, OptionSpec("--peer", NetworkValues.prefix, summary: "the peer, as it was added"),
                              OptionSpec("--if-exists", summary: "do nothing when IFACE does not have the address")],
                    example: "address delete w-$id-0 $host_ip/30") { call in
            let spec = try spec(call)
            let model = NetworkModel.of(call), namespace = try NetworkValues.namespace(call)
            if call.has("--if-exists") {
                let wanted = ModelAddress(spec)
                if try !model.addresses(namespace, call).contains(where: { $0.isSame(as: wanted) }) { return .empty }
            }
            try model.perform(.deleteAddress(spec), in: namespace, call)
            return .empty
        },
        BuiltinSpec("address flush", summary: "Delete the addresses of IFACE (all, or those of one family, scope or label), one `ip address delete` each, latest first; returns what it deleted. IPv6 link-local addresses are kept unless --scope link asks for them.",
                    parameters: [device],
                    options: [netns, OptionSpec("--ipv4", aliases: ["-4"], summary: "only IPv4 addresses"),
                              OptionSpec("--ipv6", aliases: ["-6"], summary: "only IPv6 addresses"),
                              OptionSpec("--scope", NetworkValues.scope, summary: "only addresses of this scope"),
                              OptionSpec("--label", .text, summary: "only IPv4 addresses with this label")],
                    example: "address flush w-$id-0 --ipv4") { call in
            let model = NetworkModel.of(call), namespace = try NetworkValues.namespace(call), device = try call.text(0)
            _ = try model.requireLink(device, in: namespace, call)
            let scope = NetworkValues.scope(try call.option("--scope")), label = try call.option("--label")
            var removed: [Value] = []
            while true {
                // Read again each time: deleting a primary takes its secondaries with it.
                let chosen = try model.addresses(namespace, call).filter { address in
                    address.device == device && (!call.has("--ipv4") || address.isIPv4) && (!call.has("--ipv6") || !address.isIPv4)
                        && (scope.map { address.scope == $0 } ?? !address.local.isIPv6LinkLocal) && (label.map { address.label == $0 } ?? true)
                }
                guard let last = chosen.last else { break }
                try model.perform(.deleteAddress(last.spec), in: namespace, call)
                removed.append(.string(last.text))
            }
            return .list(removed)
        },
        BuiltinSpec("address exists", summary: "Whether IFACE has ADDRESS/LEN (an IPv6 address with any prefix length).",
                    parameters: [device, address], options: [netns], example: "if ! address exists w-$id-0 $host_ip/30 { … }") { call in
            let wanted = ModelAddress(try spec(call))
            return .boolean(try NetworkModel.of(call).addresses(try NetworkValues.namespace(call), call).contains { $0.isSame(as: wanted) })
        },
    ])

    static let addresses = BuiltinSpec("addresses", summary: "The addresses of every link (or of IFACE) as records {dev, family, address, local, prefixlen, peer, broadcast, scope, label, valid, preferred, flags}: family inet or inet6, address ADDRESS/LEN, lifetimes in seconds or forever, flags a list (permanent, nodad…).",
                                       parameters: [Parameter("iface", NetworkValues.linkName, optional: true)],
                                       options: [netns, OptionSpec("--ipv4", aliases: ["-4"], summary: "only IPv4 addresses"),
                                                 OptionSpec("--ipv6", aliases: ["-6"], summary: "only IPv6 addresses")],
                                       example: "for a in $(addresses w-$id-0 --ipv4) { echo $a.address }") { call in
        let model = NetworkModel.of(call), namespace = try NetworkValues.namespace(call)
        let device = try call.optionalText(0)
        if let device { _ = try model.requireLink(device, in: namespace, call) }
        return .list(try model.addresses(namespace, call).filter { address in
            (device.map { address.device == $0 } ?? true) && (!call.has("--ipv4") || address.isIPv4) && (!call.has("--ipv6") || !address.isIPv4)
        }.map { .record(record($0)) })
    }

    static func record(_ address: ModelAddress) -> Record {
        Record([("dev", .string(address.device)), ("family", .string(address.isIPv4 ? "inet" : "inet6")), ("address", .string(address.text)),
                ("local", .string("\(address.local)")), ("prefixlen", .integer(address.prefixLength)),
                ("peer", .string(address.peer.map { "\($0)" } ?? "")), ("broadcast", .string(address.broadcast.map { "\($0)" } ?? "")),
                ("scope", .string(RouteInfo.scopeName(address.scope))), ("label", .string(address.label)),
                ("valid", address.valid.map { .integer(Int($0)) } ?? .string("forever")),
                ("preferred", address.preferred.map { .integer(Int($0)) } ?? .string("forever")),
                ("flags", .list(address.flags.map(Value.string)))])
    }
}
