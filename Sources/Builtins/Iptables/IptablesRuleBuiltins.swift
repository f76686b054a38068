import Interpreter
import Lexer

/// `rule append|insert|delete|exists|ensure CHAIN …` and `rules`: one rule,
/// described by options instead of iptables' flags, checked as a whole before
/// anything runs, then handed to the run's `IptablesEngine`.
enum IptablesRuleBuiltins {
    /// A protocol name in any case, as iptables takes it.
    static let protocolType = ArgumentType.custom(IptablesRule.protocols.joined(separator: "|")) { text in
        IptablesValues.protocolName(text) == nil ? "'\(text)' is not one of \(IptablesRule.protocols.joined(separator: ", "))" : nil
    }

    /// The matches and the target a rule is made of, after `--table`/`--ipv6`.
    static let ruleOptions: [OptionSpec] = IptablesScope.options + [
        OptionSpec("--source", .cidr, summary: "source network or address", negatable: true),
        OptionSpec("--destination", .cidr, summary: "destination network or address", negatable: true),
        OptionSpec("--in", .interface, summary: "input interface (`w-+` matches every w-…)", negatable: true),
        OptionSpec("--out", .interface, summary: "output interface", negatable: true),
        OptionSpec("--protocol", protocolType, summary: "protocol, in any case (`TCP` is tcp)", negatable: true),
        OptionSpec("--sport", .portRange, summary: "source port or range (with --protocol tcp or udp)", negatable: true),
        OptionSpec("--dport", .portRange, summary: "destination port or range (with --protocol tcp or udp)", negatable: true),
        OptionSpec("--syn", summary: "only TCP connection openings; `! --syn` all other segments", negatable: true),
        OptionSpec("--tcp-flags", .words("[MASK COMPARE]"),
                   summary: "TCP flags: of those in MASK, exactly those in COMPARE are set (`[SYN,RST SYN]`; ALL, NONE)", negatable: true),
        OptionSpec("--ctstate", .text, summary: "conntrack states, such as RELATED,ESTABLISHED", negatable: true),
        OptionSpec("--state", .text, summary: "the older `-m state` form of --ctstate, as some scripts' rules are saved", negatable: true),
        OptionSpec("--comment", .text, summary: "a comment kept with the rule"),
        OptionSpec("--src-type", .text, summary: "source address types (`-m addrtype`): LOCAL, BROADCAST, … joined by commas", negatable: true),
        OptionSpec("--dst-type", .text, summary: "destination address types (`-m addrtype`), such as LOCAL", negatable: true),
        OptionSpec("--limit-iface-in", summary: "address types only on the input interface"),
        OptionSpec("--limit-iface-out", summary: "address types only on the output interface"),
        OptionSpec("--uid-owner", .text, summary: "the sending process's user id, or a range like 1000-2000 (`-m owner`; OUTPUT, POSTROUTING)", negatable: true),
        OptionSpec("--gid-owner", .text, summary: "the sending process's group id or range (`-m owner`)", negatable: true),
        OptionSpec("--socket-exists", summary: "the packet has a local socket (`-m owner`)", negatable: true),
        OptionSpec("--icmp-type", .text, summary: "ICMP type: a name (echo-request), a number, TYPE/CODE, or any (with --protocol icmp)", negatable: true),
        OptionSpec("--icmpv6-type", .text, summary: "ICMPv6 type: a name or number, or TYPE/CODE (with --ipv6 --protocol icmpv6)", negatable: true),
        OptionSpec("--mark", .text, summary: "the packet's mark, VALUE[/MASK] (`-m mark`)", negatable: true),
        OptionSpec("--connmark", .text, summary: "the connection's mark, VALUE[/MASK] (`-m connmark --mark`)", negatable: true),
        OptionSpec("--sports", .text, summary: "source ports and ranges, such as 80,443,8000:8080 (`-m multiport`; tcp, udp, sctp)", negatable: true),
        OptionSpec("--dports", .text, summary: "destination ports and ranges (`-m multiport`)", negatable: true),
        OptionSpec("--ports", .text, summary: "ports and ranges, source or destination (`-m multiport`)", negatable: true),
        OptionSpec("--limit", .text, summary: "at most this rate on average, such as 5/minute (`-m limit`)"),
        OptionSpec("--limit-burst", .text, summary: "how many may come at once before --limit applies (default 5)"),
        OptionSpec("--physdev-in", .interface, summary: "bridge port the packet came in on (`-m physdev`)", negatable: true),
        OptionSpec("--physdev-out", .interface, summary: "bridge port the packet goes out of (`-m physdev`)", negatable: true),
        OptionSpec("--physdev-is-in", summary: "the packet came in on a bridge port", negatable: true),
        OptionSpec("--physdev-is-out", summary: "the packet goes out of a bridge port", negatable: true),
        OptionSpec("--physdev-is-bridged", summary: "the packet is being bridged", negatable: true),
        OptionSpec("--match-set", .words("[SET FLAGS]"), summary: "the address is in an ipset: [blocked src], [pairs src,dst] (`-m set`)",
                   negatable: true, repeatable: true),
        OptionSpec("--match", .words("[NAME OPTION…]"),
                   summary: "any other match module with its options as iptables takes them, such as [hashlimit --hashlimit-upto 50/sec --hashlimit-name web]",
                   repeatable: true),
        OptionSpec("--jump", .chain, summary: "target: ACCEPT, DROP, RETURN, REJECT, LOG, SNAT, DNAT, MASQUERADE, REDIRECT, MARK, CONNMARK, CHECKSUM, CT, NOTRACK, another iptables target, or a chain"),
        OptionSpec("--goto", .chain, summary: "continue in CHAIN without returning here"),
        OptionSpec("--to-source", .address, summary: "the address SNAT rewrites to"),
        OptionSpec("--to-destination", .text, summary: "ADDRESS[:PORT[-PORT]] DNAT rewrites to ([IPV6]:PORT)"),
        OptionSpec("--to-ports", .text, summary: "PORT[-PORT] MASQUERADE or REDIRECT rewrites to (with --protocol tcp or udp)"),
        OptionSpec("--random", summary: "MASQUERADE, REDIRECT: pick source ports at random"),
        OptionSpec("--random-fully", summary: "MASQUERADE: pick source ports fully at random"),
        OptionSpec("--log-prefix", .text, summary: "prefix of LOG messages (up to 29 bytes)"),
        OptionSpec("--log-level", .text, summary: "syslog level of LOG messages: 0 to 7 or a name (emerg … debug; default warning)"),
        OptionSpec("--log-uid", summary: "LOG the sending process's user id"),
        OptionSpec("--log-tcp-options", summary: "LOG the TCP options"),
        OptionSpec("--log-ip-options", summary: "LOG the IP options"),
        OptionSpec("--log-tcp-sequence", summary: "LOG TCP sequence numbers"),
        OptionSpec("--reject-with", .choice(IptablesValues.rejectionNames),
                   summary: "the ICMP error (or tcp-reset) REJECT answers with"),
        OptionSpec("--checksum-fill", summary: "CHECKSUM (mangle): fill in the checksum of packets that lack one"),
        OptionSpec("--set-mark", .text, summary: "MARK, CONNMARK: set the mark to VALUE[/MASK]"),
        OptionSpec("--set-xmark", .text, summary: "MARK, CONNMARK: clear MASK's bits, then xor VALUE (VALUE[/MASK])"),
        OptionSpec("--and-mark", .text, summary: "MARK, CONNMARK: and the mark with VALUE"),
        OptionSpec("--or-mark", .text, summary: "MARK, CONNMARK: or the mark with VALUE"),
        OptionSpec("--xor-mark", .text, summary: "MARK, CONNMARK: xor the mark with VALUE"),
        OptionSpec("--save-mark", summary: "CONNMARK: copy the packet's mark to the connection"),
        OptionSpec("--restore-mark", summary: "CONNMARK: copy the connection's mark to the packet"),
        OptionSpec("--mask", .text, summary: "CONNMARK --save-mark/--restore-mark: the bits copied (both masks)"),
        OptionSpec("--nfmask", .text, summary: "CONNMARK: the packet mark's bits copied"),
        OptionSpec("--ctmask", .text, summary: "CONNMARK: the connection mark's bits copied"),
        OptionSpec("--notrack", summary: "CT (raw): do not track the connection"),
        OptionSpec("--zone", .text, summary: "CT: the conntrack zone, 1 to 65535"),
        OptionSpec("--helper", .text, summary: "CT: the conntrack helper, such as ftp"),
        OptionSpec("--target-options", .words("[OPTION…]"),
                   summary: "options of another target, as iptables takes them, such as [--on-port 3129 --tproxy-mark 0x1/0x1]",
                   repeatable: true),
    ]

    static let chain = Parameter("chain", .chain)

    static let family = BuiltinFamily("rule", summary: "Add, remove and query iptables rules.", subcommands: [
        BuiltinSpec("rule append", summary: "Append a rule to CHAIN (iptables -A).",
                    parameters: [chain], options: ruleOptions,
                    example: "rule append warden-forward --in eth0 --jump ACCEPT", argumentCheck: checkRule) { call in
            let (scope, rule) = try build(call)
            try IptablesEngine.of(call).execute(.append(chain: try call.text(0), rule: rule), in: scope, call)
            return .empty
        },
        BuiltinSpec("rule insert", summary: "Insert a rule at POSITION of CHAIN, 1 being the first (iptables -I).",
                    parameters: [chain, Parameter("position", .integer)], options: ruleOptions,
                    example: "rule insert warden-forward 2 --in w-abc-0 --goto warden-instance-abc", argumentCheck: checkRule) { call in
            let (scope, rule) = try build(call)
            let position = try call.integer(1)
            guard position >= 1 else { throw Diagnostic("a rule position starts at 1, got \(position)", at: call.range(ofPositional: 1)) }
            try IptablesEngine.of(call).execute(.insert(chain: try call.text(0), position: position, rule: rule), in: scope, call)
            return .empty
        },
        BuiltinSpec("rule delete", summary: "Delete the first rule of CHAIN equal to this one (iptables -D). With --if-exists, a missing rule is not an error.",
                    parameters: [chain], options: ruleOptions + [OptionSpec("--if-exists", summary: "do nothing when no such rule exists")],
                    example: "rule delete FORWARD --in w-+ --jump warden-forward", argumentCheck: checkRule) { call in
            let (scope, rule) = try build(call)
            let engine = IptablesEngine.of(call)
            let chain = try call.text(0)
            if call.has("--if-exists"), try !engine.ruleExists(rule, in: chain, scope, call) { return .empty }
            try engine.execute(.delete(chain: chain, rule: rule), in: scope, call)
            return .empty
        },
        BuiltinSpec("rule delete-at", summary: "Delete the rule at POSITION of CHAIN, 1 being the first (iptables -D CHAIN N), as `number` of `rules` counts.",
                    parameters: [chain, Parameter("position", .integer)], options: IptablesScope.options,
                    example: "rule delete-at warden-forward 2") { call in
            let scope = try IptablesScope(call)
            try IptablesEngine.of(call).execute(.deleteAt(chain: try call.text(0), position: try call.integer(1)), in: scope, call)
            return .empty
        },
        BuiltinSpec("rule delete-record", summary: "Delete the rule a record of `rules` or `chain list` describes: from its table, chain and family, the rule printed as its `args`, at its `number` if it is still there, else the first such rule. With --if-exists, a rule that is gone is not an error.",
                    parameters: [Parameter("record", .anyValue)], options: [OptionSpec("--if-exists", summary: "do nothing when the rule is gone")],
                    example: "for r in $(rules FORWARD) { if $r.comment == legacy { rule delete-record $r } }") { call in
            try deleteRecord(call)
            return .empty
        },
        BuiltinSpec("rule exists", summary: "Whether CHAIN holds this rule (what iptables -C asks); an unknown chain is an error.",
                    parameters: [chain], options: ruleOptions,
                    example: "if ! rule exists FORWARD --in w-+ --jump warden-forward { … }", argumentCheck: checkRule) { call in
            let (scope, rule) = try build(call)
            return .boolean(try IptablesEngine.of(call).ruleExists(rule, in: try call.text(0), scope, call))
        },
        BuiltinSpec("rule ensure", summary: "Append the rule to CHAIN unless it holds it already (or insert it at --position N).",
                    parameters: [chain], options: ruleOptions + [OptionSpec("--position", .integer, summary: "insert here when missing, 1 being the first")],
                    example: "rule ensure FORWARD --in w-+ --jump warden-forward", argumentCheck: checkRule) { call in
            let (scope, rule) = try build(call)
            let engine = IptablesEngine.of(call)
            let chain = try call.text(0)
            if try engine.ruleExists(rule, in: chain, scope, call) { return .empty }
            if let text = try call.option("--position") {
                guard let position = Int(text), position >= 1 else {
                    throw Diagnostic("a rule position starts at 1, got \(text)", at: call.options["--position"]![0].range)
                }
                try engine.execute(.insert(chain: chain, position: position, rule: rule), in: scope, call)
            } else {
                try engine.execute(.append(chain: chain, rule: rule), in: scope, call)
            }
            return .empty
        },
    ])

    static let rulesSpec = BuiltinSpec(
        "rules", summary: "The rules of a table (or of CHAIN) as records, read from iptables-save: chain, number, table, ipv6, source, destination, in, out, protocol, sport, dport, syn, ctstate, comment, jump, goto, to_source, to_destination, log_prefix, reject_with, negated, rest, args (docs/language.md describes each). Absent parts are empty; negated ones read `! VALUE` and are named in `negated`.",
        parameters: [Parameter("chain", .chain, optional: true)], options: IptablesScope.options,
        example: "for r in $(rules warden-forward) { echo $r.number $r.args }"
    ) { call in
        let scope = try IptablesScope(call)
        let engine = IptablesEngine.of(call)
        let entries: [IptablesTableState.Entry]
        if let chain = try call.optionalText(0) {
            try engine.requireChain(chain, in: scope, call)
            entries = try engine.rules(in: chain, scope, call)
        } else {
            entries = try engine.view(scope, call).entries
        }
        return records(entries, scope)
    }

    /// Records numbered by their position within their own chain.
    static func records(_ entries: [IptablesTableState.Entry], _ scope: IptablesScope) -> Value {
        var counts: [String: Int] = [:]
        return .list(entries.map { entry in
            counts[entry.chain, default: 0] += 1
            return .record(entry.record(number: counts[entry.chain]!, scope: scope))
        })
    }

    /// `rule delete-record`: the record's rule, found again in the chain as the run has left it.
    static func deleteRecord(_ call: Invocation) throws {
        guard case .record(let record) = call.positionals[0] else {
            throw Diagnostic("rule delete-record needs a record of `rules` or `chain list`, got a \(call.positionals[0].typeName)",
                             at: call.range(ofPositional: 0))
        }
        guard let chain = record["chain"]?.text, let table = record["table"]?.text, let number = record["number"]?.integerValue,
              let args = record["args"]?.text, let ipv6 = record["ipv6"]?.booleanValue else {
            throw Diagnostic("this record lacks chain, table, ipv6, number or args: it does not come from `rules` or `chain list`",
                             at: call.range(ofPositional: 0))
        }
        if let problem = Validation.chainProblem(chain) ?? Validation.tableProblem(table) { throw Diagnostic(problem, at: call.range(ofPositional: 0)) }
        let scope = IptablesScope(family: ipv6 ? .ipv6 : .ipv4, table: table)
        let words: [String]
        do { words = try IptablesTableState.splitSaveWords(args) } catch {
            throw Diagnostic("the record's args has an unbalanced quote: \(args)", at: call.range(ofPositional: 0))
        }
        let engine = IptablesEngine.of(call)
        guard try engine.chainExists(chain, in: scope, call) else {
            if call.has("--if-exists") { return }
            throw call.fail("unknown chain '\(chain)' in table \(scope.description): the rule `-A \(chain) \(args)` is gone with it")
        }
        let entries = try engine.rules(in: chain, scope, call)
        let index = number >= 1 && number <= entries.count && entries[number - 1].words == words
            ? number - 1 : entries.firstIndex { $0.words == words }
        guard let index else {
            if call.has("--if-exists") { return }
            throw call.fail("chain '\(chain)' in table \(scope.description) no longer holds `-A \(chain) \(args)`",
                            hint: "add --if-exists when the rule may be gone already")
        }
        try engine.execute(.deleteAt(chain: chain, position: index + 1), in: scope, call)
    }

    // MARK: - Building a rule from the options

    /// The rules between a rule's options, as `wds check` runs them on literal words.
    static let checkRule: @Sendable (StaticArguments) throws -> Void = { arguments in
        _ = try IptablesRuleBuilder.build(arguments)
    }

    /// The scope and the canonical rule the options describe, or the first
    /// thing wrong with them, pointed at the option at fault. A rule with
    /// generic parts gets them in the form iptables-save prints (see
    /// `IptablesEngine.canonicalForm`).
    static func build(_ call: Invocation) throws -> (IptablesScope, IptablesRule) {
        let scope = try IptablesScope(call)
        let (rule, generic) = try IptablesRuleBuilder.build(StaticArguments(call))
        guard generic else { return (scope, rule) }
        return (scope, try IptablesEngine.of(call).canonicalForm(rule, chain: try call.text(0), in: scope, call))
    }

    /// `ADDRESS`, `ADDRESS:PORT`, `ADDRESS:PORT-PORT`, or for IPv6 `[ADDRESS]:PORT`;
    /// the canonical text and whether it names a port.
    static func natDestination(_ text: String, family: AddressFamily) -> Result<(String, Bool), IptablesRule.Problem> {
        var address = text
        var ports: String?
        if family == .ipv6 {
            if text.hasPrefix("[") {
                guard let close = text.firstIndex(of: "]") else { return .failure(.init("'\(text)' lacks the closing ']'")) }
                address = String(text[text.index(after: text.startIndex)..<close])
                let rest = text[text.index(after: close)...]
                guard rest.isEmpty || rest.hasPrefix(":") else { return .failure(.init("write '[ADDRESS]:PORT', not '\(text)'")) }
                if !rest.isEmpty { ports = String(rest.dropFirst()) }
            }
        } else if let colon = text.firstIndex(of: ":") {
            address = String(text[..<colon])
            ports = String(text[text.index(after: colon)...])
        }
        guard let canonical = IptablesRule.canonicalAddress(address, family: family) else {
            return .failure(.init("'\(address)' is not an \(family == .ipv4 ? "IPv4" : "IPv6") address"))
        }
        guard let ports else { return .success((canonical, false)) }
        let bounds = ports.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        guard bounds.count <= 2, bounds.allSatisfy({ Validation.portProblem($0) == nil }),
              bounds.count == 1 || Int(bounds[0])! <= Int(bounds[1])! else {
            return .failure(.init("'\(ports)' is not a port or a range like 8080-8090"))
        }
        let portText = bounds.count == 2 && bounds[0] == bounds[1] ? bounds[0] : ports
        return .success((family == .ipv6 ? "[\(canonical)]:\(portText)" : "\(canonical):\(portText)", true))
    }
}
