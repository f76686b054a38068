import Lexer

/// Pure checks of the values host builtins accept. They return a message
/// naming what is wrong, or nil. Used by the checker on literals and by the
/// interpreter on computed values, before any effect.
public enum Validation {
    public static let tables = ["filter", "nat", "mangle", "raw", "security"]

    public static func isName(_ text: String) -> Bool {
        guard let first = text.utf8.first, !(first >= UInt8(ascii: "0") && first <= UInt8(ascii: "9")) else { return false }
        return text.utf8.allSatisfy { ($0 | 0x20 >= UInt8(ascii: "a") && $0 | 0x20 <= UInt8(ascii: "z")) || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || $0 == UInt8(ascii: "_") }
    }

    /// The four octets of a dotted IPv4 address, read byte by byte: this runs
    /// for every network of a large ALLOW_NETWORKS list, so no splitting.
    public static func ipv4Octets(_ text: String) -> [UInt8]? {
        var octets: [UInt8] = []
        octets.reserveCapacity(4)
        var value = 0, digits = 0, leadingZero = false
        for byte in text.utf8 {
            if byte == UInt8(ascii: ".") {
                guard digits > 0, octets.count < 3 else { return nil }
                octets.append(UInt8(value))
                (value, digits, leadingZero) = (0, 0, false)
            } else if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                if digits == 0 { leadingZero = byte == UInt8(ascii: "0") } else if leadingZero { return nil }  // 010 is octal to some tools
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
                digits += 1
                guard digits <= 3, value <= 255 else { return nil }
            } else {
                return nil
            }
        }
        guard digits > 0, octets.count == 3 else { return nil }
        octets.append(UInt8(value))
        return octets
    }

    public static func isIPv6(_ text: String) -> Bool {
        guard text.contains(":"), text.count <= 45 else { return false }
        var body = Substring(text)
        var groupsAllowed = 8
        if let lastColon = body.lastIndex(of: ":"), body[body.index(after: lastColon)...].contains(".") {
            guard ipv4Octets(String(body[body.index(after: lastColon)...])) != nil else { return false }
            body = body[...lastColon]
            if body.hasSuffix(":") && !body.hasSuffix("::") { body = body.dropLast() }
            groupsAllowed = 6
        }
        let halves = body.splitAll("::")
        guard halves.count <= 2 else { return false }
        var count = 0
        for half in halves where !half.isEmpty {
            for group in half.split(separator: ":", omittingEmptySubsequences: false) {
                guard !group.isEmpty, group.count <= 4, group.allSatisfy({ $0.isHexDigit }) else { return false }
                count += 1
            }
        }
        return halves.count == 2 ? count < groupsAllowed : count == groupsAllowed
    }

    public static func addressProblem(_ text: String) -> String? {
        if ipv4Octets(text) != nil || isIPv6(text) { return nil }
        return "'\(text)' is not an IPv4 or IPv6 address"
    }

    public static func cidrProblem(_ text: String) -> String? {
        let slash = text.utf8.firstIndex(of: UInt8(ascii: "/"))
        let address = slash.map { String(text[..<$0]) } ?? text
        let isV4 = ipv4Octets(address) != nil
        guard isV4 || isIPv6(address) else {
            return "'\(text)' is not a network in CIDR form (like 10.0.0.0/8)"
        }
        if let slash {
            let maximum = isV4 ? 32 : 128
            let length = text.utf8[text.utf8.index(after: slash)...]
            guard !length.isEmpty, length.count <= 3, length.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
                  let n = Int(String(decoding: length, as: UTF8.self)), n <= maximum else {
                return "'\(text)' has an invalid prefix length (0 to \(maximum))"
            }
        }
        return nil
    }

    /// Byte checks: these run for every rule of a script, so no Unicode property lookups.
    static func isBlankOrControl(_ byte: UInt8) -> Bool { byte <= 0x20 || byte == 0x7F }
    static func isQuoting(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") || byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "#")
    }

    public static func interfaceProblem(_ text: String) -> String? {
        if text.isEmpty { return "an interface name cannot be empty" }
        if text.utf8.count > 15 { return "interface name '\(text)' is longer than 15 bytes" }
        if text == "." || text == ".." { return "'\(text)' is not a valid interface name" }
        // The kernel would take it, but iptables would read it as an option or a negation.
        if text.hasPrefix("-") || text.hasPrefix("!") { return "interface name '\(text)' cannot start with '-' or '!'" }
        if text.utf8.contains(where: { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: ":") || isBlankOrControl($0) }) {
            return "interface name '\(text)' contains '/', ':' or a blank"
        }
        // iptables-restore reads quotes and backslashes as quoting: refuse them rather than change the rule.
        if text.utf8.contains(where: isQuoting) {
            return "interface name '\(text)' contains a quote, a backslash or '#'"
        }
        if let plus = text.firstIndex(of: "+"), plus != text.index(before: text.endIndex) {
            return "in interface name '\(text)', '+' is a wildcard only at the end"
        }
        return nil
    }

    public static func chainProblem(_ text: String) -> String? {
        if text.isEmpty { return "a chain name cannot be empty" }
        if text.utf8.count > 28 { return "chain name '\(text)' is longer than 28 bytes" }
        if text.hasPrefix("-") || text.hasPrefix("!") { return "chain name '\(text)' cannot start with '-' or '!'" }
        if text.utf8.contains(where: { isBlankOrControl($0) || isQuoting($0) }) {
            return "chain name '\(text)' contains a blank, a quote, a backslash or '#'"
        }
        return nil
    }

    public static func tableProblem(_ text: String) -> String? {
        if tables.contains(text) { return nil }
        let guess = Suggestions.closest(to: text, in: tables).map { "; did you mean '\($0)'?" } ?? ""
        return "unknown table '\(text)' (tables: \(tables.joined(separator: ", ")))" + guess
    }

    public static func portProblem(_ text: String) -> String? {
        guard let n = Int(text), text.allSatisfy({ $0.isASCII && $0.isNumber }), (0...65535).contains(n) else {
            return "'\(text)' is not a port (0 to 65535)"
        }
        return nil
    }

    public static func portRangeProblem(_ text: String) -> String? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count <= 2 else { return "'\(text)' is not a port or a port range like 8000:8080" }
        for part in parts { if portProblem(String(part)) != nil { return "'\(text)' is not a port or a port range like 8000:8080" } }
        if parts.count == 2, Int(parts[0])! > Int(parts[1])! { return "port range '\(text)' is reversed" }
        return nil
    }

    /// Seconds in `10s`, `500ms` (rounded up), `2m`, `1h` or a bare number.
    public static func durationSeconds(_ text: String) -> Int? {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            guard let n = Double(text.dropLast(suffix.count)), n >= 0,
                  text.dropLast(suffix.count).allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }) else { return nil }
            let seconds = n * factor
            return seconds > 0 && seconds < 1 ? 1 : Int(seconds.rounded(.up))
        }
        guard let n = Int(text), n >= 0 else { return nil }
        return n
    }

    public static func sysctlKeyProblem(_ text: String) -> String? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count >= 2, parts.allSatisfy({ !$0.isEmpty && $0 != ".." && !$0.contains("/") && $0.allSatisfy { !$0.isWhitespace } }) else {
            return "'\(text)' is not a sysctl key like net.ipv4.ip_forward"
        }
        return nil
    }
}


