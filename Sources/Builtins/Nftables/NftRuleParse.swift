import Interpreter

/// Reading a rule the kernel printed (`nft -j list`) back into wds's typed
/// fields, so it can be shown in nft syntax and listed as a record. Only a
/// rule that wds would print back exactly the same is taken: anything else
/// (another order, an expression wds does not write) stays JSON.
extension NftRule {
    init?(expressions: [JSON], comment: String?, family: NftTableFamily) {
        var rule = NftRule()
        rule.comment = comment
        for expression in expressions {
            guard case .object(let fields) = expression, fields.count == 1 else { return nil }
            let (name, body) = fields[0]
            switch name {
            case "match":
                guard rule.readMatch(body) else { return nil }
            case "limit":
                guard case .number(let rate)? = body["rate"], case .number(let burst)? = body["burst"],
                      let per = body["per"]?.stringValue, case .object(let limitFields) = body, limitFields.count == 3,
                      rule.limit == nil else { return nil }
                rule.limit = Limit(rate: Int(rate), per: per, burst: Int(burst))
            case "counter":
                guard !rule.counter else { return nil }
                rule.counter = true
            case "log":
                guard rule.log == nil else { return nil }
                var log = Log()
                if case .object(let logFields) = body {
                    for (key, value) in logFields {
                        switch key {
                        case "prefix": log.prefix = value.stringValue
                        case "level": log.level = value.stringValue
                        default: return nil
                        }
                    }
                } else if body != .null {
                    return nil
                }
                rule.log = log
            default:
                guard rule.action == nil, let action = Self.readAction(name, body) else { return nil }
                rule.action = action
                if case .verdictMap(let key, _) = action, let proto = body["key"]?["payload"]?["protocol"]?.stringValue {
                    if proto == "ip6" { rule.ipv6 = true }
                    if key == "sport" || key == "dport" {
                        if let existing = rule.l4protocol, existing != Match(value: proto, negated: false) { return nil }
                        rule.l4protocol = Match(value: proto, negated: false)
                    }
                }
            }
        }
        // A port match implies its protocol, which nft does not print.
        if rule.hasPorts, rule.l4protocol == nil { return nil }
        // Taken only if wds would print the very same rule.
        guard NftCanonical.identity(rule.expressions(family: family), comment: comment)
                == NftCanonical.identity(expressions, comment: comment) else { return nil }
        self = rule
    }

    private mutating func readMatch(_ body: JSON) -> Bool {
        guard let op = body["op"]?.stringValue, let left = body["left"], let right = body["right"] else { return false }
        let negated = op == "!="
        guard op == "==" || op == "!=" || op == "in" else { return false }
        if let key = left["meta"]?["key"]?.stringValue {
            switch key {
            case "iifname", "oifname":
                guard let name = right.stringValue, op != "in" else { return false }
                if key == "iifname" { guard inputInterface == nil else { return false }; inputInterface = Match(value: name, negated: negated) }
                else { guard outputInterface == nil else { return false }; outputInterface = Match(value: name, negated: negated) }
                return true
            case "l4proto":
                guard let name = right.stringValue, l4protocol == nil, op != "in" else { return false }
                l4protocol = Match(value: NftProtocols.fromPrinted(name), negated: negated)
                return true
            case "mark":
                guard case .number(let value) = right, mark == nil, op != "in" else { return false }
                mark = Match(value: [UInt32(value)], negated: negated)
                return true
            default:
                return false
            }
        }
        if let and = left["&"]?.arrayValue, and.count == 2, and[0]["meta"]?["key"]?.stringValue == "mark",
           case .number(let mask) = and[1], case .number(let value) = right, mark == nil, op != "in" {
            mark = Match(value: [UInt32(value), UInt32(mask)], negated: negated)
            return true
        }
        if left["ct"]?["key"]?.stringValue == "state", conntrackStates == nil, op != "==" {
            let states = right.stringValue.map { [$0] } ?? right.arrayValue?.compactMap(\.stringValue) ?? []
            guard !states.isEmpty else { return false }
            conntrackStates = Match(value: states, negated: negated)
            return true
        }
        guard op != "in", let payload = left["payload"], let proto = payload["protocol"]?.stringValue,
              let field = payload["field"]?.stringValue else { return false }
        switch (proto, field) {
        case ("ip", "saddr"), ("ip", "daddr"), ("ip6", "saddr"), ("ip6", "daddr"):
            let v6 = proto == "ip6"
            if source != nil || destination != nil { guard ipv6 == v6 else { return false } }
            ipv6 = v6
            let addresses: Addresses
            if let text = right.stringValue, text.hasPrefix("@") {
                addresses = .set(String(text.dropFirst()))
            } else if case .interval(let interval)? = NftElementValue.read(right, as: v6 ? .ipv6Address : .ipv4Address),
                      interval.low == interval.high || interval.prefixLength(bits: v6 ? 128 : 32) != nil {
                addresses = .interval(interval)
            } else {
                return false
            }
            if field == "saddr" { guard source == nil else { return false }; source = Match(value: addresses, negated: negated) }
            else { guard destination == nil else { return false }; destination = Match(value: addresses, negated: negated) }
            return true
        case (_, "sport"), (_, "dport"):
            guard NftProtocols.withPorts.contains(proto) else { return false }
            if let existing = l4protocol { guard existing == Match(value: proto, negated: false) else { return false } }
            l4protocol = Match(value: proto, negated: false)
            let ports: Ports
            if let text = right.stringValue, text.hasPrefix("@") {
                ports = .set(String(text.dropFirst()))
            } else {
                let items = right["set"]?.arrayValue ?? [right]
                var intervals: [NftInterval] = []
                for item in items {
                    guard case .interval(let interval)? = NftElementValue.read(item, as: .port) else { return false }
                    intervals.append(interval)
                }
                ports = .items(intervals)
            }
            if field == "sport" { guard sourcePort == nil else { return false }; sourcePort = Match(value: ports, negated: negated) }
            else { guard destinationPort == nil else { return false }; destinationPort = Match(value: ports, negated: negated) }
            return true
        case ("icmp", "type"), ("icmpv6", "type"):
            guard icmpTypes == nil else { return false }
            let types = right.stringValue.map { [$0] } ?? right["set"]?.arrayValue?.compactMap(\.stringValue) ?? []
            guard !types.isEmpty else { return false }
            icmpv6 = proto == "icmpv6"
            icmpTypes = Match(value: types, negated: negated)
            return true
        default:
            return false
        }
    }

    private static func readAction(_ name: String, _ body: JSON) -> Action? {
        switch name {
        case "accept": return body == .null ? .accept : nil
        case "drop": return body == .null ? .drop : nil
        case "return": return body == .null ? .return : nil
        case "continue": return body == .null ? .continue : nil
        case "jump", "goto":
            guard let target = body["target"]?.stringValue else { return nil }
            return name == "jump" ? .jump(target) : .goto(target)
        case "masquerade": return body == .null ? .masquerade : nil
        case "redirect":
            if body == .null { return .redirect(port: nil) }
            guard case .number(let port)? = body["port"] else { return nil }
            return .redirect(port: Int(port))
        case "snat", "dnat":
            guard let text = body["addr"]?.stringValue, let address = NftAddress(text) else { return nil }
            var port: Int?
            if let value = body["port"] {
                guard case .number(let number) = value else { return nil }
                port = Int(number)
            }
            return name == "snat" ? .snat(address, port: port) : .dnat(address, port: port)
        case "reject":
            guard let type = body["type"]?.stringValue else { return nil }
            if type == "tcp reset" { return .reject("tcp-reset") }
            guard let expr = body["expr"]?.stringValue else { return nil }
            return .reject("\(type)-\(expr)")
        case "vmap":
            guard let data = body["data"]?.stringValue, data.hasPrefix("@"), let key = body["key"] else { return nil }
            let name: String
            if let meta = key["meta"]?["key"]?.stringValue, ["iifname", "oifname", "mark"].contains(meta) {
                name = meta
            } else if let field = key["payload"]?["field"]?.stringValue, ["saddr", "daddr", "sport", "dport"].contains(field) {
                name = field
            } else {
                return nil
            }
            return .verdictMap(key: name, map: String(data.dropFirst()))
        default:
            return nil
        }
    }
}
