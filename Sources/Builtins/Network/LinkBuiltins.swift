import Interpreter
import Lexer
import Netlink

/// Links: creating veth pairs, bridges, VLANs and macvlans; deleting,
/// changing and moving them; asking about them. Each change is decided on the
/// run's model (`NetworkModel`) and made over rtnetlink; the trace prints the
/// `ip link` command that does the same.
enum LinkBuiltins {
    static let netns = NetworkValues.netnsOption
    static let mtu = OptionSpec("--mtu", NetworkValues.mtu, summary: "the MTU")
    static let mac = OptionSpec("--address", NetworkValues.mac, summary: "the MAC address (the kernel picks one otherwise)")
    static let name = Parameter("name", NetworkValues.linkName)

    static func create(_ spec: LinkSpec, _ call: Invocation) throws -> Value {
        try NetworkModel.of(call).perform(.createLink(spec), in: try NetworkValues.namespace(call), call)
        return .empty
    }

    static func integerOption(_ name: String, _ call: Invocation) throws -> Int? { try call.option(name).flatMap { Int($0) } }

    static let veth = BuiltinFamily("veth", summary: "Create veth pairs: two links joined like a cable, one end usually moved into a container's namespace.", subcommands: [
        BuiltinSpec("veth create", summary: "Create the veth pair NAME and PEER, both down (ip link add name NAME type veth peer name PEER). With --peer-netns, PEER is made in that namespace. Fails if either name exists.",
                    parameters: [name, Parameter("peer", NetworkValues.linkName)],
                    options: [netns, OptionSpec("--peer-netns", NetworkValues.namespace, summary: "make PEER in this network namespace"),
                              OptionSpec("--mtu", NetworkValues.mtu, summary: "the MTU of both ends")],
                    example: "veth create w-$id-0 w-$id-1 --mtu 1500") { call in
            let peerNamespace = try call.option("--peer-netns").map { NamespaceRef(given: $0) }
            return try create(LinkSpec(name: try call.text(0), kind: .veth(peer: try call.text(1), peerNamespace: peerNamespace),
                                       mtu: try integerOption("--mtu", call)), call)
        },
    ])

    static let bridge = BuiltinFamily("bridge", summary: "Create bridges; `link set PORT --master BRIDGE` adds ports.", subcommands: [
        BuiltinSpec("bridge create", summary: "Create the bridge NAME, down (ip link add name NAME type bridge). Fails if NAME exists.",
                    parameters: [name], options: [netns, mtu, mac], example: "bridge create lxcbr0") { call in
            try create(LinkSpec(name: try call.text(0), kind: .bridge, mtu: try integerOption("--mtu", call), mac: try call.option("--address")), call)
        },
    ])

    static let vlan = BuiltinFamily("vlan", summary: "Create 802.1Q VLAN links on another link.", subcommands: [
        BuiltinSpec("vlan create", summary: "Create NAME, the VLAN ID on PARENT, down (ip link add link PARENT name NAME type vlan id ID). The kernel needs 802.1Q support (CONFIG_VLAN_8021Q).",
                    parameters: [name, Parameter("parent", NetworkValues.linkName), Parameter("id", NetworkValues.vlanID)],
                    options: [netns, mtu], example: "vlan create eth0.10 eth0 10") { call in
            try create(LinkSpec(name: try call.text(0), kind: .vlan(parent: try call.text(1), id: Int(try call.text(2)) ?? 0),
                                mtu: try integerOption("--mtu", call)), call)
        },
    ])

    static let macvlan = BuiltinFamily("macvlan", summary: "Create macvlan links: a second MAC address on another link.", subcommands: [
        BuiltinSpec("macvlan create", summary: "Create NAME, a macvlan on PARENT, down (ip link add link PARENT name NAME type macvlan mode MODE); mode bridge unless --mode.",
                    parameters: [name, Parameter("parent", NetworkValues.linkName)],
                    options: [netns, OptionSpec("--mode", .choice(["private", "vepa", "bridge", "passthru", "source"]), summary: "how macvlans on the same parent reach each other (default bridge)"),
                              mtu, mac],
                    example: "macvlan create mv0 eth0 --mode bridge") { call in
            try create(LinkSpec(name: try call.text(0), kind: .macvlan(parent: try call.text(1), mode: try call.option("--mode") ?? "bridge"),
                                mtu: try integerOption("--mtu", call), mac: try call.option("--address")), call)
        },
    ])

    static let link = BuiltinFamily("link", summary: "Change, move, delete and inspect links (network interfaces).", subcommands: [
        BuiltinSpec("link set", summary: "Change link NAME in one request (ip link set dev NAME …): up or down, MTU, MAC address, name, bridge (--master, or --nomaster to leave it). What is not given stays.",
                    parameters: [name],
                    options: [netns, OptionSpec("--up", summary: "set it up"), OptionSpec("--down", summary: "set it down"),
                              OptionSpec("--mtu", NetworkValues.mtu, summary: "the MTU"), OptionSpec("--address", NetworkValues.mac, summary: "the MAC address"),
                              OptionSpec("--name", NetworkValues.linkName, summary: "rename it"),
                              OptionSpec("--master", NetworkValues.linkName, summary: "make it a port of this bridge"),
                              OptionSpec("--nomaster", summary: "take it out of its bridge")],
                    example: "link set w-$id-0 --mtu 1500 --up") { call in
            var change = LinkChange()
            if call.has("--up") && call.has("--down") { throw call.fail("--up and --down together: choose one") }
            if call.has("--master") && call.has("--nomaster") { throw call.fail("--master and --nomaster together: choose one") }
            if call.has("--up") { change.up = true }
            if call.has("--down") { change.up = false }
            change.mtu = try integerOption("--mtu", call)
            change.mac = try call.option("--address")
            change.name = try call.option("--name")
            if let master = try call.option("--master") { change.master = .bridge(master) }
            if call.has("--nomaster") { change.master = LinkChange.Master.none }
            if change.isEmpty { throw call.fail("nothing to change", hint: "give --up, --down, --mtu, --address, --name, --master or --nomaster") }
            try NetworkModel.of(call).perform(.setLink(try call.text(0), change), in: try NetworkValues.namespace(call), call)
            return .empty
        },
        BuiltinSpec("link move", summary: "Move link NAME into another network namespace (ip link set dev NAME netns TARGET): TARGET is a name under /run/netns, a path such as /proc/PID/ns/net, or a process id. It arrives down and without addresses.",
                    parameters: [name, Parameter("target", NetworkValues.moveTarget)], options: [netns],
                    example: "link move w-$id-1 /proc/$pid/ns/net") { call in
            try NetworkModel.of(call).perform(.moveLink(try call.text(0), NetworkValues.moveTarget(try call.text(1))),
                                              in: try NetworkValues.namespace(call), call)
            return .empty
        },
        BuiltinSpec("link delete", summary: "Delete link NAME (ip link delete dev NAME); a veth takes its peer with it, and VLANs and macvlans on it go too. With --if-exists, a missing link is not an error.",
                    parameters: [name], options: [netns, OptionSpec("--if-exists", summary: "do nothing when the link does not exist")],
                    example: "link delete w-$id-0 --if-exists") { call in
            let model = NetworkModel.of(call), namespace = try NetworkValues.namespace(call), name = try call.text(0)
            if call.has("--if-exists"), try model.link(name, in: namespace, call) == nil { return .empty }
            try model.perform(.deleteLink(name), in: namespace, call)
            return .empty
        },
        BuiltinSpec("link exists", summary: "Whether link NAME exists.",
                    parameters: [name], options: [netns], example: "if ! link exists w-$id-0 { … }") { call in
            .boolean(try NetworkModel.of(call).link(try call.text(0), in: try NetworkValues.namespace(call), call) != nil)
        },
        BuiltinSpec("link get", summary: "Link NAME as a record {name, index, kind, state, flags, mtu, mac, master, addresses}; an unknown link is an error.",
                    parameters: [name], options: [netns], example: "let uplink = $(link get eth0)") { call in
            let model = NetworkModel.of(call), namespace = try NetworkValues.namespace(call)
            let link = try model.requireLink(try call.text(0), in: namespace, call)
            return .record(record(link, in: try model.links(namespace, call), addresses: try model.addresses(namespace, call)))
        },
    ])

    static let links = BuiltinSpec("links", summary: "Every link as a record {name, index, kind, state, flags, mtu, mac, master, addresses}: kind is veth, bridge, vlan… or empty for lo and physical devices; flags a list (UP, LOWER_UP…); addresses a list of ADDRESS/LEN; index 0 for a link the run made that the kernel has not numbered (trace).",
                                   options: [netns], example: "for l in $(links) { echo $l.name $l.state }") { call in
        let model = NetworkModel.of(call), namespace = try NetworkValues.namespace(call)
        let links = try model.links(namespace, call)
        let addresses = try model.addresses(namespace, call)
        return .list(links.map { .record(record($0, in: links, addresses: addresses)) })
    }

    static func record(_ link: ModelLink, in links: [ModelLink], addresses: [ModelAddress]) -> Record {
        let peerUp = link.peer.flatMap { peer in links.first { $0.name == peer }?.up }
        return Record([("name", .string(link.name)), ("index", .integer(Int(link.index ?? 0))), ("kind", .string(link.kind)),
                ("state", .string(link.state(peerUp: peerUp))), ("flags", .list(link.flags.map(Value.string))), ("mtu", .integer(link.mtu)),
                ("mac", .string(link.mac ?? "")), ("master", .string(link.master ?? "")),
                ("addresses", .list(addresses.filter { $0.device == link.name }.map { .string($0.text) }))])
    }
}
