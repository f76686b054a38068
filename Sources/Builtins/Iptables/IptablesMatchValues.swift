import Interpreter

/// The values of iptables' match and target options, each read as the
/// iptables extension reads it and written back as iptables-save prints it
/// (libxt_addrtype, libxt_owner, libxt_icmp, libxt_LOG, libxt_mark, …, in
/// iptables 1.8.9), so a rule wds builds equals the same rule parsed back from
/// the kernel. Every function returns the canonical text or a problem in words.
/// The namespace tests (IptablesModuleTests) hold each one to the real iptables-save.
public enum IptablesValues {
    public typealias Outcome<T> = Result<T, IptablesRule.Problem>

    static func problem<T>(_ message: String) -> Outcome<T> { .failure(IptablesRule.Problem(message)) }

    // MARK: - Numbers

    /// An unsigned number as strtoul(…, 0) reads it: decimal, `0x` hex, or a leading 0 for octal.
    static func unsigned(_ text: String, maximum: UInt64 = 0xFFFF_FFFF) -> UInt64? {
        let lower = text.lowercased()
        var digits = Substring(lower), radix = 10
        if lower.hasPrefix("0x") { digits = lower.dropFirst(2); radix = 16 } else if lower.count > 1 && lower.hasPrefix("0") { digits = lower.dropFirst(); radix = 8 }
        guard !digits.isEmpty, digits.count <= 20, let value = UInt64(digits, radix: radix), value <= maximum else { return nil }
        return value
    }

    static func hex(_ value: UInt64) -> String { "0x" + String(value, radix: 16) }

    /// `VALUE[/MASK]` as the mark and connmark matches print it: hex, the mask only when it is not all ones.
    public static func mark(_ text: String) -> Outcome<String> {
        switch markAndMask(text) {
        case .failure(let failure): return .failure(failure)
        case .success(let (value, mask)): return .success(mask == 0xFFFF_FFFF ? hex(value) : "\(hex(value))/\(hex(mask))")
        }
    }

    static func markAndMask(_ text: String) -> Outcome<(UInt64, UInt64)> {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count <= 2, let value = unsigned(parts[0]) else {
            return problem("'\(text)' is not a mark (a number up to 0xffffffff, with an optional /MASK)")
        }
        guard parts.count == 2 else { return .success((value, 0xFFFF_FFFF)) }
        guard let mask = unsigned(parts[1]) else { return problem("'\(parts[1])' is not a mask (a number up to 0xffffffff)") }
        return .success((value, mask))
    }

    /// What the MARK and CONNMARK targets print for each way of changing a mark
    /// (`--set-xmark VALUE/MASK`: clear the MASK bits, then xor VALUE).
    public static func markChange(_ option: String, _ text: String) -> Outcome<String> {
        switch option {
        case "--set-mark", "--set-xmark":
            switch markAndMask(text) {
            case .failure(let failure): return .failure(failure)
            case .success(let (value, mask)):
                // --set-mark VALUE/MASK zeroes MASK and sets VALUE: the mask takes VALUE's bits too.
                let cleared = option == "--set-mark" ? mask | value : mask
                return .success("\(hex(value))/\(hex(cleared))")
            }
        default:
            guard let value = unsigned(text) else { return problem("'\(text)' is not a mark (a number up to 0xffffffff)") }
            switch option {
            case "--and-mark": return .success("0x0/\(hex(~value & 0xFFFF_FFFF))")
            case "--or-mark": return .success("\(hex(value))/\(hex(value))")
            default: return .success("\(hex(value))/0x0")  // --xor-mark
            }
        }
    }

    // MARK: - addrtype

    /// Address types in the kernel's bit order, which is the order iptables-save prints them in.
    public static let addressTypes = ["UNSPEC", "UNICAST", "LOCAL", "BROADCAST", "ANYCAST", "MULTICAST", "BLACKHOLE",
                                      "UNREACHABLE", "PROHIBIT", "THROW", "NAT", "XRESOLVE"]

    /// `local,broadcast` → `LOCAL,BROADCAST`, in bit order.
    public static func addressTypeList(_ text: String) -> Outcome<String> {
        var seen = Set<String>()
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let name = part.uppercased()
            guard addressTypes.contains(name) else {
                return problem("'\(part)' is not an address type (types: \(addressTypes.joined(separator: ", ")))")
            }
            seen.insert(name)
        }
        return .success(addressTypes.filter(seen.contains).joined(separator: ","))
    }

    // MARK: - owner

    /// A uid or gid, or a range `FIRST-LAST`; a range of one is printed as one number.
    public static func ownerRange(_ text: String, what: String) -> Outcome<String> {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        let numbers = parts.map { part -> UInt64? in
            part.allSatisfy({ $0.isASCII && $0.isNumber }) ? UInt64(part).flatMap { $0 <= 0xFFFF_FFFE ? $0 : nil } : nil
        }
        guard parts.count <= 2, numbers.allSatisfy({ $0 != nil }) else {
            let hint = parts.count == 1 && parts[0].first?.isLetter == true ? " (write the number: `id -u \(text)` or `getent group`)" : ""
            return problem("'\(text)' is not a \(what) or a range like 1000-2000\(hint)")
        }
        if numbers.count == 2 {
            guard numbers[0]! <= numbers[1]! else { return problem("the \(what) range '\(text)' is reversed") }
            if numbers[0]! != numbers[1]! { return .success("\(numbers[0]!)-\(numbers[1]!)") }
        }
        return .success(String(numbers[0]!))
    }

    // MARK: - icmp and icmp6

    /// libxt_icmp's names: type, and the code for a name of one code (nil: any code).
    static let icmpTypes: [(String, Int, Int?)] = [
        ("any", 255, nil), ("echo-reply", 0, nil), ("pong", 0, nil), ("destination-unreachable", 3, nil),
        ("network-unreachable", 3, 0), ("host-unreachable", 3, 1), ("protocol-unreachable", 3, 2), ("port-unreachable", 3, 3),
        ("fragmentation-needed", 3, 4), ("source-route-failed", 3, 5), ("network-unknown", 3, 6), ("host-unknown", 3, 7),
        ("network-prohibited", 3, 9), ("host-prohibited", 3, 10), ("TOS-network-unreachable", 3, 11),
        ("TOS-host-unreachable", 3, 12), ("communication-prohibited", 3, 13), ("host-precedence-violation", 3, 14),
        ("precedence-cutoff", 3, 15), ("source-quench", 4, nil), ("redirect", 5, nil), ("network-redirect", 5, 0),
        ("host-redirect", 5, 1), ("TOS-network-redirect", 5, 2), ("TOS-host-redirect", 5, 3), ("echo-request", 8, nil),
        ("ping", 8, nil), ("router-advertisement", 9, nil), ("router-solicitation", 10, nil), ("time-exceeded", 11, nil),
        ("ttl-exceeded", 11, nil), ("ttl-zero-during-transit", 11, 0), ("ttl-zero-during-reassembly", 11, 1),
        ("parameter-problem", 12, nil), ("ip-header-bad", 12, 0), ("required-option-missing", 12, 1),
        ("timestamp-request", 13, nil), ("timestamp-reply", 14, nil), ("address-mask-request", 17, nil),
        ("address-mask-reply", 18, nil),
    ]

    /// libip6t_icmp6's names (ICMPv6 has no `any`).
    static let icmpv6Types: [(String, Int, Int?)] = [
        ("destination-unreachable", 1, nil), ("no-route", 1, 0), ("communication-prohibited", 1, 1), ("beyond-scope", 1, 2),
        ("address-unreachable", 1, 3), ("port-unreachable", 1, 4), ("failed-policy", 1, 5), ("reject-route", 1, 6),
        ("packet-too-big", 2, nil), ("time-exceeded", 3, nil), ("ttl-exceeded", 3, nil), ("ttl-zero-during-transit", 3, 0),
        ("ttl-zero-during-reassembly", 3, 1), ("parameter-problem", 4, nil), ("bad-header", 4, 0),
        ("unknown-header-type", 4, 1), ("unknown-option", 4, 2), ("echo-request", 128, nil), ("ping", 128, nil),
        ("echo-reply", 129, nil), ("pong", 129, nil), ("router-solicitation", 133, nil), ("router-advertisement", 134, nil),
        ("neighbour-solicitation", 135, nil), ("neighbor-solicitation", 135, nil), ("neighbour-advertisement", 136, nil),
        ("neighbor-advertisement", 136, nil), ("redirect", 137, nil),
    ]

    /// `echo-request`, `8`, `3/4` or (IPv4) `any` → what iptables-save prints: `8`, `3/4`, `any`.
    public static func icmpType(_ text: String, family: AddressFamily) -> Outcome<String> {
        let table = family == .ipv4 ? icmpTypes : icmpv6Types
        var type: Int, code: Int?
        if let named = table.first(where: { $0.0.lowercased() == text.lowercased() }) {
            (type, code) = (named.1, named.2)
        } else {
            let parts = text.split(separator: "/", omittingEmptySubsequences: false).map { Int($0) }
            guard (1...2).contains(parts.count), parts.allSatisfy({ $0 != nil && (0...255).contains($0!) }),
                  text.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "/") }) else {
                let names = table.map(\.0).filter { $0 != "pong" && $0 != "ping" }
                return problem("'\(text)' is not an \(family == .ipv4 ? "ICMP" : "ICMPv6") type (a number, TYPE/CODE, or a name such as \(names.prefix(4).joined(separator: ", ")))")
            }
            (type, code) = (parts[0]!, parts.count == 2 ? parts[1]! : nil)
        }
        if family == .ipv4 && type == 255 { return .success("any") }
        return .success(code.map { "\(type)/\($0)" } ?? String(type))
    }

    // MARK: - LOG

    static let logLevels: [String: Int] = ["emerg": 0, "panic": 0, "alert": 1, "crit": 2, "error": 3, "warning": 4,
                                           "notice": 5, "info": 6, "debug": 7]

    /// A syslog level by name or number; nil for the default (4, warning), which iptables-save leaves out.
    public static func logLevel(_ text: String) -> Outcome<Int?> {
        guard let level = logLevels[text.lowercased()] ?? (text.count == 1 ? Int(text) : nil), (0...7).contains(level) else {
            return problem("'\(text)' is not a log level (0 to 7, or emerg, alert, crit, error, warning, notice, info, debug)")
        }
        return .success(level == 4 ? nil : level)
    }

    // MARK: - Ports

    /// multiport's `80,443,1000:2000`: up to 15 ports, a range counting two; a range must go up.
    public static func portList(_ text: String) -> Outcome<String> {
        var count = 0
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let bounds = item.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard bounds.count <= 2, bounds.allSatisfy({ Validation.portProblem($0) == nil }) else {
                return problem("'\(item)' is not a port or a range like 1000:2000 (multiport takes numbers, joined by commas)")
            }
            if bounds.count == 2 && Int(bounds[0])! >= Int(bounds[1])! {
                return problem("the range '\(item)' must go from a lower port to a higher one (iptables: invalid portrange)")
            }
            count += bounds.count
        }
        guard count <= 15 else { return problem("multiport takes at most 15 ports (a range counts two), got \(count)") }
        return .success(text)
    }

    /// `--to-ports PORT[-PORT]` of MASQUERADE and REDIRECT.
    public static func natPorts(_ text: String) -> Outcome<String> {
        let bounds = text.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        guard bounds.count <= 2, bounds.allSatisfy({ Validation.portProblem($0) == nil }),
              bounds.count == 1 || Int(bounds[0])! <= Int(bounds[1])! else {
            return problem("'\(text)' is not a port or a range like 1000-2000")
        }
        return .success(bounds.count == 2 && bounds[0] == bounds[1] ? bounds[0] : text)
    }

    // MARK: - limit

    /// libxt_limit's units, in its order: how many seconds each stands for.
    static let rateUnits: [(String, UInt64)] = [("day", 86400), ("hour", 3600), ("min", 60), ("sec", 1)]
    static let limitScale: UInt64 = 10000

    /// `5/minute`, `3/s`, `7` (per second) → `5/min`, `3/sec`, `7/sec`, as
    /// iptables-save prints the kernel's average back (print_rate in libxt_limit).
    public static func rate(_ text: String) -> Outcome<String> {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        var seconds: UInt64 = 1
        if parts.count == 2 {
            let unit = parts[1].lowercased()
            let names = [("second", UInt64(1)), ("minute", 60), ("hour", 3600), ("day", 86400)]
            guard !unit.isEmpty, let found = names.first(where: { $0.0.hasPrefix(unit) }) else {
                return problem("'\(text)' is not a rate (write N/second, N/minute, N/hour or N/day)")
            }
            seconds = found.1
        }
        guard parts.count <= 2, parts[0].allSatisfy({ $0.isASCII && $0.isNumber }), let count = UInt64(parts[0]), count > 0,
              count <= 0xFFFF_FFFF else {
            return problem("'\(text)' is not a rate (write N/second, N/minute, N/hour or N/day)")
        }
        let period = limitScale * seconds / count
        guard period > 0 else { return problem("the rate '\(text)' is too fast (at most 10000/second)") }
        var chosen = 0
        for index in 1..<rateUnits.count {
            let multiple = limitScale * rateUnits[index].1
            if period > multiple || multiple / period < multiple % period { break }
            chosen = index
        }
        let multiple = limitScale * rateUnits[chosen].1
        return .success("\(multiple / period)/\(rateUnits[chosen].0)")
    }

    // MARK: - tcp flags

    static let tcpFlagNames = ["FIN", "SYN", "RST", "PSH", "ACK", "URG"]

    /// `syn,ack` or `ALL` or `NONE` → the flags in iptables' order, `NONE` for none.
    public static func tcpFlagList(_ text: String) -> Outcome<String> {
        var bits = Set<String>()
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let name = part.uppercased()
            if name == "ALL" { bits.formUnion(tcpFlagNames) } else if name == "NONE" { continue } else if tcpFlagNames.contains(name) {
                bits.insert(name)
            } else {
                return problem("'\(part)' is not a TCP flag (FIN, SYN, RST, PSH, ACK, URG, ALL or NONE)")
            }
        }
        let ordered = tcpFlagNames.filter(bits.contains)
        return .success(ordered.isEmpty ? "NONE" : ordered.joined(separator: ","))
    }

    // MARK: - REJECT

    /// The names REJECT takes for each answer, the one iptables-save prints first.
    static let rejectionNamesIPv4: [[String]] = [
        ["icmp-net-unreachable", "net-unreach"], ["icmp-host-unreachable", "host-unreach"],
        ["icmp-port-unreachable", "port-unreach"], ["icmp-proto-unreachable", "proto-unreach"],
        ["icmp-net-prohibited", "net-prohib"], ["icmp-host-prohibited", "host-prohib"],
        ["icmp-admin-prohibited", "admin-prohib"], ["tcp-reset", "tcp-rst"],
    ]
    static let rejectionNamesIPv6: [[String]] = [
        ["icmp6-no-route", "no-route"], ["icmp6-adm-prohibited", "adm-prohibited"],
        ["icmp6-addr-unreachable", "addr-unreach"], ["icmp6-port-unreachable", "port-unreach"],
        ["icmp6-policy-fail", "policy-fail"], ["icmp6-reject-route", "reject-route"], ["tcp-reset", "tcp-rst"],
    ]

    /// Every name `--reject-with` takes, for either family.
    public static let rejectionNames: [String] = {
        var names: [String] = []
        for name in (rejectionNamesIPv4 + rejectionNamesIPv6).flatMap({ $0 }) where !names.contains(name) { names.append(name) }
        return names
    }()

    /// The name iptables-save prints for a REJECT answer of `family`; nil when that family has no such answer.
    public static func rejection(_ text: String, family: AddressFamily) -> String? {
        (family == .ipv4 ? rejectionNamesIPv4 : rejectionNamesIPv6).first { $0.contains(text) }?.first
    }

    // MARK: - Protocols

    /// A protocol name in any case (`TCP`), as iptables reads it; `icmpv6` is saved as `ipv6-icmp`.
    public static func protocolName(_ text: String) -> String? {
        let name = text.lowercased()
        guard IptablesRule.protocols.contains(name) else { return nil }
        return name == "icmpv6" ? "ipv6-icmp" : name
    }
}
