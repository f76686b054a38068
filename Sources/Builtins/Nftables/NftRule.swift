import Interpreter

/// A rule made of wds's typed expressions. It is written two ways from the
/// same fields: as nft syntax (`text`, what the batch sends) and as the JSON
/// `nft -j list` prints back for it (`expressions`), which is its identity:
/// `ensure`, `exists`, verify and `--fix` compare that, never the text sent.
/// A rule read from the kernel is parsed back into these fields where every
/// expression is one wds writes (so it can be shown and listed as a record).
///
/// The expressions are always in one order: interfaces, protocol,
/// addresses, ports, ICMP types, conntrack state, mark; then limit, counter,
/// log; then the verdict, NAT or verdict map.
struct NftRule: Hashable, Sendable {
    struct Match<Value: Hashable & Sendable>: Hashable, Sendable {
        var value: Value
        var negated: Bool
        var op: String { negated ? "!=" : "==" }
        var textOp: String { negated ? "!= " : "" }
    }

    enum Addresses: Hashable, Sendable {
        case interval(NftInterval)  // an address or a prefix
        case set(String)
    }

    enum Ports: Hashable, Sendable {
        /// One port, a range, or an anonymous set of them.
        case items([NftInterval])
        case set(String)
    }

    enum Action: Hashable, Sendable {
        case accept, drop, `return`, `continue`
        /// `nil`: nft's default (icmpx port-unreachable in inet, icmp or icmpv6 port-unreachable otherwise).
        case reject(String?)
        case jump(String), goto(String)
        case masquerade
        case snat(NftAddress, port: Int?)
        case dnat(NftAddress, port: Int?)
        case redirect(port: Int?)
        /// `KEY vmap @MAP`: the verdict is looked up in a map.
        case verdictMap(key: String, map: String)
    }

    var inputInterface: Match<String>?
    var outputInterface: Match<String>?
    var l4protocol: Match<String>?
    var source: Match<Addresses>?
    var destination: Match<Addresses>?
    /// For addresses (and a verdict map keyed on them): ip6 rather than ip.
    var ipv6 = false
    var sourcePort: Match<Ports>?
    var destinationPort: Match<Ports>?
    /// ICMP (or, with `icmpv6`, ICMPv6) type names.
    var icmpTypes: Match<[String]>?
    var icmpv6 = false
    var conntrackStates: Match<[String]>?
    var mark: Match<[UInt32]>?  // [value] or [value, mask]
    var limit: Limit?
    var counter = false
    var log: Log?
    var action: Action?
    var comment: String?

    struct Limit: Hashable, Sendable {
        var rate: Int
        var per: String
        var burst: Int
    }

    struct Log: Hashable, Sendable {
        var prefix: String?
        var level: String?  // nil: warn
    }

    /// The header whose ports the rule matches (tcp, udp…).
    var portProtocol: String? { l4protocol.map(\.value).flatMap { NftProtocols.withPorts.contains($0) ? $0 : nil } }
    var hasPorts: Bool { sourcePort != nil || destinationPort != nil }
    /// The protocol match nft prints: none when a port or ICMP type match implies it.
    var printsProtocol: Bool { l4protocol != nil && !hasPorts && icmpTypes == nil && !portKeyedMap }
    /// `tcp dport vmap @MAP`: the verdict map's key implies the protocol too.
    var portKeyedMap: Bool {
        if case .verdictMap(let key, _)? = action { return key == "sport" || key == "dport" }
        return false
    }

    var addressProtocol: String { ipv6 ? "ip6" : "ip" }
}

// MARK: - nft syntax

extension NftRule {
    /// The rule as nft syntax, after `add rule FAMILY TABLE CHAIN`.
    func text(family: NftTableFamily) -> String {
        var words: [String] = []
        if let match = inputInterface { words.append("iifname \(match.textOp)\"\(match.value)\"") }
        if let match = outputInterface { words.append("oifname \(match.textOp)\"\(match.value)\"") }
        if let match = l4protocol, printsProtocol { words.append("meta l4proto \(match.textOp)\(NftProtocols.printed(match.value))") }
        if let match = source { words.append("\(addressProtocol) saddr \(match.textOp)\(Self.text(match.value, ipv6: ipv6))") }
        if let match = destination { words.append("\(addressProtocol) daddr \(match.textOp)\(Self.text(match.value, ipv6: ipv6))") }
        if let proto = portProtocol {
            if let match = sourcePort { words.append("\(proto) sport \(match.textOp)\(Self.text(match.value))") }
            if let match = destinationPort { words.append("\(proto) dport \(match.textOp)\(Self.text(match.value))") }
        }
        if let match = icmpTypes {
            let items = match.value.count == 1 ? match.value[0] : "{ " + match.value.joined(separator: ", ") + " }"
            words.append("\(icmpv6 ? "icmpv6" : "icmp") type \(match.textOp)\(items)")
        }
        if let match = conntrackStates { words.append("ct state \(match.textOp)\(match.value.joined(separator: ","))") }
        if let match = mark {
            let value = "0x" + String(match.value[0], radix: 16)
            if match.value.count > 1 {
                words.append("meta mark and 0x\(String(match.value[1], radix: 16)) \(match.negated ? "!=" : "==") \(value)")
            } else {
                words.append("meta mark \(match.textOp)\(value)")
            }
        }
        if let limit { words.append("limit rate \(limit.rate)/\(limit.per) burst \(limit.burst) packets") }
        if counter { words.append("counter") }
        if let log {
            var text = "log"
            if let prefix = log.prefix { text += " prefix \"\(prefix)\"" }
            if let level = log.level { text += " level \(level)" }
            words.append(text)
        }
        if let action { words.append(Self.text(action, family: family, ipv6: ipv6, ports: portProtocol)) }
        if let comment { words.append("comment \"\(comment)\"") }
        return words.joined(separator: " ")
    }

    static func text(_ addresses: Addresses, ipv6: Bool) -> String {
        switch addresses {
        case .set(let name): return "@" + name
        case .interval(let interval): return NftElementValue.addressText(interval, ipv6: ipv6)
        }
    }

    static func text(_ ports: Ports) -> String {
        switch ports {
        case .set(let name): return "@" + name
        case .items(let items):
            let texts = items.map { $0.low == $0.high ? "\($0.low)" : "\($0.low)-\($0.high)" }
            return texts.count == 1 ? texts[0] : "{ " + texts.joined(separator: ", ") + " }"
        }
    }

    static func text(_ action: Action, family: NftTableFamily, ipv6: Bool, ports: String? = nil) -> String {
        func natTarget(_ address: NftAddress, _ port: Int?) -> String {
            // In an inet table nft must be told the address family of the translation.
            let familyWord = family == .inet ? (address.ipv6 ? "ip6 " : "ip ") : ""
            let host = address.ipv6 && port != nil ? "[\(address.text)]" : address.text
            return "\(familyWord)to \(host)\(port.map { ":\($0)" } ?? "")"
        }
        switch action {
        case .accept: return "accept"
        case .drop: return "drop"
        case .return: return "return"
        case .continue: return "continue"
        case .reject(nil): return "reject"
        case .reject(let type?):
            if type == "tcp-reset" { return "reject with tcp reset" }
            let (kind, name) = splitReject(type)
            return "reject with \(kind) type \(name)"
        case .jump(let chain): return "jump \(chain)"
        case .goto(let chain): return "goto \(chain)"
        case .masquerade: return "masquerade"
        case .snat(let address, let port): return "snat \(natTarget(address, port))"
        case .dnat(let address, let port): return "dnat \(natTarget(address, port))"
        case .redirect(let port): return port.map { "redirect to :\($0)" } ?? "redirect"
        case .verdictMap(let key, let map): return "\(vmapKeyText(key, ipv6: ipv6, ports: ports)) vmap @\(map)"
        }
    }

    /// `icmpv6-no-route` → (icmpv6, no-route).
    static func splitReject(_ type: String) -> (String, String) {
        for kind in ["icmpv6", "icmpx", "icmp"] where type.hasPrefix(kind + "-") {
            return (kind, String(type.dropFirst(kind.count + 1)))
        }
        return ("icmpx", type)
    }

    /// The keys a verdict map can be looked up by.
    static let vmapKeys = ["iifname", "oifname", "saddr", "daddr", "sport", "dport", "mark"]

    static func vmapKeyText(_ key: String, ipv6: Bool, ports: String?) -> String {
        switch key {
        case "saddr", "daddr": return "\(ipv6 ? "ip6" : "ip") \(key)"
        case "sport", "dport": return "\(ports ?? "tcp") \(key)"
        case "mark": return "meta mark"
        default: return key
        }
    }
}

// MARK: - The JSON nft prints back

extension NftRule {
    /// The expressions as `nft -j list` prints them for this rule.
    func expressions(family: NftTableFamily) -> [JSON] {
        var list: [JSON] = []
        func match(_ op: String, _ left: JSON, _ right: JSON) {
            list.append(.object([("match", .object([("op", .string(op)), ("left", left), ("right", right)]))]))
        }
        func meta(_ key: String) -> JSON { .object([("meta", .object([("key", .string(key))]))]) }
        func payload(_ proto: String, _ field: String) -> JSON {
            .object([("payload", .object([("protocol", .string(proto)), ("field", .string(field))]))])
        }
        if let m = inputInterface { match(m.op, meta("iifname"), .string(m.value)) }
        if let m = outputInterface { match(m.op, meta("oifname"), .string(m.value)) }
        if let m = l4protocol, printsProtocol, !protocolHiddenByReject(family: family) {
            match(m.op, meta("l4proto"), .string(NftProtocols.printed(m.value)))
        }
        if let m = source { match(m.op, payload(addressProtocol, "saddr"), Self.json(m.value, ipv6: ipv6)) }
        if let m = destination { match(m.op, payload(addressProtocol, "daddr"), Self.json(m.value, ipv6: ipv6)) }
        if let proto = portProtocol {
            if let m = sourcePort { match(m.op, payload(proto, "sport"), Self.json(m.value)) }
            if let m = destinationPort { match(m.op, payload(proto, "dport"), Self.json(m.value)) }
        }
        if let m = icmpTypes {
            let right: JSON = m.value.count == 1 ? .string(m.value[0]) : .object([("set", .array(m.value.map(JSON.string)))])
            match(m.op, payload(icmpv6 ? "icmpv6" : "icmp", "type"), right)
        }
        if let m = conntrackStates {
            let right: JSON = m.value.count == 1 ? .string(m.value[0]) : .array(m.value.map(JSON.string))
            match(m.negated ? "!=" : "in", .object([("ct", .object([("key", .string("state"))]))]), right)
        }
        if let m = mark {
            let left = m.value.count > 1 ? JSON.object([("&", .array([meta("mark"), .number(Double(m.value[1]))]))]) : meta("mark")
            match(m.op, left, .number(Double(m.value[0])))
        }
        if let limit {
            list.append(.object([("limit", .object([("rate", .number(Double(limit.rate))), ("burst", .number(Double(limit.burst))),
                                                    ("per", .string(limit.per))]))]))
        }
        if counter { list.append(.object([("counter", .object([("packets", .number(0)), ("bytes", .number(0))]))])) }
        if let log {
            var fields: [(String, JSON)] = []
            if let prefix = log.prefix { fields.append(("prefix", .string(prefix))) }
            if let level = log.level { fields.append(("level", .string(level))) }
            list.append(.object([("log", fields.isEmpty ? .null : .object(fields))]))
        }
        if let action { list += Self.json(action, family: family, ipv6: ipv6, rule: self) }
        return list
    }

    /// In an ip or ip6 table nft hides a `meta l4proto tcp` that a `reject with tcp reset` needs.
    func protocolHiddenByReject(family: NftTableFamily) -> Bool {
        guard case .reject("tcp-reset")? = action, family == .ip || family == .ip6 else { return false }
        return l4protocol == Match(value: "tcp", negated: false)
    }

    static func json(_ addresses: Addresses, ipv6: Bool) -> JSON {
        switch addresses {
        case .set(let name): return .string("@" + name)
        case .interval(let interval): return NftElementValue.addressJSON(interval, ipv6: ipv6, interval: true)
        }
    }

    static func json(_ ports: Ports) -> JSON {
        switch ports {
        case .set(let name): return .string("@" + name)
        case .items(let items):
            let values = items.map(NftElementValue.portJSON)
            return values.count == 1 ? values[0] : .object([("set", .array(values))])
        }
    }

    static func json(_ action: Action, family: NftTableFamily, ipv6: Bool, rule: NftRule) -> [JSON] {
        func verdict(_ name: String, _ target: String? = nil) -> [JSON] {
            [.object([(name, target.map { .object([("target", .string($0))]) } ?? .null)])]
        }
        func nat(_ kind: String, _ address: NftAddress, _ port: Int?) -> [JSON] {
            var fields: [(String, JSON)] = []
            if family == .inet { fields.append(("family", .string(address.ipv6 ? "ip6" : "ip"))) }
            fields.append(("addr", .string(address.text)))
            if let port { fields.append(("port", .number(Double(port)))) }
            return [.object([(kind, .object(fields))])]
        }
        switch action {
        case .accept: return verdict("accept")
        case .drop: return verdict("drop")
        case .return: return verdict("return")
        case .continue: return verdict("continue")
        case .jump(let chain): return verdict("jump", chain)
        case .goto(let chain): return verdict("goto", chain)
        case .reject(let type):
            let (kind, name): (String, String?)
            switch type {
            case "tcp-reset"?: (kind, name) = ("tcp reset", nil)
            case let type?: (kind, name) = splitReject(type)
            case nil:
                switch family {
                case .ip: (kind, name) = ("icmp", "port-unreachable")
                case .ip6: (kind, name) = ("icmpv6", "port-unreachable")
                default: (kind, name) = ("icmpx", "port-unreachable")
                }
            }
            var fields: [(String, JSON)] = [("type", .string(kind))]
            if let name { fields.append(("expr", .string(name))) }
            return [.object([("reject", .object(fields))])]
        case .masquerade: return verdict("masquerade")
        case .snat(let address, let port): return nat("snat", address, port)
        case .dnat(let address, let port): return nat("dnat", address, port)
        case .redirect(let port):
            return [.object([("redirect", port.map { .object([("port", .number(Double($0)))]) } ?? .null)])]
        case .verdictMap(let key, let map):
            let keyJSON: JSON
            switch key {
            case "saddr", "daddr":
                keyJSON = .object([("payload", .object([("protocol", .string(ipv6 ? "ip6" : "ip")), ("field", .string(key))]))])
            case "sport", "dport":
                keyJSON = .object([("payload", .object([("protocol", .string(rule.portProtocol ?? "tcp")), ("field", .string(key))]))])
            case "mark": keyJSON = .object([("meta", .object([("key", .string("mark"))]))])
            default: keyJSON = .object([("meta", .object([("key", .string(key))]))])
            }
            return [.object([("vmap", .object([("key", keyJSON), ("data", .string("@" + map))]))])]
        }
    }

    /// The chain a jump, goto or verdict map leads to (for the checks the kernel makes on them).
    var targetChain: String? {
        switch action {
        case .jump(let chain)?, .goto(let chain)?: return chain
        default: return nil
        }
    }

    /// The named sets and maps the rule refers to.
    var referencedSets: [String] {
        var names: [String] = []
        for match in [source, destination] { if case .set(let name)? = match?.value { names.append(name) } }
        for match in [sourcePort, destinationPort] { if case .set(let name)? = match?.value { names.append(name) } }
        if case .verdictMap(_, let map)? = action { names.append(map) }
        return names
    }
}
