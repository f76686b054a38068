import Interpreter
import Netlink

/// The network family as the standard library registers it: links, addresses,
/// routes and named namespaces, over rtnetlink in-process. Its builtins, the
/// decoder of its effects (saved plans), and for each run the model every
/// statement is decided on (`NetworkModel`).
enum NetworkFamily {
    static let family = HostFamily(
        NetworkEffect.familyName,
        builtins: [.family(LinkBuiltins.veth), .family(LinkBuiltins.bridge), .family(LinkBuiltins.vlan), .family(LinkBuiltins.macvlan),
                   .family(LinkBuiltins.link), .single(LinkBuiltins.links), .family(AddressBuiltins.family), .single(AddressBuiltins.addresses),
                   .family(RouteBuiltins.family), .family(NetnsBuiltins.family)],
        decoder: { kind, fields in NetworkEffect.decode(kind: kind, fields: fields) },
        install: { context, _ in NetworkModel.install(in: context) },
        snapshot: { FamilySnapshot(title: "network (links, addresses, routes)", text: "", areas: [("", NetworkSnapshot.lines())]) })
}

/// Names the REPL completes: the links of wds's own namespace, read over
/// rtnetlink (/sys/class/net shows those of the namespace /sys was mounted in).
public enum NetworkNames {
    public static func links() -> [String] { ((try? RouteSocket().links()) ?? []).map(\.name) }
}
