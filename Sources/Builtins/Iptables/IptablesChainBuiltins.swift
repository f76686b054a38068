import Interpreter
import Lexer

/// `chain create|ensure|flush|delete|exists|list|names|prune`: iptables chains
/// of one table (`--table`, default filter) in the IPv4 or, with `--ipv6`,
/// the IPv6 ruleset.
enum IptablesChainBuiltins {
    static let chain = Parameter("chain", .chain)

    static let family = BuiltinFamily("chain", summary: "Create, empty, remove and inspect iptables chains.", subcommands: [
        BuiltinSpec("chain create", summary: "Create a user chain (iptables -N); an existing one is an error.",
                    parameters: [chain], options: IptablesScope.options,
                    example: "chain create warden-forward") { call in
            let (engine, scope, name) = try target(call)
            try refuseBuiltin(name, scope, call, "create")
            try engine.execute(.createChain(name), in: scope, call)
            return .empty
        },
        BuiltinSpec("chain ensure", summary: "Create a user chain unless it exists.",
                    parameters: [chain], options: IptablesScope.options,
                    example: "chain ensure warden-prerouting --table nat") { call in
            let (engine, scope, name) = try target(call)
            if try !engine.chainExists(name, in: scope, call) {
                try refuseBuiltin(name, scope, call, "create")
                try engine.execute(.createChain(name), in: scope, call)
            }
            return .empty
        },
        BuiltinSpec("chain flush", summary: "Delete every rule of a chain (iptables -F). With --if-exists, a missing chain is not an error.",
                    parameters: [chain], options: IptablesScope.options + [OptionSpec("--if-exists", summary: "do nothing when the chain does not exist")],
                    example: "chain flush warden-default") { call in
            let (engine, scope, name) = try target(call)
            if call.has("--if-exists"), try !engine.chainExists(name, in: scope, call) { return .empty }
            try engine.execute(.flushChain(name), in: scope, call)
            return .empty
        },
        BuiltinSpec("chain delete", summary: "Delete an empty user chain that no rule refers to (iptables -X). With --if-exists, a missing chain is not an error.",
                    parameters: [chain], options: IptablesScope.options + [OptionSpec("--if-exists", summary: "do nothing when the chain does not exist")],
                    example: "chain delete warden-instance-abc") { call in
            let (engine, scope, name) = try target(call)
            try refuseBuiltin(name, scope, call, "delete")
            if call.has("--if-exists"), try !engine.chainExists(name, in: scope, call) { return .empty }
            // iptables only says "Device or resource busy"; name the reason instead.
            let state = try engine.view(scope, call)
            if let reference = state.entries.first(where: { $0.rule.targetName == name && $0.chain != name }) {
                throw call.fail("chain '\(name)' is still used by `-A \(reference.chain) \(reference.specification)`",
                                hint: "`chain prune --exact \(name)` removes the chain and every rule that leads to it")
            }
            if state.chains.contains(name), !state.rules(in: name).isEmpty {
                throw call.fail("chain '\(name)' still has \(state.rules(in: name).count) rules", hint: "flush it first: `chain flush \(name)`")
            }
            try engine.execute(.deleteChain(name), in: scope, call)
            return .empty
        },
        BuiltinSpec("chain exists", summary: "Whether the chain exists (built-in chains always do).",
                    parameters: [chain], options: IptablesScope.options,
                    example: "if chain exists warden-forward { … }") { call in
            let (engine, scope, name) = try target(call)
            return .boolean(try engine.chainExists(name, in: scope, call))
        },
        BuiltinSpec("chain list", summary: "The rules of a chain as records (the fields of `rules`); an unknown chain is an error.",
                    parameters: [chain], options: IptablesScope.options,
                    example: "for r in $(chain list warden-forward) { echo $r.args }") { call in
            let (engine, scope, name) = try target(call)
            try engine.requireChain(name, in: scope, call)
            return IptablesRuleBuiltins.records(try engine.rules(in: name, scope, call), scope)
        },
        BuiltinSpec("chain policy", summary: "The policy of a built-in chain (ACCEPT or DROP), as the run has left it.",
                    parameters: [chain], options: IptablesScope.options,
                    example: "if $(chain policy FORWARD) == DROP { … }") { call in
            let (engine, scope, name) = try target(call)
            guard let policy = try engine.policy(name, in: scope, call) else {
                try engine.requireChain(name, in: scope, call)
                throw call.fail("'\(name)' is a user chain of table \(scope.description); only built-in chains have a policy")
            }
            return .string(policy)
        },
        BuiltinSpec("chain set-policy", summary: "Set the policy of a built-in chain (iptables -P): what happens to a packet no rule decides.",
                    parameters: [chain, Parameter("policy", .choice(["ACCEPT", "DROP"]))], options: IptablesScope.options,
                    example: "chain set-policy FORWARD DROP") { call in
            let (engine, scope, name) = try target(call)
            guard IptablesTableState(table: scope.table).isBuiltin(name) else {
                throw Diagnostic("'\(name)' is not a built-in chain of table \(scope.description); only those have a policy",
                                 at: call.range(ofPositional: 0))
            }
            let policy = try call.text(1)
            if try engine.policy(name, in: scope, call) != policy { try engine.execute(.setPolicy(chain: name, policy: policy), in: scope, call) }
            return .empty
        },
        BuiltinSpec("chain names", summary: "The chains of a table: built-in chains first, then user chains in alphabetical order.",
                    options: IptablesScope.options,
                    example: "for c in $(chain names --table nat) { echo $c }") { call in
            let scope = try IptablesScope(call)
            return .list(try IptablesEngine.of(call).chains(scope, call).map(Value.string))
        },
        BuiltinSpec("chain prune", summary: "Remove every user chain whose name starts with PREFIX (with --exact: is CHAIN): delete each rule of other chains that jumps or goes to one, flush them, delete them. Returns the removed names; none is not an error.",
                    parameters: [Parameter("prefix", .chain)],
                    options: IptablesScope.options + [OptionSpec("--exact", summary: "match the whole chain name, not a prefix")],
                    example: "chain prune warden-instance- --table nat") { call in
            let (engine, scope, name) = try target(call)
            let selection: IptablesEngine.PruneSelection = call.has("--exact") ? .exact(name) : .prefix(name)
            return .list(try engine.prune(selection, in: scope, call).map(Value.string))
        },
    ])

    static func target(_ call: Invocation) throws -> (IptablesEngine, IptablesScope, String) {
        (IptablesEngine.of(call), try IptablesScope(call), try call.text(0))
    }

    static func refuseBuiltin(_ name: String, _ scope: IptablesScope, _ call: Invocation, _ verb: String) throws {
        if IptablesTableState(table: scope.table).isBuiltin(name) {
            throw Diagnostic("'\(name)' is a built-in chain of table \(scope.description); it cannot be \(verb == "create" ? "created" : "deleted")",
                             at: call.range(ofPositional: 0))
        }
    }
}
