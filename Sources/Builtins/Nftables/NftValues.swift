#if canImport(Glibc)
import Glibc
#endif
import Interpreter

/// The families an nftables table belongs to (`nft add table FAMILY NAME`).
enum NftTableFamily: String, CaseIterable, Sendable {
    case ip, ip6, inet, bridge, netdev
}

/// One table: its family and name, `inet warden` in nft's words.
struct NftTableID: Hashable, Sendable, Comparable {
    var family: NftTableFamily
    var name: String

    var words: String { "\(family.rawValue) \(name)" }

    static func < (a: NftTableID, b: NftTableID) -> Bool { (a.family.rawValue, a.name) < (b.family.rawValue, b.name) }
}

/// The names nft takes for tables, chains and sets, and the words it will
/// not take as one.
enum NftNames {
    /// Words nft 1.0.6 reads as its own keywords where a table, chain or set
    /// name is expected, so `add chain inet t counter` is a syntax error, and
    /// 1.0.6 accepts no quoted name there. Found by trying every word of
    /// nft(8) as a chain name (docs/nftables-notes.md has the command).
    static let keywords: Set<String> = [
        "accept", "add", "ah", "all", "and", "arp", "bridge", "cgroup", "chain", "comment", "comp", "constant",
        "continue", "counter", "cpu", "create", "ct", "day", "dccp", "define", "delete", "describe", "device",
        "devices", "dnat", "drop", "dst", "dup", "dynamic", "ecn", "element", "elements", "esp", "ether", "exists",
        "expires", "exthdr", "fib", "flags", "flow", "flowtable", "flush", "frag", "fwd", "get", "goto", "handle",
        "hbh", "hook", "hour", "ibrname", "icmp", "icmpv6", "igmp", "iif", "iifgroup", "iifname", "iiftype",
        "include", "index", "inet", "insert", "interval", "ip", "ip6", "ipsec", "jhash", "jump", "limit", "list",
        "log", "lt", "map", "mark", "masquerade", "meta", "mh", "missing", "monitor", "ne", "netdev", "nftrace",
        "not", "notrack", "numgen", "obrname", "offload", "oif", "oifgroup", "oifname", "oiftype", "or", "osf",
        "pkttype", "policy", "position", "priority", "queue", "quota", "random", "redefine", "redirect", "reject",
        "rename", "replace", "reset", "return", "rt", "rt0", "rt2", "rtclassid", "rule", "ruleset", "sctp",
        "secmark", "set", "size", "skgid", "skuid", "snat", "socket", "srh", "symhash", "synproxy", "table", "tcp",
        "th", "time", "timeout", "tproxy", "type", "typeof", "udp", "udplite", "undefine", "update", "vlan", "vmap",
        "xor", "xt",
    ]

    /// What is wrong with NAME as an nftables name, or nil: a letter or `_`
    /// first, then letters, digits, `_`, `-`, `.` and `/` (what nft's scanner
    /// reads as one word), at most 255 bytes, and not one of nft's keywords.
    static func problem(_ text: String, what: String) -> String? {
        guard let first = text.utf8.first else { return "\(what) name cannot be empty" }
        if text.utf8.count > 255 { return "\(what) name '\(text)' is longer than 255 bytes" }
        func isLetter(_ byte: UInt8) -> Bool { (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z") }
        guard isLetter(first) || first == UInt8(ascii: "_") else {
            return "\(what) name '\(text)' must start with a letter or '_'"
        }
        for byte in text.utf8 where !(isLetter(byte) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                                       || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
                                       || byte == UInt8(ascii: "/")) {
            return "\(what) name '\(text)' may hold only letters, digits, '_', '-', '.' and '/'"
        }
        if keywords.contains(text) { return "nft reads '\(text)' as one of its keywords, not as a \(what) name; choose another name" }
        return nil
    }

    static let table = ArgumentType.custom("TABLE") { problem($0, what: "table") }
    static let chain = ArgumentType.custom("CHAIN") { problem($0, what: "chain") }
    static let set = ArgumentType.custom("SET") { problem($0, what: "set") }
    static let map = ArgumentType.custom("MAP") { problem($0, what: "map") }
    static let family = ArgumentType.choice(NftTableFamily.allCases.map(\.rawValue))

    /// Text nft reads inside double quotes (a comment, a log prefix): it has no escape for `"` or a line end.
    static func quotedProblem(_ text: String, what: String, maximum: Int) -> String? {
        if text.utf8.count > maximum { return "\(what) '\(text)' is longer than \(maximum) bytes" }
        if text.utf8.contains(where: { $0 == UInt8(ascii: "\"") || $0 < 0x20 || $0 == 0x7F }) {
            return "\(what) '\(text)' contains a double quote or a control character, which nft cannot quote"
        }
        return nil
    }

    /// An interface name as nft matches it: up to 15 bytes, `*` at the end matches every name that starts so.
    static func interfaceProblem(_ text: String) -> String? {
        if text.isEmpty { return "an interface name cannot be empty" }
        if text.utf8.count > 15 { return "interface name '\(text)' is longer than 15 bytes" }
        if text.utf8.contains(where: { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "/") || $0 <= 0x20 || $0 == 0x7F }) {
            return "interface name '\(text)' contains '\"', '/' or a blank"
        }
        if let star = text.firstIndex(of: "*"), star != text.index(before: text.endIndex) {
            return "in interface name '\(text)', '*' is a wildcard only at the end"
        }
        if text.hasSuffix("+") { return "nft's wildcard is '*': write '\(text.dropLast())*'" }
        return nil
    }

    static let interface = ArgumentType.custom("IFACE") { interfaceProblem($0) }
}

/// An IPv4 or IPv6 address as a number, so prefixes and ranges compare and merge.
struct NftAddress: Hashable, Comparable, Sendable {
    var ipv6: Bool
    var value: UInt128

    static func < (a: NftAddress, b: NftAddress) -> Bool { (a.ipv6 ? 1 : 0, a.value) < (b.ipv6 ? 1 : 0, b.value) }

    var bits: Int { ipv6 ? 128 : 32 }
    var maximum: UInt128 { ipv6 ? UInt128.max : UInt128(UInt32.max) }

    init(ipv6: Bool, value: UInt128) {
        self.ipv6 = ipv6
        self.value = value
    }

    /// Parses an address (inet_pton, as nft does).
    init?(_ text: String) {
        if text.contains(":") {
            var address = in6_addr()
            guard inet_pton(AF_INET6, text, &address) == 1 else { return nil }
            var value: UInt128 = 0
            withUnsafeBytes(of: &address) { for byte in $0 { value = value << 8 | UInt128(byte) } }
            self.init(ipv6: true, value: value)
        } else {
            guard let octets = Validation.ipv4Octets(text) else { return nil }
            self.init(ipv6: false, value: octets.reduce(UInt128(0)) { $0 << 8 | UInt128($1) })
        }
    }

    /// The address as nft prints it (inet_ntop).
    var text: String {
        if !ipv6 {
            let v = UInt32(value)
            return "\(v >> 24).\(v >> 16 & 0xFF).\(v >> 8 & 0xFF).\(v & 0xFF)"
        }
        var address = in6_addr()
        withUnsafeMutableBytes(of: &address) { bytes in
            for index in 0..<16 { bytes[index] = UInt8(truncatingIfNeeded: value >> UInt128((15 - index) * 8)) }
        }
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        guard inet_ntop(AF_INET6, &address, &buffer, socklen_t(buffer.count)) != nil else { return "::" }
        let length = buffer.firstIndex(of: 0) ?? buffer.count
        return String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The mask of a prefix of `length` bits.
    func mask(_ length: Int) -> UInt128 {
        guard length > 0 else { return 0 }
        let host = bits - length
        return host == 0 ? maximum : maximum & ~((UInt128(1) << UInt128(host)) - 1)
    }
}

/// A contiguous block of addresses or ports: what an interval set holds,
/// and what a single value, a prefix or a range in a script stands for.
struct NftInterval: Hashable, Comparable, Sendable {
    var low: UInt128
    var high: UInt128

    static func < (a: NftInterval, b: NftInterval) -> Bool { (a.low, a.high) < (b.low, b.high) }

    func overlaps(_ other: NftInterval) -> Bool { low <= other.high && other.low <= high }
    /// Overlapping or next to each other: what auto-merge joins.
    func touches(_ other: NftInterval) -> Bool {
        overlaps(other) || (high < UInt128.max && high + 1 == other.low) || (other.high < UInt128.max && other.high + 1 == low)
    }

    /// The prefix length when the interval is exactly one prefix of a `bits`-bit address.
    func prefixLength(bits: Int) -> Int? {
        let size = high - low  // one less than the count
        if size == (bits == 128 ? UInt128.max : (UInt128(1) << UInt128(bits)) - 1) { return low == 0 ? 0 : nil }
        let count = size + 1
        guard count & size == 0 else { return nil }  // a power of two
        guard low & size == 0 else { return nil }  // aligned
        return bits - count.trailingZeroBitCount
    }

    /// Joins what touches into as few intervals as possible, sorted.
    static func merged(_ intervals: [NftInterval]) -> [NftInterval] {
        var result: [NftInterval] = []
        for interval in intervals.sorted() {
            if let last = result.last, last.touches(interval) {
                result[result.count - 1] = NftInterval(low: last.low, high: max(last.high, interval.high))
            } else {
                result.append(interval)
            }
        }
        return result
    }
}

/// The layer-4 protocols wds names (`meta l4proto NAME`), as nft prints them.
enum NftProtocols {
    static let names = ["tcp", "udp", "icmp", "icmpv6", "sctp", "udplite", "dccp", "esp", "ah", "gre"]
    /// With ports: the protocols whose header has them.
    static let withPorts: Set<String> = ["tcp", "udp", "sctp", "udplite", "dccp"]
    /// nft prints protocol 58 by its /etc/protocols name.
    static func printed(_ name: String) -> String { name == "icmpv6" ? "ipv6-icmp" : name }
    static func fromPrinted(_ name: String) -> String { name == "ipv6-icmp" ? "icmpv6" : name }
    static let numbers: [String: Int] = ["icmp": 1, "tcp": 6, "udp": 17, "dccp": 33, "gre": 47, "esp": 50, "ah": 51,
                                         "icmpv6": 58, "sctp": 132, "udplite": 136]
}

/// ICMP and ICMPv6 type names, in nft's spelling, with their numbers (nft prints a set of them sorted so).
enum NftICMP {
    static let types: [String: Int] = [
        "echo-reply": 0, "destination-unreachable": 3, "source-quench": 4, "redirect": 5, "echo-request": 8,
        "router-advertisement": 9, "router-solicitation": 10, "time-exceeded": 11, "parameter-problem": 12,
        "timestamp-request": 13, "timestamp-reply": 14, "info-request": 15, "info-reply": 16,
        "address-mask-request": 17, "address-mask-reply": 18,
    ]
    static let v6Types: [String: Int] = [
        "destination-unreachable": 1, "packet-too-big": 2, "time-exceeded": 3, "parameter-problem": 4,
        "echo-request": 128, "echo-reply": 129, "mld-listener-query": 130, "mld-listener-report": 131,
        "mld-listener-done": 132, "nd-router-solicit": 133, "nd-router-advert": 134, "nd-neighbor-solicit": 135,
        "nd-neighbor-advert": 136, "nd-redirect": 137, "router-renumbering": 138, "ind-neighbor-solicit": 141,
        "ind-neighbor-advert": 142, "mld2-listener-report": 143,
    ]
}

/// Conntrack states in the order nft prints them (their bits, lowest first).
enum NftConntrack {
    static let states = ["invalid", "established", "related", "new", "untracked"]
}

/// The ICMP errors (or TCP reset) `reject with` answers with.
enum NftReject {
    static let icmp = ["net-unreachable", "host-unreachable", "prot-unreachable", "port-unreachable", "net-prohibited",
                       "host-prohibited", "admin-prohibited"]
    static let icmpv6 = ["no-route", "admin-prohibited", "addr-unreachable", "port-unreachable", "policy-fail", "reject-route"]
    static let icmpx = ["port-unreachable", "admin-prohibited", "no-route", "host-unreachable"]
    /// `--reject-with` values: tcp-reset, icmp-TYPE, icmpv6-TYPE, icmpx-TYPE.
    static let choices = ["tcp-reset"] + icmp.map { "icmp-" + $0 } + icmpv6.map { "icmpv6-" + $0 } + icmpx.map { "icmpx-" + $0 }
}

/// Log levels (`log level`), warn being the default nft leaves out when it prints.
enum NftLog {
    static let levels = ["emerg", "alert", "crit", "err", "warn", "notice", "info", "debug"]
}
