import Interpreter
import Lexer

/// `nft-table create|ensure|delete|flush|exists|list`: nftables tables of any family.
enum NftTableBuiltins {
    static let parameters = [NftFamily.familyParameter, NftFamily.tableParameter]

    static let family = BuiltinFamily("nft-table", summary: "Create, empty, remove and list nftables tables (families ip, ip6, inet, bridge, netdev).", subcommands: [
        BuiltinSpec("nft-table create", summary: "Create a table; an existing one is an error.",
                    parameters: parameters, example: "nft-table create inet warden") { call in
            let (transaction, id) = (NftFamily.transaction(call), try NftFamily.tableID(call))
            try transaction.decide(call) {
                if try transaction.table(id, call) != nil {
                    throw transaction.refusal("table '\(id.words)' already exists", call, kernel: "File exists",
                                              hint: "`nft-table ensure \(id.words)` leaves an existing table as it is")
                }
                try transaction.addTable(id, create: true, call)
            }
            return .empty
        },
        BuiltinSpec("nft-table ensure", summary: "Create a table unless it exists.",
                    parameters: parameters, example: "nft-table ensure inet warden") { call in
            let (transaction, id) = (NftFamily.transaction(call), try NftFamily.tableID(call))
            try transaction.decide(call, consulting: true) {
                if try transaction.table(id, call) == nil { try transaction.addTable(id, create: false, call) }
            }
            return .empty
        },
        BuiltinSpec("nft-table delete", summary: "Delete a table and everything in it. With --if-exists, a missing table is not an error.",
                    parameters: parameters, options: [OptionSpec("--if-exists", summary: "do nothing when the table does not exist")],
                    example: "nft-table delete inet warden --if-exists") { call in
            let (transaction, id) = (NftFamily.transaction(call), try NftFamily.tableID(call))
            try transaction.decide(call, consulting: call.has("--if-exists")) {
                guard try transaction.table(id, call) != nil else {
                    if call.has("--if-exists") { return }
                    throw NftFamily.unknownTable(id, transaction, call)
                }
                try transaction.deleteTable(id, call)
            }
            return .empty
        },
        BuiltinSpec("nft-table flush", summary: "Delete every rule of every chain of a table; chains, sets and their elements stay.",
                    parameters: parameters, example: "nft-table flush inet warden") { call in
            let (transaction, id) = (NftFamily.transaction(call), try NftFamily.tableID(call))
            try transaction.decide(call) {
                guard let table = try transaction.whole(id, call) else { throw NftFamily.unknownTable(id, transaction, call) }
                try transaction.flushTable(id, table, call)
            }
            return .empty
        },
        BuiltinSpec("nft-table exists", summary: "Whether the table exists.",
                    parameters: parameters, example: "if nft-table exists inet warden { … }") { call in
            let (transaction, id) = (NftFamily.transaction(call), try NftFamily.tableID(call))
            return .boolean(try transaction.table(id, call) != nil)
        },
        BuiltinSpec("nft-table list", summary: "The tables as records {family, name}, sorted; only FAMILY's when it is given.",
                    parameters: [Parameter("family", NftNames.family, optional: true)],
                    example: "for t in $(nft-table list inet) { echo $t.name }") { call in
            let transaction = NftFamily.transaction(call)
            let family = try call.optionalText(0)
            let ids = try transaction.tableIDs(call).filter { family == nil || $0.family.rawValue == family }
            return .list(ids.map { .record(Record([("family", .string($0.family.rawValue)), ("name", .string($0.name))])) })
        },
    ])
}

/// `nft-chain create|ensure|flush|delete|exists|list|names`: regular chains,
/// and base chains (with --hook) that packets enter from a netfilter hook.
enum NftChainBuiltins {
    static let parameters = [NftFamily.familyParameter, NftFamily.tableParameter, NftFamily.chainParameter]
    static let hooks = ["prerouting", "input", "forward", "output", "postrouting", "ingress", "egress"]

    static let baseOptions: [OptionSpec] = [
        OptionSpec("--type", .choice(["filter", "nat", "route"]), summary: "a base chain's type (default filter)"),
        OptionSpec("--hook", .choice(hooks), summary: "makes it a base chain on this hook"),
        OptionSpec("--priority", .custom("N|NAME", priorityProblem),
                   summary: "a base chain's priority: a number, or raw, mangle, dstnat, filter, security, srcnat (bridge: out)"),
        OptionSpec("--policy", .choice(["accept", "drop"]), summary: "what a base chain does with a packet no rule decided (default accept)"),
        OptionSpec("--device", NftNames.interface, summary: "the interface of a netdev ingress or egress chain"),
    ]

    static func priorityProblem(_ text: String) -> String? {
        if Int(text) != nil { return nil }
        return priorityNames(.inet)[text] == nil && priorityNames(.bridge)[text] == nil
            ? "'\(text)' is not a priority: a number, or raw, mangle, dstnat, filter, security, srcnat, out" : nil
    }

    /// nft's names for priorities (nft prints the number in JSON).
    static func priorityNames(_ family: NftTableFamily) -> [String: Int] {
        switch family {
        case .bridge: return ["dstnat": -300, "filter": -200, "out": 100, "srcnat": 300]
        case .netdev: return ["filter": 0]
        default: return ["raw": -300, "mangle": -150, "dstnat": -100, "filter": 0, "security": 50, "srcnat": 100]
        }
    }

    /// The base chain the options describe, nil for a regular chain.
    static func base(_ call: Invocation, _ id: NftTableID) throws -> NftBaseChain? {
        guard let hook = try call.option("--hook") else {
            if let other = ["--type", "--priority", "--policy", "--device"].first(where: { call.has($0) }) {
                throw Diagnostic("\(other) belongs to a base chain: give --hook too", at: call.options[other]![0].range)
            }
            return nil
        }
        let type = try call.option("--type") ?? "filter"
        let priority: Int
        if let text = try call.option("--priority") {
            guard let number = Int(text) ?? priorityNames(id.family)[text] else {
                throw Diagnostic("'\(text)' is not a priority name in a \(id.family.rawValue) table", at: call.options["--priority"]![0].range)
            }
            priority = number
        } else if type == "nat" {
            priority = hook == "postrouting" || hook == "input" ? 100 : -100
        } else {
            priority = id.family == .bridge ? -200 : (type == "route" ? -150 : 0)
        }
        let device = try call.option("--device")
        if (hook == "ingress" || hook == "egress") && id.family == .netdev && device == nil {
            throw Diagnostic("a netdev \(hook) chain needs --device IFACE", at: call.options["--hook"]![0].range)
        }
        return NftBaseChain(type: type, hook: hook, priority: priority, policy: try call.option("--policy") ?? "accept", device: device)
    }

    static func describe(_ base: NftBaseChain?) -> String {
        guard let base else { return "a regular chain" }
        return "type \(base.type) hook \(base.hook) priority \(base.priority) policy \(base.policy)"
    }

    static func target(_ call: Invocation) throws -> (NftTransaction, NftTableID, String) {
        (NftFamily.transaction(call), try NftFamily.tableID(call), try call.text(2))
    }

    static let family = BuiltinFamily("nft-chain", summary: "Create, empty, remove and inspect nftables chains, regular or base (with --hook).", subcommands: [
        BuiltinSpec("nft-chain create", summary: "Create a chain; with --hook a base chain that packets enter from that hook. An existing chain is an error.",
                    parameters: parameters, options: baseOptions,
                    example: "nft-chain create inet warden forward --hook forward --policy accept") { call in
            let (transaction, id, name) = try target(call)
            let base = try NftChainBuiltins.base(call, id)
            try transaction.decide(call) {
                let table = try NftFamily.requireTable(id, transaction, call)
                if try transaction.chain(name, in: id, call) != nil {
                    throw transaction.refusal("chain '\(name)' already exists in table '\(id.words)'", call, kernel: "File exists",
                                              hint: "`nft-chain ensure` leaves an existing chain as it is")
                }
                try transaction.addChain(id, name, base: base, create: true, table, call)
            }
            return .empty
        },
        BuiltinSpec("nft-chain ensure", summary: "Create a chain unless it exists. An existing base chain gets the --policy given; another type, hook or priority is an error (nft changes only a base chain's policy).",
                    parameters: parameters, options: baseOptions,
                    example: "nft-chain ensure inet warden postrouting --type nat --hook postrouting") { call in
            let (transaction, id, name) = try target(call)
            let base = try NftChainBuiltins.base(call, id)
            try transaction.decide(call, consulting: true) {
                let table = try NftFamily.requireTable(id, transaction, call)
                guard let existing = try transaction.chain(name, in: id, call) else {
                    try transaction.addChain(id, name, base: base, create: false, table, call)
                    return
                }
                guard let wanted = base else {
                    if existing.base != nil {
                        throw call.fail("chain '\(name)' in table '\(id.words)' is a base chain (\(describe(existing.base))), not a regular one")
                    }
                    return
                }
                guard let current = existing.base, current.type == wanted.type, current.hook == wanted.hook,
                      current.priority == wanted.priority else {
                    throw transaction.refusal("chain '\(name)' in table '\(id.words)' exists as \(describe(existing.base)); it cannot become \(describe(wanted))",
                                              call, kernel: "Device or resource busy",
                                              hint: "delete it first, or give the type, hook and priority it has")
                }
                var updated = current
                updated.policy = wanted.policy
                if updated != current { try transaction.addChain(id, name, base: updated, create: false, table, call) }
            }
            return .empty
        },
        BuiltinSpec("nft-chain flush", summary: "Delete every rule of a chain.",
                    parameters: parameters, example: "nft-chain flush inet warden default") { call in
            let (transaction, id, name) = try target(call)
            try transaction.decide(call) {
                _ = try NftFamily.requireChain(name, id, transaction, call)
                // Its rules are read: an undo puts them back.
                let chain = try transaction.rules(of: name, in: id, call)!
                try transaction.flushChain(id, name, chain, call)
            }
            return .empty
        },
        BuiltinSpec("nft-chain delete", summary: "Delete an empty chain that no rule or verdict map leads to. With --if-exists, a missing chain is not an error.",
                    parameters: parameters, options: [OptionSpec("--if-exists", summary: "do nothing when the chain does not exist")],
                    example: "nft-chain delete inet warden instance-abc --if-exists") { call in
            let (transaction, id, name) = try target(call)
            try transaction.decide(call, consulting: call.has("--if-exists")) {
                if call.has("--if-exists"), try transaction.table(id, call) == nil || transaction.chain(name, in: id, call) == nil { return }
                _ = try NftFamily.requireChain(name, id, transaction, call)
                let chain = try transaction.rules(of: name, in: id, call)!
                // Linux 6 deletes a chain's rules with it; wds, like older kernels, asks for it empty.
                if !chain.rules.isEmpty {
                    throw transaction.refusal("chain '\(name)' in table '\(id.words)' still has \(chain.rules.count) rule(s)", call,
                                              kernel: "Device or resource busy", hint: "flush it first: `nft-chain flush \(id.words) \(name)`")
                }
                // The kernel refuses to delete a chain something still leads to. Its count of
                // references says so without reading the whole table; the table is read to name one.
                if transaction.references(to: name, in: id, chain) != 0, let table = try transaction.whole(id, call),
                   let user = NftReferences.userOfChain(name, in: table) {
                    throw transaction.refusal("chain '\(name)' in table '\(id.words)' is still the target of \(user)", call,
                                              kernel: "Device or resource busy")
                }
                try transaction.deleteChain(id, name, try NftFamily.requireTable(id, transaction, call), call)
            }
            return .empty
        },
        BuiltinSpec("nft-chain exists", summary: "Whether the chain exists (false when its table does not).",
                    parameters: parameters, example: "if nft-chain exists inet warden forward { … }") { call in
            let (transaction, id, name) = try target(call)
            guard try transaction.table(id, call) != nil else { return .boolean(false) }
            return .boolean(try transaction.chain(name, in: id, call) != nil)
        },
        BuiltinSpec("nft-chain list", summary: "The rules of a chain as records (the fields of `nft-rule list`); an unknown chain is an error.",
                    parameters: parameters, example: "for r in $(nft-chain list inet warden forward) { echo $r.handle $r.text }") { call in
            let (transaction, id, name) = try target(call)
            _ = try NftFamily.requireChain(name, id, transaction, call)
            return NftRuleBuiltins.records(try transaction.rules(of: name, in: id, call)!.rules, chain: name, id)
        },
        BuiltinSpec("nft-chain names", summary: "The chains of a table, in the order nft lists them.",
                    parameters: [NftFamily.familyParameter, NftFamily.tableParameter],
                    example: "for c in $(nft-chain names inet warden) { echo $c }") { call in
            let (transaction, id) = (NftFamily.transaction(call), try NftFamily.tableID(call))
            _ = try NftFamily.requireTable(id, transaction, call)
            return .list(try transaction.whole(id, call)!.chainOrder.map(Value.string))
        },
    ])
}

/// What in a table leads to a chain or uses a set: the kernel refuses to delete either while something does.
enum NftReferences {
    static func userOfChain(_ name: String, in table: NftTableModel) -> String? {
        for other in table.chainOrder where other != name {
            for rule in table.chains[other]?.rules ?? [] where leads(rule, to: name) {
                return "a rule of chain '\(other)' (`\(rule.text(family: .inet))`)"
            }
        }
        for setName in table.setOrder {
            guard let set = table.sets[setName], set.isMap, set.shape?.valueType == .verdict else { continue }
            if set.elements.contains(where: { $0.value == .verdict("jump \(name)") || $0.value == .verdict("goto \(name)") }) {
                return "an element of map '\(setName)'"
            }
        }
        return nil
    }

    static func leads(_ rule: NftRuleEntry, to chain: String) -> Bool {
        switch rule.body {
        case .typed(let typed): return typed.targetChain == chain
        case .raw(let text):
            let words = text.split(separator: " ")
            return zip(words, words.dropFirst()).contains { ($0.0 == "jump" || $0.0 == "goto") && $0.1 == chain }
        case .kernel(let expressions, _, _):
            return expressions.contains { ($0["jump"] ?? $0["goto"])?["target"]?.stringValue == chain }
        }
    }

    static func userOfSet(_ name: String, in table: NftTableModel) -> String? {
        for chainName in table.chainOrder {
            for rule in table.chains[chainName]?.rules ?? [] where uses(rule, set: name) {
                return "a rule of chain '\(chainName)' (`\(rule.text(family: .inet))`)"
            }
        }
        return nil
    }

    static func uses(_ rule: NftRuleEntry, set name: String) -> Bool {
        switch rule.body {
        case .typed(let typed): return typed.referencedSets.contains(name)
        case .raw(let text): return text.split(separator: " ").contains { $0 == "@\(name)" }
        case .kernel(let expressions, _, _): return JSON.array(expressions).serialized.contains("\"@\(name)\"")
        }
    }
}
