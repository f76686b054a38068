import Interpreter
import Lexer

/// `nft-rule add|insert|delete|ensure|exists|list`: one rule of one chain,
/// built from typed options (or given whole in nft syntax with --nft), and
/// compared with the chain's rules by what `nft -j list` prints for it.
enum NftRuleBuiltins {
    static let parameters = NftChainBuiltins.parameters
    static let options = NftRuleOptions.options

    static let placeOptions: [OptionSpec] = [
        OptionSpec("--position", .integer, summary: "insert at this position, 1 being the first"),
        OptionSpec("--before-handle", .integer, summary: "insert before the rule with this handle"),
        OptionSpec("--after-handle", .integer, summary: "insert after the rule with this handle"),
        OptionSpec("--before", .text, summary: "insert before the first rule that reads so (its `text`, as `nft-rule list` gives it)"),
        OptionSpec("--after", .text, summary: "insert after the first rule that reads so"),
    ]

    static let family = BuiltinFamily("nft-rule", summary: "Add, insert, remove and query the rules of an nftables chain.", subcommands: [
        BuiltinSpec("nft-rule add", summary: "Append a rule to a chain.",
                    parameters: parameters, options: options,
                    example: "nft-rule add inet warden forward --iif w-* --daddr @allowed --accept") { call in
            try add(call, position: nil)
            return .empty
        },
        BuiltinSpec("nft-rule insert", summary: "Insert a rule: first in the chain, or where --position, --before-handle, --after-handle, --before or --after says.",
                    parameters: parameters, options: options + placeOptions,
                    example: "nft-rule insert inet warden forward --position 2 --iif w-abc-0 --goto instance-abc") { call in
            try add(call, position: 1)
            return .empty
        },
        BuiltinSpec("nft-rule delete", summary: "Delete the first rule of a chain equal to this one, or the rule with --handle. With --if-exists, a missing rule is not an error.",
                    parameters: parameters,
                    options: options + [OptionSpec("--handle", .integer, summary: "the rule with this handle (given alone)"),
                                        OptionSpec("--if-exists", summary: "do nothing when no such rule exists")],
                    example: "nft-rule delete inet warden forward --iif w-* --jump containers --if-exists") { call in
            let (transaction, id, name) = try NftChainBuiltins.target(call)
            try transaction.decide(call, consulting: call.has("--if-exists")) {
                if call.has("--if-exists"), try transaction.table(id, call) == nil || transaction.chain(name, in: id, call) == nil { return }
                _ = try NftFamily.requireChain(name, id, transaction, call)
                let chain = try transaction.rules(of: name, in: id, call)!
                let index: Int?
                if let handle = call.options["--handle"]?.first {
                    if let other = options.map(\.name).first(where: { call.has($0) }) {
                        throw Diagnostic("--handle names the rule: it cannot be combined with \(other)", at: handle.range)
                    }
                    let number = handle.value.integerValue ?? -1
                    index = chain.rules.firstIndex { $0.handle == number }
                } else {
                    let entry = try NftRuleOptions.resolve(try NftRuleOptions.build(call, family: id.family), in: id, transaction, call)
                    index = chain.rules.firstIndex { $0.identity == entry.identity }
                }
                guard let index else {
                    if call.has("--if-exists") { return }
                    throw transaction.refusal("chain '\(name)' in table '\(id.words)' holds no such rule", call, kernel: "No such file or directory")
                }
                try transaction.deleteRule(id, name, at: index, chain, call)
            }
            return .empty
        },
        BuiltinSpec("nft-rule ensure", summary: "Append the rule to a chain unless the chain holds it already, as nft prints it back (or insert it at --position N).",
                    parameters: parameters, options: options + [OptionSpec("--position", .integer, summary: "insert here when missing, 1 being the first")],
                    example: "nft-rule ensure inet warden forward --ct-state established,related --accept") { call in
            let (transaction, id, name) = try NftChainBuiltins.target(call)
            let exists = try transaction.decide(call) { () -> Bool in
                _ = try NftFamily.requireChain(name, id, transaction, call)
                let chain = try transaction.rules(of: name, in: id, call)!
                let entry = try NftRuleOptions.resolve(try NftRuleOptions.build(call, family: id.family), in: id, transaction, call)
                if case .raw = entry.body {
                    throw Diagnostic("nft-rule ensure compares rules as nft prints them back, which wds cannot know of a rule given with --nft",
                                     at: call.options["--nft"]![0].range, hint: "use nft-rule add, or give the rule as options")
                }
                return (chain.counts[entry.identity] ?? 0) > 0
            }
            if !exists { try add(call, position: call.has("--position") ? 1 : nil, consulting: true) }
            return .empty
        },
        BuiltinSpec("nft-rule exists", summary: "Whether the chain holds this rule, compared as nft prints it back; an unknown chain is an error.",
                    parameters: parameters, options: options,
                    example: "if nft-rule exists inet warden forward --iif w-* --jump containers { … }") { call in
            let (transaction, id, name) = try NftChainBuiltins.target(call)
            _ = try NftFamily.requireChain(name, id, transaction, call)
            let chain = try transaction.rules(of: name, in: id, call)!
            let entry = try NftRuleOptions.resolve(try NftRuleOptions.build(call, family: id.family), in: id, transaction, call)
            if case .raw(let text) = entry.body {
                return .boolean(chain.rules.contains { $0.text(family: id.family) == text })
            }
            return .boolean((chain.counts[entry.identity] ?? 0) > 0)
        },
        BuiltinSpec("nft-rule list", summary: "The rules of a table (or of CHAIN) as records: chain, position, handle (empty until committed), text (nft syntax), iif, oif, protocol, saddr, daddr, sport, dport, icmp_type, ct_state, mark, counter, log_prefix, verdict, target, comment, json. Absent parts are empty; negated ones read `!= VALUE`.",
                    parameters: [NftFamily.familyParameter, NftFamily.tableParameter, Parameter("chain", NftNames.chain, optional: true)],
                    example: "for r in $(nft-rule list inet warden forward) { echo $r.position $r.text }") { call in
            let transaction = NftFamily.transaction(call)
            let id = try NftFamily.tableID(call)
            if let name = try call.optionalText(2) {
                _ = try NftFamily.requireChain(name, id, transaction, call)
                return records(try transaction.rules(of: name, in: id, call)!.rules, chain: name, id)
            }
            _ = try NftFamily.requireTable(id, transaction, call)
            let table = try transaction.whole(id, call)!
            var all: [Value] = []
            for name in table.chainOrder {
                if case .list(let items) = records(table.chains[name]?.rules ?? [], chain: name, id) { all += items }
            }
            return .list(all)
        },
    ])

    /// Adds the rule the options describe: appended (`position` nil), or at the place the options give.
    static func add(_ call: Invocation, position defaultPosition: Int?, consulting: Bool = false) throws {
        let (transaction, id, name) = try NftChainBuiltins.target(call)
        // A place found by a rule's handle or text comes from the host.
        let found = ["--before-handle", "--after-handle", "--before", "--after"].contains { call.has($0) }
        try transaction.decide(call, consulting: consulting || found) {
            var chain = try NftFamily.requireChain(name, id, transaction, call)
            // Appending needs nothing of the chain's rules; any other place does.
            let appends = defaultPosition == nil && !NftRuleBuiltins.placeOptions.contains { call.has($0.name) }
            if !appends { chain = try transaction.rules(of: name, in: id, call)! }
            let entry = try NftRuleOptions.resolve(try NftRuleOptions.build(call, family: id.family), in: id, transaction, call)
            try checkTarget(entry, id, transaction, call)
            let index = try place(call, chain, id, default: defaultPosition)
            try transaction.addRule(id, name, entry, at: index, chain, call)
        }
    }

    /// The kernel refuses a jump or goto to a chain that does not exist, or to a base chain.
    static func checkTarget(_ entry: NftRuleEntry, _ id: NftTableID, _ transaction: NftTransaction, _ call: Invocation) throws {
        guard let target = entry.typed?.targetChain else { return }
        guard let chain = try transaction.chain(target, in: id, call) else {
            throw transaction.refusal("unknown chain '\(target)' in table '\(id.words)'", call, kernel: "No such file or directory",
                                      hint: "create it first with `nft-chain ensure \(id.words) \(target)`")
        }
        if chain.base != nil {
            throw transaction.refusal("chain '\(target)' is a base chain: a rule cannot jump or go to it", call, kernel: "Operation not supported")
        }
    }

    /// The index (0-based) the rule goes to in the chain.
    static func place(_ call: Invocation, _ chain: NftChainModel, _ id: NftTableID, default defaultPosition: Int?) throws -> Int {
        let count = chain.rules.count
        let given = NftRuleBuiltins.placeOptions.map(\.name).filter { call.has($0) }
        if given.count > 1 {
            throw Diagnostic("give one place for the rule: \(given[0]) and \(given[1]) cannot go together", at: call.options[given[1]]![0].range)
        }
        guard let option = given.first else { return defaultPosition.map { min($0 - 1, count) } ?? count }
        let found = call.options[option]![0]
        switch option {
        case "--position":
            guard let position = found.value.integerValue, position >= 1 else {
                throw Diagnostic("a rule position starts at 1, got \(found.value)", at: found.range)
            }
            guard position <= count + 1 else {
                throw CommandFailure("position \(position) is past the end of a chain of \(count) rule(s)", at: call.range,
                                     status: ExitStatus.kernelRefused, hint: "positions go from 1 to \(count + 1)")
            }
            return position - 1
        case "--before-handle", "--after-handle":
            let handle = found.value.integerValue ?? -1
            guard let index = chain.rules.firstIndex(where: { $0.handle == handle }) else {
                throw CommandFailure("the chain holds no rule with handle \(handle)", at: call.range, status: ExitStatus.kernelRefused)
            }
            return option == "--before-handle" ? index : index + 1
        default:
            let text = try call.option(option) ?? ""
            guard let index = chain.rules.firstIndex(where: { $0.text(family: id.family) == text }) else {
                throw CommandFailure("the chain holds no rule that reads `\(text)`", at: call.range, status: ExitStatus.kernelRefused,
                                     hint: "`nft-chain list` gives each rule's text")
            }
            return option == "--before" ? index : index + 1
        }
    }

    // MARK: - Records

    static func records(_ rules: [NftRuleEntry], chain: String, _ id: NftTableID) -> Value {
        .list(rules.enumerated().map { position, entry in .record(record(entry, chain: chain, position: position + 1, id)) })
    }

    static func record(_ entry: NftRuleEntry, chain: String, position: Int, _ id: NftTableID) -> Record {
        func text(_ value: String?) -> Value { .string(value ?? "") }
        func negated<T>(_ match: NftRule.Match<T>?, _ show: (T) -> String) -> Value {
            guard let match else { return .string("") }
            return .string((match.negated ? "!= " : "") + show(match.value))
        }
        let rule = entry.typed
        var verdict = "", target = ""
        switch rule?.action {
        case .accept?: verdict = "accept"
        case .drop?: verdict = "drop"
        case .return?: verdict = "return"
        case .continue?: verdict = "continue"
        case .reject(let type)?: (verdict, target) = ("reject", type ?? "")
        case .jump(let chain)?: (verdict, target) = ("jump", chain)
        case .goto(let chain)?: (verdict, target) = ("goto", chain)
        case .masquerade?: verdict = "masquerade"
        case .snat(let address, let port)?: (verdict, target) = ("snat", address.text + (port.map { ":\($0)" } ?? ""))
        case .dnat(let address, let port)?: (verdict, target) = ("dnat", address.text + (port.map { ":\($0)" } ?? ""))
        case .redirect(let port)?: (verdict, target) = ("redirect", port.map(String.init) ?? "")
        case .verdictMap(let key, let map)?: (verdict, target) = ("vmap", "\(key):\(map)")
        case nil: break
        }
        let ipv6 = rule?.ipv6 ?? false
        let json: String
        switch entry.body {
        case .typed(let typed): json = JSON.array(typed.expressions(family: id.family)).serialized
        case .kernel(let expressions, _, _): json = JSON.array(expressions).serialized
        case .raw: json = ""
        }
        return Record([
            ("chain", .string(chain)),
            ("position", .integer(position)),
            ("handle", entry.handle.map { Value.integer($0) } ?? .string("")),
            ("text", .string(entry.text(family: id.family))),
            ("iif", negated(rule?.inputInterface) { $0 }),
            ("oif", negated(rule?.outputInterface) { $0 }),
            ("protocol", negated(rule?.l4protocol) { $0 }),
            ("saddr", negated(rule?.source) { NftRule.text($0, ipv6: ipv6) }),
            ("daddr", negated(rule?.destination) { NftRule.text($0, ipv6: ipv6) }),
            ("sport", negated(rule?.sourcePort) { NftRule.text($0) }),
            ("dport", negated(rule?.destinationPort) { NftRule.text($0) }),
            ("icmp_type", negated(rule?.icmpTypes) { $0.joined(separator: ",") }),
            ("ct_state", negated(rule?.conntrackStates) { $0.joined(separator: ",") }),
            ("mark", negated(rule?.mark) { $0.map { "0x" + String($0, radix: 16) }.joined(separator: "/") }),
            ("counter", .boolean(rule?.counter ?? false)),
            ("log_prefix", text(rule?.log?.prefix)),
            ("verdict", .string(verdict)),
            ("target", .string(target)),
            ("comment", text(rule?.comment ?? { if case .kernel(_, let comment, _) = entry.body { return comment } else { return nil } }())),
            ("json", .string(json)),
        ])
    }
}
