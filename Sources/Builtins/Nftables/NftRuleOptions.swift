import Interpreter
import Lexer

/// The typed expressions of `nft-rule`: one option each, checked one by
/// one when the script is checked, and together (what needs what) before
/// anything changes.
enum NftRuleOptions {
    static let addressType = ArgumentType.custom("ADDRESS|CIDR|@SET") { text in
        if text.hasPrefix("@") { return NftNames.problem(String(text.dropFirst()), what: "set") }
        return NftElementValue.parseNetwork(text) == nil ? "'\(text)' is not an address, a network like 10.0.0.0/8, or @SET" : nil
    }

    static let portsType = ArgumentType.custom("PORTS") { text in
        if text.hasPrefix("@") { return NftNames.problem(String(text.dropFirst()), what: "set") }
        return ports(text) == nil ? "'\(text)' is not a port, a range like 8000-8080, a list like 80,443, or @SET" : nil
    }

    static let icmpTypes = ArgumentType.custom("TYPE[,TYPE…]") { text in
        let unknown = text.split(separator: ",", omittingEmptySubsequences: false).first { NftICMP.types[String($0)] == nil }
        return unknown.map { "'\($0)' is not an ICMP type (\(NftICMP.types.sorted { $0.value < $1.value }.map(\.key).joined(separator: ", ")))" }
    }

    static let icmpv6Types = ArgumentType.custom("TYPE[,TYPE…]") { text in
        let unknown = text.split(separator: ",", omittingEmptySubsequences: false).first { NftICMP.v6Types[String($0)] == nil }
        return unknown.map { "'\($0)' is not an ICMPv6 type (\(NftICMP.v6Types.sorted { $0.value < $1.value }.map(\.key).joined(separator: ", ")))" }
    }

    static let conntrackStates = ArgumentType.custom("STATE[,STATE…]") { text in
        let unknown = text.split(separator: ",", omittingEmptySubsequences: false).first { !NftConntrack.states.contains(String($0)) }
        return unknown.map { "'\($0)' is not a conntrack state (\(NftConntrack.states.joined(separator: ", ")))" }
    }

    static let markType = ArgumentType.custom("MARK[/MASK]") { text in
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, parts.allSatisfy({ NftElementValue.parseMark(String($0)) != nil }) else {
            return "'\(text)' is not a mark like 0x10 or 0x1/0xff"
        }
        return nil
    }

    static let rateType = ArgumentType.custom("N/UNIT") { text in
        limit(text) == nil ? "'\(text)' is not a rate like 10/second (second, minute, hour, day, week)" : nil
    }

    static let natTarget = ArgumentType.custom("ADDRESS[:PORT]") { text in
        switch natAddress(text) {
        case .success: return nil
        case .failure(let problem): return problem.message
        }
    }

    static let vmapType = ArgumentType.custom("KEY:MAP") { text in
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, NftRule.vmapKeys.contains(parts[0]) else {
            return "'\(text)' is not KEY:MAP with KEY one of \(NftRule.vmapKeys.joined(separator: ", "))"
        }
        return NftNames.problem(parts[1], what: "map")
    }

    static let comment = ArgumentType.custom("TEXT") { NftNames.quotedProblem($0, what: "a comment", maximum: 128) }
    static let logPrefix = ArgumentType.custom("TEXT") { NftNames.quotedProblem($0, what: "a log prefix", maximum: 127) }
    static let rawRule = ArgumentType.custom("RULE") { text in
        if text.contains("\n") || text.contains("\r") { return "a rule in nft syntax is one line" }
        if TextBuiltins.trim(text).isEmpty { return "a rule in nft syntax cannot be empty" }
        return nil
    }

    /// The options of a rule, in the order the docs list them.
    static let options: [OptionSpec] = [
        OptionSpec("--iif", NftNames.interface, summary: "input interface name (`w-*` matches every w-…)", negatable: true),
        OptionSpec("--oif", NftNames.interface, summary: "output interface name", negatable: true),
        OptionSpec("--protocol", .choice(NftProtocols.names), summary: "layer-4 protocol (meta l4proto)", negatable: true),
        OptionSpec("--saddr", addressType, summary: "source address, network, or named set (@allowed)", negatable: true),
        OptionSpec("--daddr", addressType, summary: "destination address, network, or named set", negatable: true),
        OptionSpec("--sport", portsType, summary: "source port: 80, 8000-8080, 80,443 or @SET (needs --protocol)", negatable: true),
        OptionSpec("--dport", portsType, summary: "destination port: 80, 8000-8080, 80,443 or @SET (needs --protocol)", negatable: true),
        OptionSpec("--icmp-type", icmpTypes, summary: "ICMP types, such as echo-request", negatable: true),
        OptionSpec("--icmpv6-type", icmpv6Types, summary: "ICMPv6 types, such as echo-request", negatable: true),
        OptionSpec("--ct-state", conntrackStates, summary: "conntrack states, such as established,related", negatable: true),
        OptionSpec("--mark", markType, summary: "packet mark, or mark under a mask (0x1/0xff)", negatable: true),
        OptionSpec("--limit", rateType, summary: "match at most this rate: 10/second, 5/minute"),
        OptionSpec("--limit-burst", .integer, summary: "packets the limit lets through at once (default 5)"),
        OptionSpec("--counter", summary: "count packets and bytes"),
        OptionSpec("--log", summary: "log the packet"),
        OptionSpec("--log-prefix", logPrefix, summary: "log with this prefix (implies --log)"),
        OptionSpec("--log-level", .choice(NftLog.levels), summary: "log at this level (implies --log; default warn)"),
        OptionSpec("--accept", summary: "verdict: accept"),
        OptionSpec("--drop", summary: "verdict: drop"),
        OptionSpec("--reject", summary: "verdict: reject (an ICMP port-unreachable)"),
        OptionSpec("--reject-with", .choice(NftReject.choices), summary: "verdict: reject with this ICMP error or tcp-reset"),
        OptionSpec("--return", summary: "verdict: return to the calling chain"),
        OptionSpec("--jump", NftNames.chain, summary: "verdict: jump to a chain and come back"),
        OptionSpec("--goto", NftNames.chain, summary: "verdict: go to a chain without coming back"),
        OptionSpec("--masquerade", summary: "NAT: the outgoing interface's address as the source"),
        OptionSpec("--snat", natTarget, summary: "NAT: rewrite the source to ADDRESS[:PORT] ([IPV6]:PORT)"),
        OptionSpec("--dnat", natTarget, summary: "NAT: rewrite the destination to ADDRESS[:PORT] ([IPV6]:PORT)"),
        OptionSpec("--redirect", summary: "NAT: to this host"),
        OptionSpec("--redirect-to", .port, summary: "NAT: to this host, to PORT"),
        OptionSpec("--vmap", vmapType, summary: "verdict from a map by iifname, oifname, saddr, daddr, sport, dport or mark: iifname:containers"),
        OptionSpec("--comment", comment, summary: "a comment kept with the rule"),
        OptionSpec("--nft", rawRule, summary: "the whole rule in nft syntax, for what has no option (checked by nft at commit)"),
    ]

    static let actionOptions = ["--accept", "--drop", "--reject", "--reject-with", "--return", "--jump", "--goto", "--masquerade", "--snat",
                                "--dnat", "--redirect", "--redirect-to", "--vmap"]

    // MARK: - Values

    /// `80`, `8000-8080` (or `8000:8080`), `80,443,8000-8080`: sorted as nft prints them.
    static func ports(_ text: String) -> [NftInterval]? {
        var items: [NftInterval] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard case .success(.interval(let interval)) = NftElementValue.parse(String(part), as: .port, interval: true) else { return nil }
            items.append(interval)
        }
        return items.sorted()
    }

    static func limit(_ text: String) -> (Int, String)? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let rate = Int(parts[0]), rate > 0, ["second", "minute", "hour", "day", "week"].contains(String(parts[1])) else {
            return nil
        }
        return (rate, String(parts[1]))
    }

    static func natAddress(_ text: String) -> Result<(NftAddress, Int?), NftElementValue.Problem> {
        var address = text
        var port: String?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return .failure(.init(message: "'\(text)' lacks the closing ']'")) }
            address = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            guard rest.isEmpty || rest.hasPrefix(":") else { return .failure(.init(message: "write '[ADDRESS]:PORT', not '\(text)'")) }
            if !rest.isEmpty { port = String(rest.dropFirst()) }
        } else if text.filter({ $0 == ":" }).count == 1, let colon = text.firstIndex(of: ":") {
            address = String(text[..<colon])
            port = String(text[text.index(after: colon)...])
        }
        guard let parsed = NftAddress(address) else { return .failure(.init(message: "'\(address)' is not an IPv4 or IPv6 address")) }
        guard let port else { return .success((parsed, nil)) }
        guard Validation.portProblem(port) == nil, let number = Int(port) else {
            return .failure(.init(message: "'\(port)' is not a port (0 to 65535)"))
        }
        return .success((parsed, number))
    }

    // MARK: - Building

    /// The rule the options describe (sets it names still to be looked up: `NftRuleOptions.resolve`),
    /// or the first thing wrong, pointed at the option at fault. Nil when no expression is given.
    static func build(_ call: Invocation, family: NftTableFamily) throws -> NftRuleEntry {
        func entry(_ name: String) -> (value: Value, negated: Bool, range: SourceRange)? { call.options[name]?.first }
        func text(_ name: String) throws -> (String, negated: Bool, range: SourceRange)? {
            guard let found = entry(name) else { return nil }
            return (try call.option(name) ?? "", found.negated, found.range)
        }
        func wrong(_ message: String, at range: SourceRange, hint: String? = nil) -> Diagnostic {
            Diagnostic(message, at: range, hint: hint)
        }

        if let (raw, _, range) = try text("--nft") {
            if let other = options.map(\.name).first(where: { $0 != "--nft" && call.has($0) }) {
                throw wrong("--nft gives the whole rule: it cannot be combined with \(other)", at: range)
            }
            return NftRuleEntry(raw: TextBuiltins.trim(raw))
        }

        var rule = NftRule()
        if let (value, negated, _) = try text("--iif") { rule.inputInterface = .init(value: value, negated: negated) }
        if let (value, negated, _) = try text("--oif") { rule.outputInterface = .init(value: value, negated: negated) }
        if let (value, negated, _) = try text("--protocol") { rule.l4protocol = .init(value: value, negated: negated) }

        // Addresses: IPv4 or IPv6, the same for both, and what the table's family allows.
        var addressFamily: Bool?  // ipv6?
        for (option, isSource) in [("--saddr", true), ("--daddr", false)] {
            guard let (value, negated, range) = try text(option) else { continue }
            let addresses: NftRule.Addresses
            if value.hasPrefix("@") {
                addresses = .set(String(value.dropFirst()))
            } else {
                guard let parsed = NftElementValue.parseNetwork(value) else { throw wrong("\(option) '\(value)' is not an address or network", at: range) }
                let ipv6 = parsed.address.ipv6
                if let known = addressFamily, known != ipv6 {
                    throw wrong("--saddr and --daddr must both be IPv4 or both IPv6", at: range)
                }
                if family == .ip && ipv6 { throw wrong("\(option) '\(value)' is IPv6: an ip table matches IPv4", at: range, hint: "use an ip6 or inet table") }
                if family == .ip6 && !ipv6 { throw wrong("\(option) '\(value)' is IPv4: an ip6 table matches IPv6", at: range, hint: "use an ip or inet table") }
                addressFamily = ipv6
                addresses = .interval(parsed.interval)
            }
            if isSource { rule.source = .init(value: addresses, negated: negated) } else { rule.destination = .init(value: addresses, negated: negated) }
        }
        rule.ipv6 = addressFamily ?? (family == .ip6)

        for (option, isSource) in [("--sport", true), ("--dport", false)] {
            guard let (value, negated, range) = try text(option) else { continue }
            guard let proto = rule.l4protocol, !proto.negated, NftProtocols.withPorts.contains(proto.value) else {
                throw wrong("\(option) needs --protocol tcp, udp, sctp, udplite or dccp", at: range)
            }
            let ports: NftRule.Ports
            if value.hasPrefix("@") {
                ports = .set(String(value.dropFirst()))
            } else {
                guard let items = NftRuleOptions.ports(value) else { throw wrong("\(option) '\(value)' is not a port, range or list", at: range) }
                ports = .items(items)
            }
            if isSource { rule.sourcePort = .init(value: ports, negated: negated) } else { rule.destinationPort = .init(value: ports, negated: negated) }
        }

        let icmp = try text("--icmp-type"), icmpv6 = try text("--icmpv6-type")
        if let icmp, icmpv6 != nil { throw wrong("give --icmp-type or --icmpv6-type, not both", at: icmp.range) }
        if let (value, negated, range) = icmp ?? icmpv6 {
            let v6 = icmpv6 != nil
            if let proto = rule.l4protocol, proto.negated || proto.value != (v6 ? "icmpv6" : "icmp") {
                throw wrong("\(v6 ? "--icmpv6-type" : "--icmp-type") matches \(v6 ? "icmpv6" : "icmp"), not --protocol \(proto.negated ? "! " : "")\(proto.value)",
                            at: range)
            }
            let numbers = v6 ? NftICMP.v6Types : NftICMP.types
            var names: [String] = []
            for name in value.split(separator: ",").map(String.init) where !names.contains(name) { names.append(name) }
            rule.icmpTypes = .init(value: names.sorted { numbers[$0]! < numbers[$1]! }, negated: negated)
            rule.icmpv6 = v6
            rule.l4protocol = .init(value: v6 ? "icmpv6" : "icmp", negated: false)
        }
        if let (value, negated, _) = try text("--ct-state") {
            let given = Set(value.split(separator: ",").map(String.init))
            rule.conntrackStates = .init(value: NftConntrack.states.filter { given.contains($0) }, negated: negated)
        }
        if let (value, negated, _) = try text("--mark") {
            rule.mark = .init(value: value.split(separator: "/").compactMap { NftElementValue.parseMark(String($0)) }, negated: negated)
        }
        if let (value, _, _) = try text("--limit"), let (rate, per) = limit(value) {
            var burst = 5
            if let found = entry("--limit-burst") {
                guard let number = found.value.integerValue, number > 0 else {
                    throw wrong("--limit-burst is a number of packets, at least 1", at: found.range)
                }
                burst = number
            }
            rule.limit = .init(rate: rate, per: per, burst: burst)
        } else if let found = entry("--limit-burst") {
            throw wrong("--limit-burst belongs to --limit", at: found.range)
        }
        rule.counter = call.has("--counter")
        if call.has("--log") || call.has("--log-prefix") || call.has("--log-level") {
            let level = try text("--log-level")?.0
            rule.log = .init(prefix: try text("--log-prefix")?.0, level: level == "warn" ? nil : level)
        }
        if let (value, _, _) = try text("--comment") { rule.comment = value }

        // The verdict, NAT or verdict map: at most one.
        let given = actionOptions.filter { call.has($0) && !($0 == "--reject" && call.has("--reject-with")) }
        if given.count > 1 {
            let second = entry(given[1])!.range
            throw wrong("a rule has one verdict: \(given[0]) and \(given[1]) cannot go together", at: second)
        }
        if let option = given.first {
            let range = entry(option)!.range
            switch option {
            case "--accept": rule.action = .accept
            case "--drop": rule.action = .drop
            case "--return": rule.action = .return
            case "--reject": rule.action = .reject(nil)
            case "--reject-with":
                let type = try text("--reject-with")!.0
                if type == "tcp-reset" {
                    if let proto = rule.l4protocol, proto.negated || proto.value != "tcp" {
                        throw wrong("--reject-with tcp-reset answers TCP only, not --protocol \(proto.value)", at: range)
                    }
                    // nft adds `meta l4proto tcp` itself; wds writes it, so what it prints back is this rule.
                    if rule.l4protocol == nil { rule.l4protocol = .init(value: "tcp", negated: false) }
                }
                if type.hasPrefix("icmp-") && family == .ip6 || type.hasPrefix("icmpv6-") && family == .ip {
                    throw wrong("--reject-with \(type) does not fit an \(family.rawValue) table", at: range)
                }
                rule.action = .reject(type)
            case "--jump": rule.action = .jump(try text("--jump")!.0)
            case "--goto": rule.action = .goto(try text("--goto")!.0)
            case "--masquerade": rule.action = .masquerade
            case "--redirect": rule.action = .redirect(port: nil)
            case "--redirect-to": rule.action = .redirect(port: entry("--redirect-to")!.value.integerValue)
            case "--snat", "--dnat":
                let value = try text(option)!.0
                guard case .success(let (address, port)) = natAddress(value) else { throw wrong("\(option) '\(value)' is not ADDRESS[:PORT]", at: range) }
                if family == .ip && address.ipv6 || family == .ip6 && !address.ipv6 {
                    throw wrong("\(option) \(value) does not fit an \(family.rawValue) table", at: range)
                }
                if let addressFamily, addressFamily != address.ipv6 {
                    throw wrong("\(option) \(value) is not of the family the rule's addresses are", at: range)
                }
                rule.action = option == "--snat" ? .snat(address, port: port) : .dnat(address, port: port)
                if option == "--snat" { rule.ipv6 = address.ipv6 }
            case "--vmap":
                let parts = try text("--vmap")!.0.split(separator: ":", maxSplits: 1).map(String.init)
                if parts[0] == "sport" || parts[0] == "dport", rule.portProtocol == nil {
                    throw wrong("a verdict map by \(parts[0]) needs --protocol tcp, udp, sctp, udplite or dccp", at: range)
                }
                rule.action = .verdictMap(key: parts[0], map: parts[1])
            default:
                break
            }
            if case .redirect(_?)? = rule.action, rule.portProtocol == nil {
                throw wrong("a port to redirect to needs --protocol tcp or udp (nft: transport protocol mapping is only valid after transport protocol match)", at: range)
            }
            if case .snat(_, let port?)? = rule.action, port > 0, rule.portProtocol == nil {
                throw wrong("a port in --snat needs --protocol tcp or udp (nft: transport protocol mapping is only valid after transport protocol match)", at: range)
            }
            if case .dnat(_, let port?)? = rule.action, port > 0, rule.portProtocol == nil {
                throw wrong("a port in --dnat needs --protocol tcp or udp (nft: transport protocol mapping is only valid after transport protocol match)", at: range)
            }
        }
        return NftRuleEntry(typed: rule, family: family)
    }

    /// Looks up the sets and maps a rule names and checks what the kernel
    /// would: that they exist and hold what the rule compares with them.
    /// Returns the rule with the address family its sets decide.
    static func resolve(_ entry: NftRuleEntry, in id: NftTableID, _ transaction: NftTransaction, _ call: Invocation) throws -> NftRuleEntry {
        guard case .typed(var rule) = entry.body else { return entry }
        func lookup(_ name: String, map: Bool) throws -> NftSetModel {
            guard let set = try transaction.set(name, in: id, map: map, call) else {
                let what = map ? "map" : "set"
                throw transaction.refusal("unknown \(what) '\(name)' in table '\(id.words)'", call, kernel: "No such file or directory",
                                          hint: "create it first with `nft-\(what) ensure \(id.words) \(name) --type …`")
            }
            return set
        }
        var setFamily: Bool?
        for match in [rule.source, rule.destination] {
            guard case .set(let name)? = match?.value else { continue }
            let set = try lookup(name, map: false)
            guard let type = set.shape?.keyType, type.isAddress, !set.isMap else {
                throw call.fail("\(set.kind) '\(name)' holds \(set.typeText), not addresses")
            }
            let ipv6 = type == .ipv6Address
            if let known = setFamily, known != ipv6 { throw call.fail("the rule's address sets must both be IPv4 or both IPv6") }
            setFamily = ipv6
        }
        if let setFamily {
            let literal = [rule.source, rule.destination].contains { if case .interval? = $0?.value { return true } else { return false } }
            if literal && setFamily != rule.ipv6 { throw call.fail("the rule compares IPv4 and IPv6 addresses: give one family") }
            if id.family == .ip && setFamily || id.family == .ip6 && !setFamily {
                throw call.fail("an \(id.family.rawValue) table cannot match \(setFamily ? "IPv6" : "IPv4") addresses")
            }
            rule.ipv6 = setFamily
        }
        for match in [rule.sourcePort, rule.destinationPort] {
            guard case .set(let name)? = match?.value else { continue }
            let set = try lookup(name, map: false)
            guard set.shape?.keyType == .port, !set.isMap else { throw call.fail("\(set.kind) '\(name)' holds \(set.typeText), not ports") }
        }
        if case .verdictMap(let key, let name)? = rule.action {
            let map = try lookup(name, map: true)
            guard map.isMap, map.shape?.valueType == .verdict else { throw call.fail("'\(name)' is not a map to verdicts (it is \(map.typeText))") }
            let keyType = map.shape?.keyType
            switch key {
            case "iifname", "oifname":
                guard keyType == .interface else { throw call.fail("map '\(name)' is keyed by \(map.typeText), not interface names") }
            case "mark":
                guard keyType == .mark else { throw call.fail("map '\(name)' is keyed by \(map.typeText), not marks") }
            case "sport", "dport":
                guard keyType == .port else { throw call.fail("map '\(name)' is keyed by \(map.typeText), not ports") }
            default:
                guard let keyType, keyType.isAddress else { throw call.fail("map '\(name)' is keyed by \(map.typeText), not addresses") }
                rule.ipv6 = keyType == .ipv6Address
            }
        }
        var resolved = NftRuleEntry(typed: rule, family: id.family)
        resolved.uid = entry.uid
        return resolved
    }
}
