#if canImport(Glibc)
import Glibc
#endif
import Interpreter
import Lexer
import Netlink

/// The few questions wds asks the kernel's nf_tables directly, over one
/// netlink request each: does a table exist, what is a chain's header (its
/// hook, policy and how many references it has), what is a set's header and
/// what elements does it hold. libnftables answers every `nft list` by first
/// loading its cache of the whole table: with 3000 containers' chains that
/// is about 35 ms per question (docs/nftables-notes.md), where a netlink
/// request takes a fraction of a millisecond. Rules are still read through
/// libnftables (`nft -j list chain`): only nft turns their bytecode back into
/// expressions. Every answer is JSON, so it goes through the effect seam like
/// any probe (traces, state files, plans' fingerprints).
enum NftNetlink {
    typealias Failure = NetfilterNetlink.Failure
    typealias Attribute = NetfilterNetlink.Attribute

    /// nfgenmsg's family of each table family.
    static func number(_ family: NftTableFamily) -> UInt8 {
        switch family {
        case .inet: return 1
        case .ip: return 2
        case .netdev: return 5
        case .bridge: return 7
        case .ip6: return 10
        }
    }

    static func family(_ number: UInt8) -> NftTableFamily? {
        [1: .inet, 2: .ip, 5: .netdev, 7: .bridge, 10: .ip6][number]
    }

    // Message types of the nftables subsystem (10 << 8 | message).
    static let getTable: UInt16 = 10 << 8 | 1
    static let getChain: UInt16 = 10 << 8 | 4
    static let getSet: UInt16 = 10 << 8 | 10
    static let getSetElement: UInt16 = 10 << 8 | 13
    static let getRule: UInt16 = 10 << 8 | 7

    static func attributes(_ bytes: ArraySlice<UInt8>) -> [Attribute] { NetfilterNetlink.attributes(bytes) }
    static func attribute(_ type: UInt16, string: String) -> [UInt8] { NetfilterNetlink.attribute(type, string: string) }
    static func request(_ type: UInt16, family: UInt8, dump: Bool, attributes: [UInt8]) throws -> [(family: UInt8, attributes: [Attribute])] {
        try NetfilterNetlink.request(type, family: family, dump: dump, attributes: attributes)
    }

    // MARK: - The questions

    /// Every table of every family: `[{"family": "inet", "name": "warden"}, …]`.
    static func tables() throws -> JSON {
        let answers = try request(getTable, family: 0, dump: true, attributes: [])
        return .array(answers.compactMap { answer in
            guard let name = answer.attributes.first(where: { $0.type == 1 })?.string, let family = family(answer.family) else { return nil }
            return .object([("family", .string(family.rawValue)), ("name", .string(name))])
        })
    }

    /// Whether the table exists.
    static func table(_ id: NftTableID) throws -> JSON {
        do {
            _ = try request(getTable, family: number(id.family), dump: false, attributes: attribute(1, string: id.name))
            return .bool(true)
        } catch let failure as Failure where failure.errno == ENOENT {
            return .bool(false)
        }
    }

    static let hooks = ["prerouting", "input", "forward", "output", "postrouting"]

    /// A chain's header: `{"hook": …, "prio": …, "policy": …, "type": …, "use": N}`, or null.
    static func chain(_ id: NftTableID, _ name: String) throws -> JSON {
        let answers: [(family: UInt8, attributes: [Attribute])]
        do {
            answers = try request(getChain, family: number(id.family), dump: false,
                                  attributes: attribute(1, string: id.name) + attribute(3, string: name))
        } catch let failure as Failure where failure.errno == ENOENT {
            return .null
        }
        guard let attributes = answers.first?.attributes else { return .null }
        var fields: [(String, JSON)] = []
        if let use = attributes.first(where: { $0.type == 6 }) { fields.append(("use", .number(Double(use.u32)))) }
        if let hook = attributes.first(where: { $0.type == 4 })?.nested {
            let number = hook.first { $0.type == 1 }.map { Int($0.u32) } ?? 0
            let hookName = id.family == .netdev ? (number == 0 ? "ingress" : "egress") : (number < hooks.count ? hooks[number] : "?")
            fields.append(("hook", .string(hookName)))
            if let priority = hook.first(where: { $0.type == 2 }) { fields.append(("prio", .number(Double(Int32(bitPattern: priority.u32))))) }
            if let device = hook.first(where: { $0.type == 3 }) { fields.append(("dev", .string(device.string))) }
            if let type = attributes.first(where: { $0.type == 7 }) { fields.append(("type", .string(type.string))) }
            let policy = attributes.first { $0.type == 5 }.map { $0.u32 == 0 ? "drop" : "accept" } ?? "accept"
            fields.append(("policy", .string(policy)))
        }
        return .object(fields)
    }

    /// The handles of a chain's rules, in order: `[5, 9, 12]`, or null when there is no such chain.
    static func ruleHandles(_ id: NftTableID, _ chain: String) throws -> JSON {
        let answers: [(family: UInt8, attributes: [Attribute])]
        do {
            answers = try request(getRule, family: number(id.family), dump: true,
                                  attributes: attribute(1, string: id.name) + attribute(2, string: chain))
        } catch let failure as Failure where failure.errno == ENOENT {
            return .null
        }
        return .array(answers.compactMap { answer in
            answer.attributes.first { $0.type == 3 }.map { JSON.number(Double($0.u64)) }
        })
    }

    /// nft's numbers of the data types wds models (NFTA_SET_KEY_TYPE and NFTA_SET_DATA_TYPE).
    static let dataTypes: [UInt32: NftDataType] = [1: .verdict, 7: .ipv4Address, 8: .ipv6Address, 9: .etherAddress, 12: .l4protocol,
                                                   13: .port, 19: .mark, 41: .interface]

    /// A set or map with its elements: `{"map": bool, "flags": N, "key": N, "data": N, "timeout": ms,
    /// "merge": bool, "elements": [{"key": "hex", "flags": N, "data": "hex", "verdict": N, "chain": "…", "timeout": ms}]}`,
    /// or null when there is none of that name.
    static func set(_ id: NftTableID, _ name: String, elements withElements: Bool = true) throws -> JSON {
        let answers: [(family: UInt8, attributes: [Attribute])]
        do {
            answers = try request(getSet, family: number(id.family), dump: false,
                                  attributes: attribute(1, string: id.name) + attribute(2, string: name))
        } catch let failure as Failure where failure.errno == ENOENT {
            return .null
        }
        guard let attributes = answers.first?.attributes else { return .null }
        let flags = attributes.first { $0.type == 3 }?.u32 ?? 0
        var fields: [(String, JSON)] = [("flags", .number(Double(flags)))]
        if let key = attributes.first(where: { $0.type == 4 }) { fields.append(("key", .number(Double(key.u32)))) }
        if let data = attributes.first(where: { $0.type == 6 }) { fields.append(("data", .number(Double(data.u32)))) }
        if let timeout = attributes.first(where: { $0.type == 11 }) { fields.append(("timeout", .number(Double(timeout.u64)))) }
        // libnftnl's user data: type-length-value, auto-merge is type 2.
        if let userdata = attributes.first(where: { $0.type == 13 })?.value {
            var offset = userdata.startIndex
            while offset + 2 <= userdata.endIndex {
                let (type, length) = (userdata[offset], Int(userdata[offset + 1]))
                if type == 2 { fields.append(("merge", .bool(true))) }
                offset += 2 + length
            }
        }
        guard withElements else { return .object(fields) }
        let elements = try request(getSetElement, family: number(id.family), dump: true,
                                   attributes: attribute(1, string: id.name) + attribute(2, string: name))
        let list = elements.flatMap { decodeElements($0.attributes) }
        fields.append(("elements", .array(list)))
        return .object(fields)
    }

    /// The element with this key (hex), as `set` lists elements: `[{…}]`, or `[]` when the set does not hold it.
    static func element(_ id: NftTableID, _ name: String, key: String) throws -> JSON {
        let value = attributeBytes(1, bytes(key))  // NFTA_DATA_VALUE
        let keyAttribute = nested(1, value)  // NFTA_SET_ELEM_KEY
        let element = nested(1, keyAttribute)  // NFTA_LIST_ELEM
        let list = nested(3, element)  // NFTA_SET_ELEM_LIST_ELEMENTS
        do {
            let answers = try request(getSetElement, family: number(id.family), dump: false,
                                      attributes: attribute(1, string: id.name) + attribute(2, string: name) + list)
            return .array(answers.flatMap { decodeElements($0.attributes) })
        } catch let failure as Failure where failure.errno == ENOENT {
            return .array([])
        }
    }

    static func attributeBytes(_ type: UInt16, _ value: [UInt8]) -> [UInt8] {
        var bytes = [UInt8(truncatingIfNeeded: value.count + 4), UInt8(truncatingIfNeeded: (value.count + 4) >> 8),
                     UInt8(truncatingIfNeeded: type), UInt8(truncatingIfNeeded: type >> 8)] + value
        while bytes.count % 4 != 0 { bytes.append(0) }
        return bytes
    }

    static func nested(_ type: UInt16, _ inner: [UInt8]) -> [UInt8] { attributeBytes(type | 0x8000, inner) }  // NLA_F_NESTED

    /// The elements of one NEWSETELEM message, as JSON.
    static func decodeElements(_ attributes: [Attribute]) -> [JSON] {
        var list: [JSON] = []
        guard let container = attributes.first(where: { $0.type == 3 }) else { return list }
        for item in container.nested {
            var element: [(String, JSON)] = []
            for attribute in item.nested {
                switch attribute.type {
                case 1: if let value = attribute.nested.first(where: { $0.type == 1 }) { element.append(("key", .string(hex(value.value)))) }
                case 2:
                    for data in attribute.nested {
                        if data.type == 1 { element.append(("data", .string(hex(data.value)))) }
                        if data.type == 2 {
                            for verdict in data.nested {
                                if verdict.type == 1 { element.append(("verdict", .number(Double(Int32(bitPattern: verdict.u32))))) }
                                if verdict.type == 2 { element.append(("chain", .string(verdict.string))) }
                            }
                        }
                    }
                case 3: element.append(("flags", .number(Double(attribute.u32))))
                case 4: element.append(("timeout", .number(Double(attribute.u64))))
                case 10: if let value = attribute.nested.first(where: { $0.type == 1 }) { element.append(("keyEnd", .string(hex(value.value)))) }
                default: continue
                }
            }
            list.append(.object(element))
        }
        return list
    }

    static func hex(_ bytes: ArraySlice<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes { out.append(digits[Int(byte >> 4)]); out.append(digits[Int(byte & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }

    static func bytes(_ hex: String) -> [UInt8] {
        var result: [UInt8] = []
        var high: UInt8?
        for character in hex.utf8 {
            let value: UInt8 = character >= 97 ? character - 87 : character - 48
            if let first = high { result.append(first << 4 | value); high = nil } else { high = value }
        }
        return result
    }
}

/// A question to nf_tables over netlink (see `NftNetlink`): a probe.
struct NftNetlinkEffect: FamilyEffect {
    /// `tables`, `table`, `chain`, `set`, and what it names: FAMILY TABLE [NAME].
    var question: String
    var words: [String]

    var family: String { NftEffects.family }
    var kind: String { "nft-netlink" }
    var isMutation: Bool { false }
    /// Not a program: what the trace shows of the question (nf_tables' own message names).
    var argv: [String] { ["nfnetlink", "get" + question] + words }
    var fields: JSON { .object([("question", .string(question)), ("words", .array(words.map(JSON.string)))]) }

    func perform(at location: SourceRange) throws -> EffectResult {
        do {
            let answer: JSON
            let id = words.count >= 2 ? NftTableFamily(rawValue: words[0]).map { NftTableID(family: $0, name: words[1]) } : nil
            switch (question, id) {
            case ("tables", _): answer = try NftNetlink.tables()
            case ("table", let id?): answer = try NftNetlink.table(id)
            case ("chain", let id?) where words.count == 3: answer = try NftNetlink.chain(id, words[2])
            case ("set", let id?) where words.count == 3: answer = try NftNetlink.set(id, words[2])
            case ("setheader", let id?) where words.count == 3: answer = try NftNetlink.set(id, words[2], elements: false)
            case ("element", let id?) where words.count == 4: answer = try NftNetlink.element(id, words[2], key: words[3])
            case ("rules", let id?) where words.count == 3: answer = try NftNetlink.ruleHandles(id, words[2])
            default: throw CommandFailure("internal error: a netlink question wds does not ask: \(question)", at: location)
            }
            return .text(answer.serialized)
        } catch let failure as NftNetlink.Failure {
            throw CommandFailure("nf_tables did not answer `\(shellLine(argv))`: \(String(cString: strerror(failure.errno)))",
                                 at: location, status: failure.errno == EPERM || failure.errno == EACCES ? ExitStatus.kernelRefused : ExitStatus.failure)
        }
    }

    func undo(at location: SourceRange) throws -> FamilyUndo { .nothing }
}
