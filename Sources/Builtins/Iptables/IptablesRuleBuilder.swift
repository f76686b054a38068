import Interpreter
import Lexer

/// Builds the canonical `IptablesRule` that the options of `rule append|…`
/// describe, and refuses, at the option at fault, what iptables would refuse
/// or save as something else. It runs twice: in `wds check` on the words
/// written literally (a computed value is unknown, and every rule that needs
/// it waits), and when the statement runs, on every value.
struct IptablesRuleBuilder {
    let arguments: StaticArguments
    let family: AddressFamily
    /// nil while unknown (a computed `--table` at check time).
    let table: String?
    let chain: String?
    var rule = IptablesRule()
    /// The protocol, when given and not negated.
    var protocolName: String?
    /// False while a computed `--protocol` is unknown.
    var protocolKnown = true
    /// The target, when it is `--jump NAME`; nil for none or `--goto`.
    var targetName: String?
    var targetKnown = true
    /// The rule has parts only iptables itself can put in canonical form
    /// (`--match [NAME …]`, `--target-options`, a target wds has no options for).
    var generic = false

    /// The rule, and whether it has generic parts.
    static func build(_ arguments: StaticArguments) throws -> (IptablesRule, generic: Bool) {
        var builder = IptablesRuleBuilder(arguments: arguments)
        try builder.buildMatches()
        try builder.buildTarget()
        return (builder.rule, builder.generic)
    }

    init(arguments: StaticArguments) {
        self.arguments = arguments
        family = arguments.has("--ipv6") ? .ipv6 : .ipv4
        table = arguments.has("--table") ? arguments.text("--table") : "filter"
        chain = arguments.positionalText(0)
    }

    // MARK: - Reading the options

    typealias Given = (text: String?, negated: Bool, range: SourceRange)

    /// An option as given: its text (nil while unknown), negation and place.
    func given(_ name: String) -> Given? {
        guard let option = arguments.option(name) else { return nil }
        if case .text(let text) = option.value { return (text, option.negated, option.range) }
        return (nil, option.negated, option.range)
    }

    /// Every use of a list option (`--match [NAME …]`): its words, nil while unknown.
    func givenLists(_ name: String) -> [(words: [String]?, negated: Bool, range: SourceRange)] {
        (arguments.options[name] ?? []).map { option in
            if case .words(let words) = option.value { return (words, option.negated, option.range) }
            return (nil, option.negated, option.range)
        }
    }

    func wrong(_ message: String, at range: SourceRange, hint: String? = nil) -> Diagnostic {
        Diagnostic(message, at: range, hint: hint)
    }

    /// The canonical value, or the problem as a diagnostic at the option.
    func canonical<T>(_ outcome: IptablesValues.Outcome<T>, _ option: String, at range: SourceRange) throws -> T {
        switch outcome {
        case .success(let value): return value
        case .failure(let problem): throw wrong("\(option): \(problem.message)", at: range)
        }
    }

    /// Fails unless the rule's protocol is one of `allowed` (not negated); nothing while it is unknown.
    func requireProtocol(_ option: String, _ allowed: [String], at range: SourceRange) throws {
        guard protocolKnown else { return }
        guard let name = protocolName, allowed.contains(name) else {
            throw wrong("\(option) needs \(allowed.map { "--protocol \($0)" }.joined(separator: " or "))", at: range)
        }
    }

    var familyName: String { family == .ipv4 ? "IPv4" : "IPv6" }

    // MARK: - Matches

    mutating func buildMatches() throws {
        rule.source = try network("--source")
        rule.destination = try network("--destination")
        // `+` alone is every interface: iptables-save leaves the match out, so wds does too.
        if let (value, negated, _) = given("--in"), let value, value != "+" || negated { rule.inInterface = .init(value, negated: negated) }
        if let (value, negated, _) = given("--out"), let value, value != "+" || negated { rule.outInterface = .init(value, negated: negated) }
        try buildProtocol()
        try buildPorts()
        try buildTCPFlags()
        try buildStates()
        try buildAddressTypes()
        try buildOwner()
        try buildICMP()
        try buildMarks()
        try buildMultiport()
        try buildLimit()
        try buildPhysdev()
        try buildSets()
        try buildGenericMatches()
    }

    func network(_ name: String) throws -> IptablesRule.Match<String>? {
        guard let (found, negated, range) = given(name), let value = found else { return nil }
        guard let canonical = IptablesRule.canonicalNetwork(value, family: family) else {
            throw wrong("\(name) '\(value)' is not an \(familyName) network",
                        at: range, hint: family == .ipv4 ? "add --ipv6 for an IPv6 rule" : "an --ipv6 rule takes IPv6 networks")
        }
        if canonical.hasSuffix("/0") {
            if negated { throw wrong("'! \(name) \(value)' matches nothing; iptables (nf_tables) refuses it", at: range) }
            return nil  // iptables-save leaves out a match on every address
        }
        return .init(canonical, negated: negated)
    }

    mutating func buildProtocol() throws {
        guard let (found, negated, range) = given("--protocol") else { return }
        guard let value = found else { protocolKnown = false; return }
        guard let name = IptablesValues.protocolName(value) else {
            throw wrong("--protocol: '\(value)' is not one of \(IptablesRule.protocols.joined(separator: ", "))", at: range)
        }
        if name == "all" {
            if negated { throw wrong("'! --protocol all' matches nothing", at: range) }
            return
        }
        rule.proto = .init(name, negated: negated)
        if !negated { protocolName = name }
    }

    mutating func buildPorts() throws {
        for (option, isSource) in [("--sport", true), ("--dport", false)] {
            guard let (found, negated, range) = given(option) else { continue }
            try requireProtocol(option, ["tcp", "udp"], at: range)
            guard let value = found else { continue }
            if negated && IptablesRule.isFullPortRange(value) {
                // iptables-nft 1.8.9 drops the match and saves a rule that matches every packet (docs/iptables-notes.md).
                throw wrong("'! \(option) \(value)' matches nothing; iptables (nf_tables) would save it as matching every packet", at: range)
            }
            rule.protocolModule = true
            let ports = IptablesRule.canonicalPorts(value, negated: negated).map { IptablesRule.Match($0, negated: negated) }
            if isSource { rule.sourcePort = ports } else { rule.destinationPort = ports }
        }
    }

    mutating func buildTCPFlags() throws {
        let syn = given("--syn")
        if let syn {
            try requireProtocol("--syn", ["tcp"], at: syn.range)
            rule.protocolModule = true
            rule.syn = .init(true, negated: syn.negated)
        }
        guard let flags = givenLists("--tcp-flags").first else { return }
        if syn != nil { throw wrong("give --syn or --tcp-flags, not both (--syn is --tcp-flags [FIN,SYN,RST,ACK SYN])", at: flags.range) }
        try requireProtocol("--tcp-flags", ["tcp"], at: flags.range)
        rule.protocolModule = true
        guard let words = flags.words else { return }
        guard words.count == 2 else {
            throw wrong("--tcp-flags takes two lists of flags, [MASK COMPARE], such as [SYN,RST SYN]; got \(words.count) item(s)", at: flags.range)
        }
        let mask = try canonical(IptablesValues.tcpFlagList(words[0]), "--tcp-flags", at: flags.range)
        let compare = try canonical(IptablesValues.tcpFlagList(words[1]), "--tcp-flags", at: flags.range)
        if mask == "FIN,SYN,RST,ACK" && compare == "SYN" {
            rule.syn = .init(true, negated: flags.negated)
        } else {
            rule.tcpFlags = .init([mask, compare], negated: flags.negated)
        }
    }

    mutating func buildStates() throws {
        if let (found, negated, range) = given("--ctstate"), let value = found {
            switch IptablesRule.canonicalStates(value) {
            case .success(let states): rule.connectionStates = .init(states, negated: negated)
            case .failure(let bad):
                throw wrong("--ctstate: \(bad.message) is not a conntrack state", at: range,
                            hint: "states: \(IptablesRule.connectionStateOrder.joined(separator: ", ")), joined by commas")
            }
        }
        if let (found, negated, range) = given("--state"), let value = found {
            let allowed = ["INVALID", "NEW", "RELATED", "ESTABLISHED", "UNTRACKED"]
            guard case .success(let states) = IptablesRule.canonicalStates(value), states.allSatisfy(allowed.contains) else {
                throw wrong("--state: '\(value)' is not a list of states", at: range,
                            hint: "states: \(allowed.joined(separator: ", ")), joined by commas")
            }
            rule.add(.init("state", (negated ? ["!"] : []) + ["--state", states.joined(separator: ",")]))
        }
        if let (found, _, range) = given("--comment"), let value = found {
            if value.contains("\n") || value.contains("\0") { throw wrong("a rule comment cannot contain a newline", at: range) }
            if value.utf8.count > 255 { throw wrong("a rule comment is at most 255 bytes, this one has \(value.utf8.count)", at: range) }
            rule.comment = value
        }
    }

    /// `[!] OPTION VALUE` words for a module, from a canonicalizer; empty when absent or unknown.
    func words(_ option: String, as printed: String? = nil, _ canonicalize: (String) -> IptablesValues.Outcome<String>) throws -> [String] {
        guard let (found, negated, range) = given(option), let value = found else { return [] }
        return (negated ? ["!"] : []) + [printed ?? option, try canonical(canonicalize(value), option, at: range)]
    }

    /// `[!] FLAG` words for a flag of a module.
    func flag(_ option: String) -> [String] {
        guard let found = given(option) else { return [] }
        return (found.negated ? ["!"] : []) + [option]
    }

    mutating func buildAddressTypes() throws {
        let types = try words("--src-type", IptablesValues.addressTypeList) + words("--dst-type", IptablesValues.addressTypeList)
        let limits = flag("--limit-iface-in") + flag("--limit-iface-out")
        if limits.count == 2 {
            throw wrong("give --limit-iface-in or --limit-iface-out, not both", at: given("--limit-iface-out")!.range)
        }
        if !limits.isEmpty && types.isEmpty && !arguments.has("--src-type") && !arguments.has("--dst-type") {
            throw wrong("\(limits[0]) needs --src-type or --dst-type", at: given(limits[0])!.range)
        }
        if !types.isEmpty || !limits.isEmpty { rule.add(.init("addrtype", types + limits)) }
    }

    mutating func buildOwner() throws {
        let words = try flag("--socket-exists") + words("--uid-owner") { IptablesValues.ownerRange($0, what: "uid") }
            + words("--gid-owner") { IptablesValues.ownerRange($0, what: "gid") }
        guard !words.isEmpty else { return }
        let first = ["--socket-exists", "--uid-owner", "--gid-owner"].compactMap(given).first!
        if let chain, ["INPUT", "FORWARD", "PREROUTING"].contains(chain), table.map({ IptablesTableState(table: $0).isBuiltin(chain) }) ?? false {
            throw wrong("the owner of a packet is known only for what this host sends: not in the built-in chain \(chain)",
                        at: first.range, hint: "match owners in OUTPUT or POSTROUTING")
        }
        rule.add(.init("owner", words))
    }

    mutating func buildICMP() throws {
        for (option, owner, module, protocolName) in [("--icmp-type", AddressFamily.ipv4, "icmp", "icmp"),
                                                      ("--icmpv6-type", .ipv6, "icmp6", "ipv6-icmp")] {
            guard let (found, negated, range) = given(option) else { continue }
            guard family == owner else {
                throw wrong("\(option) is for \(owner.iptablesCommand) rules", at: range,
                            hint: owner == .ipv4 ? "an --ipv6 rule takes --icmpv6-type" : "add --ipv6, or write --icmp-type")
            }
            try requireProtocol(option, [protocolName], at: range)
            guard let value = found else { continue }
            let type = try canonical(IptablesValues.icmpType(value, family: family), option, at: range)
            rule.add(.init(module, (negated ? ["!"] : []) + [option, type]))
        }
    }

    mutating func buildMarks() throws {
        let mark = try words("--mark", IptablesValues.mark)
        if !mark.isEmpty { rule.add(.init("mark", mark)) }
        let connmark = try words("--connmark", as: "--mark", IptablesValues.mark)
        if !connmark.isEmpty { rule.add(.init("connmark", connmark)) }
    }

    mutating func buildMultiport() throws {
        for option in ["--sports", "--dports", "--ports"] {
            guard let found = given(option) else { continue }
            try requireProtocol(option, ["tcp", "udp", "udplite", "sctp"], at: found.range)
            let words = try words(option, IptablesValues.portList)
            if !words.isEmpty { rule.add(.init("multiport", words)) }
        }
    }

    mutating func buildLimit() throws {
        let burst = given("--limit-burst")
        guard let limit = given("--limit") else {
            if let burst { throw wrong("--limit-burst needs --limit RATE", at: burst.range) }
            return
        }
        if limit.negated { throw wrong("option '--limit' cannot be negated with '!'", at: limit.range) }
        guard let rateText = limit.text else { return }
        var words = ["--limit", try canonical(IptablesValues.rate(rateText), "--limit", at: limit.range)]
        if let burst, let text = burst.text {
            guard let count = Int(text), (1...10000).contains(count), text.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                throw wrong("--limit-burst: '\(text)' is not a number from 1 to 10000", at: burst.range)
            }
            if count != 5 { words += ["--limit-burst", String(count)] }  // 5 is the default, which iptables-save leaves out
        }
        rule.add(.init("limit", words))
    }

    mutating func buildPhysdev() throws {
        var words: [String] = flag("--physdev-is-in")
        if let (found, negated, _) = given("--physdev-in"), let value = found { words += (negated ? ["!"] : []) + ["--physdev-in", value] }
        words += flag("--physdev-is-out")
        if let (found, negated, _) = given("--physdev-out"), let value = found { words += (negated ? ["!"] : []) + ["--physdev-out", value] }
        words += flag("--physdev-is-bridged")
        if !words.isEmpty { rule.add(.init("physdev", words)) }
    }

    mutating func buildSets() throws {
        for set in givenLists("--match-set") {
            guard let words = set.words else { continue }
            guard words.count == 2 else {
                throw wrong("--match-set takes [SET FLAGS], such as [blocked src] or [pairs src,dst]; got \(words.count) item(s)", at: set.range)
            }
            let name = words[0], directions = words[1].split(separator: ",", omittingEmptySubsequences: false)
            if name.isEmpty || name.utf8.count > 31 || name.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }) {
                throw wrong("--match-set: '\(name)' is not an ipset name (1 to 31 bytes, no blanks)", at: set.range)
            }
            guard (1...6).contains(directions.count), directions.allSatisfy({ $0 == "src" || $0 == "dst" }) else {
                throw wrong("--match-set: '\(words[1])' is not a list of src and dst, such as src or src,dst", at: set.range)
            }
            rule.add(.init("set", (set.negated ? ["!"] : []) + ["--match-set", name, words[1]]))
        }
    }

    /// Words that would start another part of the rule if they stood in a module's or a target's options.
    static let structuralWords: Set<String> = ["-m", "--match", "-j", "--jump", "-g", "--goto", "-A", "-I", "-D", "-N", "-X", "-F", "-P"]

    func checkGenericWords(_ words: [String], _ option: String, at range: SourceRange) throws {
        if let bad = words.first(where: { IptablesRuleBuilder.structuralWords.contains($0) }) {
            throw wrong("\(option): '\(bad)' cannot stand among the options (it starts another part of the rule)", at: range,
                        hint: "give each module its own --match [NAME OPTION…]")
        }
        if let bad = words.first(where: { $0.contains("\n") || $0.contains("\r") }) {
            throw wrong("\(option): '\(bad)' contains a line break", at: range)
        }
    }

    mutating func buildGenericMatches() throws {
        for match in givenLists("--match") {
            generic = true
            guard let words = match.words else { continue }
            guard let name = words.first, !name.isEmpty,
                  name.utf8.allSatisfy({ ($0 | 0x20 >= UInt8(ascii: "a") && $0 | 0x20 <= UInt8(ascii: "z")) || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }),
                  !name.hasPrefix("-") else {
                throw wrong("--match takes [NAME OPTION…], the module's name first (such as [hashlimit --hashlimit-upto 50/sec])",
                            at: match.range)
            }
            if match.negated { throw wrong("'!' goes inside the list, before the option it negates: [\(name) ! --option VALUE]", at: match.range) }
            let options = Array(words.dropFirst())
            try checkGenericWords(options, "--match", at: match.range)
            rule.add(.init(name, options))
        }
    }
}
