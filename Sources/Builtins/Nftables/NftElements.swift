import Interpreter

/// The types of set keys and map values wds knows, in nft's names.
enum NftDataType: String, CaseIterable, Sendable {
    case ipv4Address = "ipv4_addr", ipv6Address = "ipv6_addr", port = "inet_service", interface = "ifname", mark
    case l4protocol = "inet_proto", etherAddress = "ether_addr", verdict

    static let keyTypes: [NftDataType] = [.ipv4Address, .ipv6Address, .port, .interface, .mark, .l4protocol, .etherAddress]
    static let valueTypes: [NftDataType] = [.verdict, .ipv4Address, .ipv6Address, .port, .mark, .interface]

    /// Whether its elements can be prefixes and ranges (with `flags interval`).
    var isNumericRange: Bool { self == .ipv4Address || self == .ipv6Address || self == .port }
    var isAddress: Bool { self == .ipv4Address || self == .ipv6Address }
}

/// One value in a set or map: a key, or what a map gives for it.
enum NftElementValue: Hashable, Sendable {
    /// An address, prefix or range of addresses, or a port or range of ports.
    case interval(NftInterval)
    /// An interface name, a protocol name, an Ethernet address.
    case text(String)
    case number(UInt32)
    /// accept, drop, return, continue, `jump CHAIN`, `goto CHAIN`.
    case verdict(String)

    // MARK: Reading what a script wrote

    /// Parses TEXT as a value of `type`; `interval` allows prefixes and ranges. Returns the value or what is wrong.
    static func parse(_ text: String, as type: NftDataType, interval: Bool) -> Result<NftElementValue, Problem> {
        func fail(_ message: String) -> Result<NftElementValue, Problem> { .failure(Problem(message: message)) }
        switch type {
        case .ipv4Address, .ipv6Address:
            let ipv6 = type == .ipv6Address
            let family = ipv6 ? "an IPv6" : "an IPv4"
            if let dash = text.firstIndex(of: "-") {
                guard interval else { return fail("'\(text)' is a range: only a set with flags interval holds ranges") }
                guard let low = NftAddress(String(text[..<dash])), let high = NftAddress(String(text[text.index(after: dash)...])),
                      low.ipv6 == ipv6, high.ipv6 == ipv6 else { return fail("'\(text)' is not a range of \(family) addresses") }
                guard low.value <= high.value else { return fail("range '\(text)' is reversed") }
                return .success(.interval(NftInterval(low: low.value, high: high.value)))
            }
            guard let parsed = parseNetwork(text), parsed.address.ipv6 == ipv6 else {
                return fail("'\(text)' is not \(family) address or network")
            }
            if parsed.length < parsed.address.bits && !interval {
                return fail("'\(text)' is a network: only a set with flags interval holds networks")
            }
            return .success(.interval(parsed.interval))
        case .port:
            let parts = text.split(separator: text.contains("-") ? "-" : ":", omittingEmptySubsequences: false).map(String.init)
            guard parts.count <= 2, parts.allSatisfy({ Validation.portProblem($0) == nil }) else {
                return fail("'\(text)' is not a port or a range of ports like 8000-8080")
            }
            let low = UInt128(Int(parts[0])!), high = UInt128(Int(parts.last!)!)
            if low > high { return fail("port range '\(text)' is reversed") }
            if low != high && !interval { return fail("'\(text)' is a range: only a set with flags interval holds ranges") }
            return .success(.interval(NftInterval(low: low, high: high)))
        case .interface:
            if let problem = NftNames.interfaceProblem(text) { return fail(problem) }
            if text.hasSuffix("*") { return fail("a set holds whole interface names, not a wildcard like '\(text)'") }
            return .success(.text(text))
        case .mark:
            guard let value = parseMark(text) else { return fail("'\(text)' is not a mark (a number up to 0xffffffff)") }
            return .success(.number(value))
        case .l4protocol:
            guard NftProtocols.names.contains(text) else {
                return fail("'\(text)' is not one of \(NftProtocols.names.joined(separator: ", "))")
            }
            return .success(.text(NftProtocols.printed(text)))
        case .etherAddress:
            let parts = text.lowercased().split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 6, parts.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isHexDigit) }) else {
                return fail("'\(text)' is not an Ethernet address like 02:00:00:00:00:01")
            }
            return .success(.text(parts.joined(separator: ":")))
        case .verdict:
            let words = text.split(separator: " ").map(String.init)
            if words.count == 1, ["accept", "drop", "return", "continue"].contains(words[0]) { return .success(.verdict(words[0])) }
            if words.count == 2, words[0] == "jump" || words[0] == "goto" {
                if let problem = NftNames.problem(words[1], what: "chain") { return fail(problem) }
                return .success(.verdict(text))
            }
            return fail("'\(text)' is not a verdict: accept, drop, return, continue, \"jump CHAIN\" or \"goto CHAIN\"")
        }
    }

    struct Problem: Error { var message: String }

    /// The order nft prints a set's elements in: by value (a name byte by byte, as the kernel holds it).
    func precedes(_ other: NftElementValue) -> Bool {
        switch (self, other) {
        case (.interval(let a), .interval(let b)): return a < b
        case (.text(let a), .text(let b)):
            // Protocols by their number.
            if let x = NftProtocols.numbers[NftProtocols.fromPrinted(a)], let y = NftProtocols.numbers[NftProtocols.fromPrinted(b)] {
                return x < y
            }
            return Array(a.utf8).lexicographicallyPrecedes(Array(b.utf8))
        case (.number(let a), .number(let b)): return a < b
        case (.verdict(let a), .verdict(let b)): return a < b
        default: return false
        }
    }

    /// `10.0.0.0/8`, `10.1.2.3` (a /32), `2001:db8::/32`: the network, host bits cleared as nft does.
    static func parseNetwork(_ text: String) -> (address: NftAddress, length: Int, interval: NftInterval)? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let address = NftAddress(String(parts[0])) else { return nil }
        var length = address.bits
        if parts.count == 2 {
            guard let n = Int(parts[1]), parts[1].allSatisfy(\.isNumber), n >= 0, n <= address.bits else { return nil }
            length = n
        }
        let mask = address.mask(length)
        let low = address.value & mask
        return (NftAddress(ipv6: address.ipv6, value: low), length, NftInterval(low: low, high: low | (address.maximum & ~mask)))
    }

    static func parseMark(_ text: String) -> UInt32? {
        if text.hasPrefix("0x") { return UInt32(text.dropFirst(2), radix: 16) }
        return text.allSatisfy(\.isNumber) ? UInt32(text) : nil
    }

    // MARK: Writing it for nft

    /// As nft syntax (in a batch).
    func text(_ type: NftDataType) -> String {
        switch self {
        case .interval(let interval):
            if type == .port { return interval.low == interval.high ? "\(interval.low)" : "\(interval.low)-\(interval.high)" }
            return Self.addressText(interval, ipv6: type == .ipv6Address)
        case .text(let text): return type == .interface ? "\"\(text)\"" : text
        case .number(let number): return "0x" + String(number, radix: 16)
        case .verdict(let verdict): return verdict
        }
    }

    /// As `nft -j list` prints it.
    func json(_ type: NftDataType) -> JSON {
        switch self {
        case .interval(let interval):
            if type == .port { return Self.portJSON(interval) }
            return Self.addressJSON(interval, ipv6: type == .ipv6Address, interval: true)
        case .text(let text): return .string(text)
        case .number(let number): return .number(Double(number))
        case .verdict(let verdict):
            let words = verdict.split(separator: " ").map(String.init)
            return .object([(words[0], words.count > 1 ? .object([("target", .string(words[1]))]) : .null)])
        }
    }

    /// As a script reads it back (`nft-set list`): the address, network, range or name.
    func display(_ type: NftDataType) -> String {
        if case .text(let text) = self { return type == .l4protocol ? NftProtocols.fromPrinted(text) : text }
        if case .number(let number) = self { return String(number) }
        return text(type)
    }

    static func addressText(_ interval: NftInterval, ipv6: Bool) -> String {
        let bits = ipv6 ? 128 : 32
        let low = NftAddress(ipv6: ipv6, value: interval.low)
        if interval.low == interval.high { return low.text }
        if let length = interval.prefixLength(bits: bits) { return "\(low.text)/\(length)" }
        return "\(low.text)-\(NftAddress(ipv6: ipv6, value: interval.high).text)"
    }

    static func addressJSON(_ interval: NftInterval, ipv6: Bool, interval allowRange: Bool) -> JSON {
        let bits = ipv6 ? 128 : 32
        let low = NftAddress(ipv6: ipv6, value: interval.low)
        if interval.low == interval.high { return .string(low.text) }
        if let length = interval.prefixLength(bits: bits) {
            return .object([("prefix", .object([("addr", .string(low.text)), ("len", .number(Double(length)))]))])
        }
        return .object([("range", .array([.string(low.text), .string(NftAddress(ipv6: ipv6, value: interval.high).text)]))])
    }

    static func portJSON(_ interval: NftInterval) -> JSON {
        interval.low == interval.high ? .number(Double(interval.low))
            : .object([("range", .array([.number(Double(interval.low)), .number(Double(interval.high))]))])
    }

    // MARK: Reading what nft printed

    /// A value of `type` as `nft -j list` printed it; nil for what wds does not model.
    static func read(_ json: JSON, as type: NftDataType) -> NftElementValue? {
        switch type {
        case .ipv4Address, .ipv6Address:
            let ipv6 = type == .ipv6Address
            if let text = json.stringValue, let address = NftAddress(text), address.ipv6 == ipv6 {
                return .interval(NftInterval(low: address.value, high: address.value))
            }
            if let prefix = json["prefix"], let text = prefix["addr"]?.stringValue, case .number(let length)? = prefix["len"],
               let parsed = parseNetwork("\(text)/\(Int(length))"), parsed.address.ipv6 == ipv6 {
                return .interval(parsed.interval)
            }
            if let range = json["range"]?.arrayValue, range.count == 2, let low = range[0].stringValue.flatMap(NftAddress.init),
               let high = range[1].stringValue.flatMap(NftAddress.init) {
                return .interval(NftInterval(low: low.value, high: high.value))
            }
            return nil
        case .port:
            if case .number(let n) = json { return .interval(NftInterval(low: UInt128(n), high: UInt128(n))) }
            if let range = json["range"]?.arrayValue, range.count == 2, case .number(let low) = range[0], case .number(let high) = range[1] {
                return .interval(NftInterval(low: UInt128(low), high: UInt128(high)))
            }
            return nil
        case .interface, .l4protocol, .etherAddress:
            return json.stringValue.map(NftElementValue.text)
        case .mark:
            if case .number(let n) = json { return .number(UInt32(n)) }
            return nil
        case .verdict:
            guard case .object(let fields) = json, let (name, body) = fields.first else { return nil }
            if let target = body["target"]?.stringValue { return .verdict("\(name) \(target)") }
            return .verdict(name)
        }
    }
}

/// One element of a set (a key) or a map (a key and its value), with its own timeout if it has one.
struct NftElement: Hashable, Sendable {
    var key: NftElementValue
    var value: NftElementValue?
    /// Seconds; nil: the set's default (or none).
    var timeout: Int?

    func text(_ set: NftSetShape) -> String {
        var text = key.text(set.keyType)
        if let timeout { text += " timeout \(timeout)s" }
        if let value, let valueType = set.valueType { text += " : " + value.text(valueType) }
        return text
    }

    func json(_ set: NftSetShape) -> JSON {
        var key = self.key.json(set.keyType)
        if let timeout { key = .object([("elem", .object([("val", key), ("timeout", .number(Double(timeout)))]))]) }
        if let value, let valueType = set.valueType { return .array([key, value.json(valueType)]) }
        return key
    }

    /// An element as `nft -j list` printed it (its expiry, which counts down, dropped).
    static func read(_ json: JSON, _ set: NftSetShape) -> NftElement? {
        var keyJSON = json
        var valueJSON: JSON?
        if set.valueType != nil {
            guard let pair = json.arrayValue, pair.count == 2 else { return nil }
            keyJSON = pair[0]
            valueJSON = pair[1]
        }
        var timeout: Int?
        if let wrapped = keyJSON["elem"] {
            guard let inner = wrapped["val"] else { return nil }
            if case .number(let seconds)? = wrapped["timeout"] { timeout = Int(seconds) }
            keyJSON = inner
        }
        guard let key = NftElementValue.read(keyJSON, as: set.keyType) else { return nil }
        var element = NftElement(key: key, value: nil, timeout: timeout)
        if let valueJSON, let valueType = set.valueType {
            guard let value = NftElementValue.read(valueJSON, as: valueType) else { return nil }
            element.value = value
        }
        return element
    }
}

/// What a set's elements are: the key type, the value type of a map, and whether they are intervals.
struct NftSetShape: Hashable, Sendable {
    var keyType: NftDataType
    var valueType: NftDataType?
    var interval: Bool
}
