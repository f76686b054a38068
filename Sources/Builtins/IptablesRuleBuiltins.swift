import Interpreter
import Lexer

/// `rule append|insert|delete|exists|ensure CHAIN …` and `rules`: one rule,
/// described by options instead of iptables' flags, checked as a whole before
/// anything runs, then handed to the run's `IptablesEngine`.
enum IptablesRuleBuiltins {
    /// The matches and the target a rule is made of, after `--table`/`--ipv6`.
    static let ruleOptions: [OptionSpec] = IptablesScope.options + [
        OptionSpec("--source", .cidr, summary: "source network or address", negatable: true),
        OptionSpec("--destination", .cidr, summary: "destination network or address", negatable: true),
        OptionSpec("--in", .interface, summary: "input interface (`w-+` matches every w-…)", negatable: true),
        OptionSpec("--out", .interface, summary: "output interface", negatable: true),
        OptionSpec("--protocol", .choice(IptablesRule.protocols), summary: "protocol", negatable: true),
        OptionSpec("--sport", .portRange, summary: "source port or range (with --protocol tcp or udp)", negatable: true),
        OptionSpec("--dport", .portRange, summary: "destination port or range (with --protocol tcp or udp)", negatable: true),
        OptionSpec("--syn", summary: "only TCP connection openings; `! --syn` all other segments", negatable: true),
        OptionSpec("--ctstate", .text, summary: "conntrack states, such as RELATED,ESTABLISHED", negatable: true),
        OptionSpec("--comment", .text, summary: "a comment kept with the rule"),
        OptionSpec("--jump", .chain, summary: "target: ACCEPT, DROP, RETURN, REJECT, LOG, SNAT, DNAT, MASQUERADE or a chain"),
        OptionSpec("--goto", .chain, summary: "continue in CHAIN without returning here"),
        OptionSpec("--to-source", .address, summary: "the address SNAT rewrites to"),
        OptionSpec("--to-destination", .text, summary: "ADDRESS[:PORT[-PORT]] DNAT rewrites to ([IPV6]:PORT)"),
        OptionSpec("--log-prefix", .text, summary: "prefix of LOG messages (up to 29 bytes)"),
        OptionSpec("--reject-with", .choice(IptablesRule.rejectionsIPv4 + IptablesRule.rejectionsIPv6.filter { $0 != "tcp-reset" }),
                   summary: "the ICMP error (or tcp-reset) REJECT answers with"),
    ]

    static let chain = Parameter("chain", .chain)

    static let family = BuiltinFamily("rule", summary: "Add, remove and query iptables rules.", subcommands: [
        BuiltinSpec("rule append", summary: "Append a rule to CHAIN (iptables -A).",
                    parameters: [chain], options: ruleOptions,
                    example: "rule append warden-forward --in eth0 --jump ACCEPT") { call in
            let (scope, rule) = try build(call)
            try IptablesEngine.of(call).execute(.append(chain: try call.text(0), rule: rule), in: scope, call)
            return .empty
        },
        BuiltinSpec("rule insert", summary: "Insert a rule at POSITION of CHAIN, 1 being the first (iptables -I).",
                    parameters: [chain, Parameter("position", .integer)], options: ruleOptions,
                    example: "rule insert warden-forward 2 --in w-abc-0 --goto warden-instance-abc") { call in
            let (scope, rule) = try build(call)
            let position = try call.integer(1)
            guard position >= 1 else { throw Diagnostic("a rule position starts at 1, got \(position)", at: call.range(ofPositional: 1)) }
            try IptablesEngine.of(call).execute(.insert(chain: try call.text(0), position: position, rule: rule), in: scope, call)
            return .empty
        },
        BuiltinSpec("rule delete", summary: "Delete the first rule of CHAIN equal to this one (iptables -D). With --if-exists, a missing rule is not an error.",
                    parameters: [chain], options: ruleOptions + [OptionSpec("--if-exists", summary: "do nothing when no such rule exists")],
                    example: "rule delete FORWARD --in w-+ --jump warden-forward") { call in
            let (scope, rule) = try build(call)
            let engine = IptablesEngine.of(call)
            let chain = try call.text(0)
            if call.has("--if-exists"), try !engine.ruleExists(rule, in: chain, scope, call) { return .empty }
            try engine.execute(.delete(chain: chain, rule: rule), in: scope, call)
            return .empty
        },
        BuiltinSpec("rule exists", summary: "Whether CHAIN holds this rule (what iptables -C asks); an unknown chain is an error.",
                    parameters: [chain], options: ruleOptions,
                    example: "if ! rule exists FORWARD --in w-+ --jump warden-forward { … }") { call in
            let (scope, rule) = try build(call)
            return .boolean(try IptablesEngine.of(call).ruleExists(rule, in: try call.text(0), scope, call))
        },
        BuiltinSpec("rule ensure", summary: "Append the rule to CHAIN unless it holds it already (or insert it at --position N).",
                    parameters: [chain], options: ruleOptions + [OptionSpec("--position", .integer, summary: "insert here when missing, 1 being the first")],
                    example: "rule ensure FORWARD --in w-+ --jump warden-forward") { call in
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
        "rules", summary: "The rules of a table (or of CHAIN) as records, read from iptables-save: chain, number, source, destination, in, out, protocol, sport, dport, syn, ctstate, comment, jump, goto, to_source, to_destination, args. Absent parts are empty; negated ones read `! VALUE`.",
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
        return records(entries)
    }

    /// Records numbered by their position within their own chain.
    static func records(_ entries: [IptablesTableState.Entry]) -> Value {
        var counts: [String: Int] = [:]
        return .list(entries.map { entry in
            counts[entry.chain, default: 0] += 1
            return .record(entry.record(number: counts[entry.chain]!))
        })
    }

    // MARK: - Building a rule from the options

    /// The scope and the canonical rule the options describe, or the first
    /// thing wrong with them, pointed at the option at fault.
    static func build(_ call: Invocation) throws -> (IptablesScope, IptablesRule) {
        let scope = try IptablesScope(call)
        let family = scope.family
        var rule = IptablesRule()

        func entry(_ name: String) -> (value: Value, negated: Bool, range: SourceRange)? { call.options[name]?.first }
        func text(_ name: String) throws -> (String, negated: Bool, range: SourceRange)? {
            guard let found = entry(name) else { return nil }
            return (try call.option(name) ?? "", found.negated, found.range)
        }
        func wrong(_ message: String, at range: SourceRange, hint: String? = nil) -> Diagnostic {
            Diagnostic(message, at: range, hint: hint)
        }
        func network(_ name: String) throws -> IptablesRule.Match<String>? {
            guard let (value, negated, range) = try text(name) else { return nil }
            guard let canonical = IptablesRule.canonicalNetwork(value, family: family) else {
                throw wrong("\(name) '\(value)' is not an \(family == .ipv4 ? "IPv4" : "IPv6") network",
                            at: range, hint: family == .ipv4 ? "add --ipv6 for an IPv6 rule" : "an --ipv6 rule takes IPv6 networks")
            }
            if canonical.hasSuffix("/0") {
                if negated { throw wrong("'! \(name) \(value)' matches nothing; iptables (nf_tables) refuses it", at: range) }
                return nil  // iptables-save leaves out a match on every address
            }
            return .init(canonical, negated: negated)
        }

        rule.source = try network("--source")
        rule.destination = try network("--destination")
        // `+` alone is every interface: iptables-save leaves the match out, so wds does too.
        if let (value, negated, _) = try text("--in"), value != "+" || negated { rule.inInterface = .init(value, negated: negated) }
        if let (value, negated, _) = try text("--out"), value != "+" || negated { rule.outInterface = .init(value, negated: negated) }

        // Protocol, then the port and flag matches that need it.
        var protocolName: String?
        if let (value, negated, range) = try text("--protocol") {
            let name = value == "icmpv6" ? "ipv6-icmp" : value
            if name == "all" {
                if negated { throw wrong("'! --protocol all' matches nothing", at: range) }
            } else {
                rule.proto = .init(name, negated: negated)
                if !negated { protocolName = name }
            }
        }
        for (option, isSource) in [("--sport", true), ("--dport", false)] {
            guard let (value, negated, range) = try text(option) else { continue }
            guard protocolName == "tcp" || protocolName == "udp" else {
                throw wrong("\(option) needs --protocol tcp or --protocol udp", at: range)
            }
            if negated && IptablesRule.isFullPortRange(value) {
                // iptables-nft 1.8.9 drops the match and saves a rule that matches every packet (docs/iptables-notes.md).
                throw wrong("'! \(option) \(value)' matches nothing; iptables (nf_tables) would save it as matching every packet", at: range)
            }
            rule.protocolModule = true
            let ports = IptablesRule.canonicalPorts(value, negated: negated).map { IptablesRule.Match($0, negated: negated) }
            if isSource { rule.sourcePort = ports } else { rule.destinationPort = ports }
        }
        if let syn = entry("--syn") {
            guard protocolName == "tcp" else { throw wrong("--syn needs --protocol tcp", at: syn.range) }
            rule.protocolModule = true
            rule.syn = .init(true, negated: syn.negated)
        }
        if let (value, negated, range) = try text("--ctstate") {
            switch IptablesRule.canonicalStates(value) {
            case .success(let states): rule.connectionStates = .init(states, negated: negated)
            case .failure(let bad):
                throw wrong("--ctstate: \(bad.message) is not a conntrack state", at: range,
                            hint: "states: \(IptablesRule.connectionStateOrder.joined(separator: ", ")), joined by commas")
            }
        }
        if let (value, _, range) = try text("--comment") {
            if value.contains("\n") || value.contains("\0") { throw wrong("a rule comment cannot contain a newline", at: range) }
            if value.utf8.count > 255 { throw wrong("a rule comment is at most 255 bytes, this one has \(value.utf8.count)", at: range) }
            rule.comment = value
        }

        // The target and the options that belong to it.
        let jump = try text("--jump"), goto = try text("--goto")
        if let goto, jump != nil { throw wrong("a rule has one target: give --jump or --goto, not both", at: goto.2) }
        if let (name, _, range) = goto {
            if IptablesRule.builtinTargets.contains(name) {
                throw wrong("--goto needs a chain, not the target \(name)", at: range, hint: "write --jump \(name)")
            }
            rule.target = .goto(name)
        }
        var targetName: String?
        if let (name, _, range) = jump {
            if !IptablesRule.builtinTargets.contains(name), let close = Suggestions.closest(to: name, in: IptablesRule.builtinTargets),
               close.lowercased() == name.lowercased() || (name == name.uppercased() && name.count == close.count) {
                throw wrong("unknown target '\(name)'", at: range, hint: "did you mean '\(close)'?")
            }
            rule.target = .jump(name)
            targetName = name
        }
        let owners = [("--to-source", "SNAT"), ("--to-destination", "DNAT"), ("--log-prefix", "LOG"), ("--reject-with", "REJECT")]
        for (option, owner) in owners {
            if let found = entry(option), targetName != owner {
                throw wrong("\(option) belongs to --jump \(owner)", at: found.range)
            }
        }
        let chain = try call.text(0)
        switch targetName {
        case "SNAT", "DNAT", "MASQUERADE":
            let target = targetName!
            let range = jump!.2
            guard scope.table == "nat" else { throw wrong("\(target) works only in the nat table", at: range, hint: "add --table nat") }
            let forbidden = target == "DNAT" ? ["POSTROUTING", "INPUT"] : ["PREROUTING", "OUTPUT"]
            if forbidden.contains(chain) {
                throw wrong("\(target) is not allowed in the built-in chain \(chain)", at: call.range(ofPositional: 0),
                            hint: target == "DNAT" ? "DNAT belongs in PREROUTING or OUTPUT" : "\(target) belongs in POSTROUTING or INPUT")
            }
            if target == "SNAT" {
                guard let (address, _, addressRange) = try text("--to-source") else {
                    throw wrong("SNAT needs --to-source ADDRESS", at: range)
                }
                guard let canonical = IptablesRule.canonicalAddress(address, family: family) else {
                    throw wrong("--to-source '\(address)' is not an \(family == .ipv4 ? "IPv4" : "IPv6") address", at: addressRange)
                }
                rule.toSource = canonical
            }
            if target == "DNAT" {
                guard let (value, _, valueRange) = try text("--to-destination") else {
                    throw wrong("DNAT needs --to-destination ADDRESS[:PORT]", at: range)
                }
                switch natDestination(value, family: family) {
                case .failure(let problem): throw wrong("--to-destination: \(problem.message)", at: valueRange)
                case .success(let (canonical, hasPort)):
                    if hasPort && protocolName != "tcp" && protocolName != "udp" {
                        throw wrong("a port in --to-destination needs --protocol tcp or --protocol udp", at: valueRange)
                    }
                    rule.toDestination = canonical
                }
            }
        case "LOG":
            if let (prefix, _, range) = try text("--log-prefix") {
                if prefix.contains("\n") || prefix.contains("\0") { throw wrong("a log prefix cannot contain a newline", at: range) }
                if prefix.utf8.count > 29 { throw wrong("a log prefix is at most 29 bytes, this one has \(prefix.utf8.count)", at: range) }
                rule.logPrefix = prefix
            }
        case "REJECT":
            let allowed = family == .ipv4 ? IptablesRule.rejectionsIPv4 : IptablesRule.rejectionsIPv6
            if let (value, _, range) = try text("--reject-with") {
                guard allowed.contains(value) else {
                    throw wrong("--reject-with \(value) is not for \(family.iptablesCommand)", at: range,
                                hint: "choose one of \(allowed.joined(separator: ", "))")
                }
                if value == "tcp-reset" && protocolName != "tcp" {
                    throw wrong("--reject-with tcp-reset needs --protocol tcp", at: range)
                }
                rule.rejectWith = value
            } else {
                // iptables-save prints the default it fills in.
                rule.rejectWith = family == .ipv4 ? "icmp-port-unreachable" : "icmp6-port-unreachable"
            }
        default:
            break
        }
        return (scope, rule)
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
