import Interpreter
import Lexer
import Netlink

/// Named network namespaces, as `ip netns` makes them: /run/netns/NAME with
/// the namespace bind-mounted on it. Every link, address and route builtin
/// acts in one with `--netns NAME`, and so does `run --netns NAME`.
enum NetnsBuiltins {
    static let name = Parameter("name", NetworkValues.namespaceName)

    static let family = BuiltinFamily("netns", summary: "Create, delete and list named network namespaces (/run/netns/NAME, as ip netns).", subcommands: [
        BuiltinSpec("netns create", summary: "Create the network namespace NAME, bound to /run/netns/NAME (ip netns add NAME); it holds only lo, down. Fails if it exists.",
                    parameters: [name], example: "netns create web") { call in
            try NetworkModel.of(call).perform(.createNamespace(try call.text(0)), in: .own, call)
            return .empty
        },
        BuiltinSpec("netns delete", summary: "Delete the network namespace NAME (ip netns delete NAME): unmounted and removed from /run/netns; the kernel frees it, with its links, when no process is in it. With --if-exists, a missing one is not an error.",
                    parameters: [name], options: [OptionSpec("--if-exists", summary: "do nothing when there is no such namespace")],
                    example: "netns delete web --if-exists") { call in
            let model = NetworkModel.of(call), name = try call.text(0)
            if call.has("--if-exists"), try !model.namespaceNames(call).contains(name) { return .empty }
            try model.perform(.deleteNamespace(name), in: .own, call)
            return .empty
        },
        BuiltinSpec("netns exists", summary: "Whether the network namespace NAME exists (under /run/netns).",
                    parameters: [name], example: "if ! netns exists web { netns create web }") { call in
            .boolean(try NetworkModel.of(call).namespaceNames(call).contains(try call.text(0)))
        },
        BuiltinSpec("netns list", summary: "The names of the network namespaces under /run/netns, sorted.",
                    example: "for ns in $(netns list) { echo $ns }") { call in
            .list(try NetworkModel.of(call).namespaceNames(call).sorted().map(Value.string))
        },
    ])
}
