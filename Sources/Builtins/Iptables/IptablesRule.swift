#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Interpreter

/// One iptables rule, typed: what `rule append` builds from its options and
/// what a line of `iptables-save` parses back into. Values are kept in the
/// canonical form iptables-save prints (networks masked with their prefix
/// length, `--ctstate` in kernel bit order, a full port range dropped…), so a
/// rule wds builds compares equal to the same rule read back from the kernel,
/// and renders to the exact words iptables-save would print for it — as an
/// `iptables -A` argument vector or as an `iptables-restore` line.
public struct IptablesRule: Sendable, Hashable {
    /// A match value and whether it is negated (`! -s 10.0.0.0/8`).
    public struct Match<Value: Sendable & Hashable>: Sendable, Hashable {
        public var value: Value
        public var negated: Bool
        public init(_ value: Value, negated: Bool = false) {
            self.value = value
            self.negated = negated
        }
    }

    public enum Target: Sendable, Hashable {
        case jump(String)
        case goto(String)
    }

    /// A match module without fields of its own (`-m addrtype --src-type LOCAL`,
    /// and every `--match [NAME …]`): its name and the words of its options
    /// exactly as iptables-save prints them after `-m NAME`, negations included.
    public struct Module: Sendable, Hashable, Comparable {
        public var name: String
        public var words: [String]
        public init(_ name: String, _ words: [String]) {
            self.name = name
            self.words = words
        }
        /// `-m NAME WORDS…`
        public var arguments: [String] { ["-m", name] + words }
        public static func < (a: Module, b: Module) -> Bool {
            a.name != b.name ? a.name < b.name : a.words.lexicographicallyPrecedes(b.words)
        }
    }

    /// The stored fields, behind one reference (`storage`): a rule is kept in a
    /// chain's entries, as a key of its counts and in the recorded change, and
    /// each copy is then one pointer, not the several hundred bytes of the fields.
    struct Fields: Sendable, Hashable {
        var source: Match<String>?
        var destination: Match<String>?
        var inInterface: Match<String>?
        var outInterface: Match<String>?
        var proto: Match<String>?
        var protocolModule: Bool = false
        var sourcePort: Match<String>?
        var destinationPort: Match<String>?
        var syn: Match<Bool>?
        var tcpFlags: Match<[String]>?
        var connectionStates: Match<[String]>?
        var comment: String?
        var target: Target?
        var toSource: String?
        var toDestination: String?
        var logPrefix: String?
        var rejectWith: String?
        var modules: [Module] = []
        var targetOptions: [String] = []
        var unmodeled: [String] = []
    }

    private final class Storage: @unchecked Sendable {
        var fields: Fields
        /// `words` and `specification`, made on first use: one rule is read for
        /// its arguments, its specification and its restore line, several times
        /// each, and making them was a tenth of a 5000-network setup. Any change
        /// to the fields drops them.
        var words: [(text: String, quoted: Bool)]?
        var specification: String?
        init(_ fields: Fields) { self.fields = fields }
    }

    private var storage = Storage(Fields())

    private var fields: Fields {
        get { storage.fields }
        _modify {
            if isKnownUniquelyReferenced(&storage) {
                storage.words = nil
                storage.specification = nil
            } else {
                storage = Storage(storage.fields)
            }
            yield &storage.fields
        }
    }

    public var source: Match<String>? {
        get { fields.source }
        set { fields.source = newValue }
    }
    public var destination: Match<String>? {
        get { fields.destination }
        set { fields.destination = newValue }
    }
    public var inInterface: Match<String>? {
        get { fields.inInterface }
        set { fields.inInterface = newValue }
    }
    public var outInterface: Match<String>? {
        get { fields.outInterface }
        set { fields.outInterface = newValue }
    }
    public var proto: Match<String>? {
        get { fields.proto }
        set { fields.proto = newValue }
    }
    /// `-m tcp` / `-m udp` is loaded. A port or `--syn` loads it, and it stays
    /// when its only port was the full range 0:65535 (iptables then prints `-m udp` alone).
    public var protocolModule: Bool {
        get { fields.protocolModule }
        set { fields.protocolModule = newValue }
    }
    public var sourcePort: Match<String>? {
        get { fields.sourcePort }
        set { fields.sourcePort = newValue }
    }
    public var destinationPort: Match<String>? {
        get { fields.destinationPort }
        set { fields.destinationPort = newValue }
    }
    /// `--syn` (`--tcp-flags FIN,SYN,RST,ACK SYN`); negated is `! --syn`.
    public var syn: Match<Bool>? {
        get { fields.syn }
        set { fields.syn = newValue }
    }
    /// Any other `--tcp-flags MASK COMPARE`, both in iptables' flag order (FIN,SYN,RST,PSH,ACK,URG).
    public var tcpFlags: Match<[String]>? {
        get { fields.tcpFlags }
        set { fields.tcpFlags = newValue }
    }
    public var connectionStates: Match<[String]>? {
        get { fields.connectionStates }
        set { fields.connectionStates = newValue }
    }
    public var comment: String? {
        get { fields.comment }
        set { fields.comment = newValue }
    }
    public var target: Target? {
        get { fields.target }
        set { fields.target = newValue }
    }
    public var toSource: String? {
        get { fields.toSource }
        set { fields.toSource = newValue }
    }
    public var toDestination: String? {
        get { fields.toDestination }
        set { fields.toDestination = newValue }
    }
    public var logPrefix: String? {
        get { fields.logPrefix }
        set { fields.logPrefix = newValue }
    }
    public var rejectWith: String? {
        get { fields.rejectWith }
        set { fields.rejectWith = newValue }
    }
    /// The other match modules, kept sorted: iptables-save prints them in the
    /// order they were given, which changes nothing about what the rule matches,
    /// so two rules that differ only in that order are the same rule.
    public private(set) var modules: [Module] {
        get { fields.modules }
        set { fields.modules = newValue }
    }
    /// The target's options beyond the four above, as iptables-save prints them
    /// after them (`--log-level 6 --log-uid`, `--set-xmark 0x1/0xffffffff`).
    public var targetOptions: [String] {
        get { fields.targetOptions }
        set { fields.targetOptions = newValue }
    }
    /// Words of a parsed rule that fit nowhere above (outside any `-m` module or
    /// target). A rule with any never equals one wds builds.
    public var unmodeled: [String] {
        get { fields.unmodeled }
        set { fields.unmodeled = newValue }
    }

    public init() {}

    public static func == (a: IptablesRule, b: IptablesRule) -> Bool {
        a.storage === b.storage || a.fields == b.fields
    }

    public func hash(into hasher: inout Hasher) {
        fields.hash(into: &hasher)
    }

    /// Adds a match module at its place in the sorted list.
    public mutating func add(_ module: Module) {
        modules.insert(module, at: modules.firstIndex { module < $0 } ?? modules.count)
    }

    public mutating func removeModules(named name: String) {
        modules.removeAll { $0.name == name }
    }

    /// Whether iptables-restore needs `word` in quotes to read it back as one word.
    static func needsQuotes(_ word: String) -> Bool {
        word.isEmpty || word.utf8.contains { $0 <= 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "'") || $0 == UInt8(ascii: "\\") }
    }

    /// The rule's words in iptables-save order: addresses, interfaces and
    /// protocol first, then the matches (tcp/udp, the other modules sorted,
    /// conntrack, comment) in the order wds always writes them, then the
    /// target and its options. `quoted` marks the free-text values
    /// iptables-save quotes (and any word restore would otherwise split).
    var words: [(text: String, quoted: Bool)] {
        if let words = storage.words { return words }
        let words = makeWords()
        storage.words = words
        return words
    }

    private func makeWords() -> [(text: String, quoted: Bool)] {
        var words: [(text: String, quoted: Bool)] = []
        func plain(_ items: String...) { words += items.map { ($0, false) } }
        func add(_ match: Match<String>?, _ flag: String) {
            guard let match else { return }
            if match.negated { plain("!") }
            plain(flag, match.value)
        }
        add(source, "-s")
        add(destination, "-d")
        add(inInterface, "-i")
        add(outInterface, "-o")
        add(proto, "-p")
        if protocolModule, let name = proto?.value {
            plain("-m", name)
            add(sourcePort, "--sport")
            add(destinationPort, "--dport")
            if let syn {
                if syn.negated { plain("!") }
                plain("--tcp-flags", "FIN,SYN,RST,ACK", "SYN")
            } else if let tcpFlags {
                if tcpFlags.negated { plain("!") }
                plain("--tcp-flags")
                plain(tcpFlags.value[0], tcpFlags.value[1])
            }
        }
        for module in modules {
            plain("-m", module.name)
            words += module.words.map { ($0, IptablesRule.needsQuotes($0)) }
        }
        if let states = connectionStates {
            plain("-m", "conntrack")
            if states.negated { plain("!") }
            plain("--ctstate", states.value.joined(separator: ","))
        }
        if let comment {
            plain("-m", "comment", "--comment")
            words.append((comment, true))
        }
        words += unmodeled.map { ($0, false) }
        switch target {
        case .jump(let name): plain("-j", name)
        case .goto(let name): plain("-g", name)
        case nil: break
        }
        if let toSource { plain("--to-source", toSource) }
        if let toDestination { plain("--to-destination", toDestination) }
        if let logPrefix {
            plain("--log-prefix")
            words.append((logPrefix, true))
        }
        if let rejectWith { plain("--reject-with", rejectWith) }
        words += targetOptions.map { ($0, IptablesRule.needsQuotes($0)) }
        return words
    }

    /// The words of the rule that no field of a `rules` record holds: the other
    /// modules (`-m NAME …`), other `--tcp-flags`, the target's other options,
    /// and anything unmodeled.
    public var remainingArguments: [String] {
        var rest: [String] = []
        if let tcpFlags { rest += (tcpFlags.negated ? ["!"] : []) + ["--tcp-flags"] + tcpFlags.value }
        for module in modules { rest += module.arguments }
        return rest + unmodeled + targetOptions
    }

    /// The rule specification as arguments for `iptables -A CHAIN …`.
    public var arguments: [String] { words.map(\.text) }

    /// The rule specification as iptables-save prints it (and iptables-restore reads it).
    public var specification: String {
        if let specification = storage.specification { return specification }
        let specification = words.map { $0.quoted ? IptablesRule.saveQuote($0.text) : $0.text }.joined(separator: " ")
        storage.specification = specification
        return specification
    }

    /// `-A CHAIN …`, a line for iptables-restore.
    public func restoreLine(appendingTo chain: String) -> String {
        let spec = specification
        return spec.isEmpty ? "-A \(chain)" : "-A \(chain) \(spec)"
    }

    /// The jump or goto target's chain name, if any.
    public var targetName: String? {
        switch target {
        case .jump(let name), .goto(let name): return name
        case nil: return nil
        }
    }

    // MARK: - Canonical values

    /// Targets iptables provides that wds gives options of their own.
    public static let builtinTargets = ["ACCEPT", "DROP", "RETURN", "REJECT", "LOG", "SNAT", "DNAT", "MASQUERADE",
                                        "REDIRECT", "MARK", "CONNMARK", "CHECKSUM", "CT", "NOTRACK"]
    /// Other target extensions of iptables (options through `--target-options`).
    /// Any other name is a chain, unless the rule gives it options.
    public static let otherTargets = ["AUDIT", "CLASSIFY", "CLUSTERIP", "CONNSECMARK", "DSCP", "ECN", "HL", "HMARK",
                                      "IDLETIMER", "LED", "NETMAP", "NFLOG", "NFQUEUE", "QUEUE", "RATEEST", "SECMARK", "SET",
                                      "SYNPROXY", "TCPMSS", "TCPOPTSTRIP", "TEE", "TOS", "TPROXY", "TRACE", "TTL", "ULOG"]

    /// Whether the jump goes to a target extension rather than a chain.
    public var targetIsExtension: Bool {
        guard case .jump(let name) = target else { return false }
        return IptablesRule.builtinTargets.contains(name) || IptablesRule.otherTargets.contains(name) || !targetOptions.isEmpty
    }

    /// Conntrack states in the kernel's bit order, which is the order iptables-save prints.
    public static let connectionStateOrder = ["INVALID", "NEW", "RELATED", "ESTABLISHED", "UNTRACKED", "SNAT", "DNAT"]

    public static let protocols = ["tcp", "udp", "icmp", "icmpv6", "ipv6-icmp", "sctp", "udplite", "esp", "ah", "gre", "all"]

    public static let rejectionsIPv4 = ["icmp-net-unreachable", "icmp-host-unreachable", "icmp-port-unreachable",
                                        "icmp-proto-unreachable", "icmp-net-prohibited", "icmp-host-prohibited",
                                        "icmp-admin-prohibited", "tcp-reset"]
    public static let rejectionsIPv6 = ["icmp6-no-route", "icmp6-adm-prohibited", "icmp6-addr-unreachable",
                                        "icmp6-port-unreachable", "icmp6-policy-fail", "icmp6-reject-route", "tcp-reset"]

    /// The network as iptables-save prints it: host bits cleared, the prefix
    /// length always written. Nil for a network that is not of `family`.
    public static func canonicalNetwork(_ text: String, family: AddressFamily) -> String? {
        let (address, lengthText) = cidrHalves(text)
        let maximum = family == .ipv4 ? 32 : 128
        let length: Int
        if let lengthText {
            guard let n = Int(lengthText), (0...maximum).contains(n) else { return nil }
            length = n
        } else {
            length = maximum
        }
        guard var bytes = addressBytes(address, family: family) else { return nil }
        for index in bytes.indices {
            let bitsKept = max(0, min(8, length - index * 8))
            bytes[index] &= bitsKept == 0 ? 0 : UInt8(truncatingIfNeeded: 0xFF << (8 - bitsKept))
        }
        return format(bytes, family: family) + "/\(length)"
    }

    /// One address as iptables prints it (IPv6 in inet_ntop's compressed form).
    public static func canonicalAddress(_ text: String, family: AddressFamily) -> String? {
        addressBytes(text, family: family).map { format($0, family: family) }
    }

    /// `ADDRESS/LENGTH` split at its first slash, by bytes (a `split` by
    /// Characters cost more than the rest of canonicalizing the network).
    static func cidrHalves(_ text: String) -> (address: String, length: Substring?) {
        guard let slash = text.utf8.firstIndex(of: UInt8(ascii: "/")) else { return (text, nil) }
        return (String(text[..<slash]), text[text.utf8.index(after: slash)...])
    }

    public static func addressFamily(of text: String) -> AddressFamily? {
        let address = cidrHalves(text).address
        if Validation.ipv4Octets(address) != nil { return .ipv4 }
        if Validation.isIPv6(address) { return .ipv6 }
        return nil
    }

    static func addressBytes(_ text: String, family: AddressFamily) -> [UInt8]? {
        switch family {
        case .ipv4:
            return Validation.ipv4Octets(text)
        case .ipv6:
            guard Validation.isIPv6(text) else { return nil }
            var bytes = [UInt8](repeating: 0, count: 16)
            let ok = bytes.withUnsafeMutableBytes { inet_pton(AF_INET6, text, $0.baseAddress) }
            return ok == 1 ? bytes : nil
        }
    }

    static func format(_ bytes: [UInt8], family: AddressFamily) -> String {
        switch family {
        case .ipv4:
            return bytes.map(String.init).joined(separator: ".")
        case .ipv6:
            var buffer = [CChar](repeating: 0, count: 64)
            _ = bytes.withUnsafeBytes { inet_ntop(AF_INET6, $0.baseAddress, &buffer, socklen_t(buffer.count)) }
            let end = buffer.firstIndex(of: 0) ?? buffer.count
            return String(decoding: buffer[..<end].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }

    /// `80:80` is printed `80`; the full range `0:65535` (not negated) is not printed at all.
    /// `0:65535`, `:65535`, `0:` and `:`: every port.
    public static func isFullPortRange(_ text: String) -> Bool {
        isFullRange(text.split(separator: ":", omittingEmptySubsequences: false).map(String.init))
    }

    static func isFullRange(_ parts: [String]) -> Bool {
        parts.count == 2 && (parts[0] == "0" || parts[0].isEmpty) && (parts[1] == "65535" || parts[1].isEmpty)
    }

    public static func canonicalPorts(_ text: String, negated: Bool) -> String? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2 else { return text }
        if parts[0] == parts[1] { return parts[0] }
        if isFullRange(parts) && !negated { return nil }
        return text
    }

    /// Why a value cannot go into a rule, in words for a diagnostic.
    public struct Problem: Error, Equatable {
        public var message: String
        public init(_ message: String) { self.message = message }
    }

    /// `established,related` → `[RELATED, ESTABLISHED]`; the failure names the first unknown state.
    public static func canonicalStates(_ text: String) -> Result<[String], Problem> {
        var seen = Set<String>()
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let state = part.uppercased()
            guard connectionStateOrder.contains(state) else {
                return .failure(Problem(state.isEmpty ? "an empty state" : "'\(part)'"))
            }
            seen.insert(state)
        }
        return .success(connectionStateOrder.filter(seen.contains))
    }

    /// xtables_save_string: bare when only letters, digits, `_` and `-`;
    /// otherwise in double quotes with `"`, `\` and `'` escaped by a backslash.
    public static func saveQuote(_ text: String) -> String {
        let bare = !text.isEmpty && text.utf8.allSatisfy { byte in
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }
        if bare { return text }
        var quoted = "\""
        for character in text {
            if character == "\"" || character == "\\" || character == "'" { quoted.append("\\") }
            quoted.append(character)
        }
        return quoted + "\""
    }
}
