import Interpreter

/// What `nft -j list …` answered, read into the model's pieces.
struct NftListing {
    struct Chain {
        var table: NftTableID
        var name: String
        var base: NftBaseChain?
    }

    struct Rule {
        var table: NftTableID
        var chain: String
        var expressions: [JSON]
        var comment: String?
        var handle: Int?
    }

    struct Set {
        var table: NftTableID
        var name: String
        var model: NftSetModel
    }

    var tables: [NftTableID] = []
    var chains: [Chain] = []
    var rules: [Rule] = []
    var sets: [Set] = []

    struct Malformed: Error { var message: String }

    /// Parses the JSON of a listing; `autoMerge` names the sets a terse listing showed with auto-merge.
    init(_ output: String, autoMerge: Swift.Set<String> = []) throws {
        let json: JSON
        do { json = try JSON.parse(output) } catch { throw Malformed(message: "nft printed JSON wds cannot read: \(error)") }
        guard let items = json["nftables"]?.arrayValue else { throw Malformed(message: "nft printed no \"nftables\" list") }
        for item in items {
            guard case .object(let fields) = item, let (kind, body) = fields.first else { continue }
            switch kind {
            case "table":
                if let id = Self.tableID(body, nameKey: "name") { tables.append(id) }
            case "chain":
                guard let id = Self.tableID(body, nameKey: "table"), let name = body["name"]?.stringValue else { continue }
                var base: NftBaseChain?
                if let type = body["type"]?.stringValue, let hook = body["hook"]?.stringValue, case .number(let prio)? = body["prio"] {
                    base = NftBaseChain(type: type, hook: hook, priority: Int(prio), policy: body["policy"]?.stringValue ?? "accept",
                                        device: body["dev"]?.stringValue)
                }
                chains.append(Chain(table: id, name: name, base: base))
            case "rule":
                guard let id = Self.tableID(body, nameKey: "table"), let chain = body["chain"]?.stringValue,
                      let expressions = body["expr"]?.arrayValue else { continue }
                var handle: Int?
                if case .number(let number)? = body["handle"] { handle = Int(number) }
                rules.append(Rule(table: id, chain: chain, expressions: expressions, comment: body["comment"]?.stringValue, handle: handle))
            case "set", "map":
                guard let id = Self.tableID(body, nameKey: "table"), let name = body["name"]?.stringValue else { continue }
                sets.append(Set(table: id, name: name, model: Self.set(body, isMap: kind == "map", autoMerge: autoMerge.contains(name))))
            default:
                continue
            }
        }
    }

    static func tableID(_ body: JSON, nameKey: String) -> NftTableID? {
        guard let family = body["family"]?.stringValue.flatMap(NftTableFamily.init(rawValue:)),
              let name = body[nameKey]?.stringValue else { return nil }
        return NftTableID(family: family, name: name)
    }

    static func set(_ body: JSON, isMap: Bool, autoMerge: Bool) -> NftSetModel {
        let flags = body["flags"]?.arrayValue?.compactMap(\.stringValue) ?? (body["flags"]?.stringValue.map { [$0] } ?? [])
        var timeout: Int?
        if case .number(let seconds)? = body["timeout"] { timeout = Int(seconds) }
        let typeText: String
        var shape: NftSetShape?
        let valueText = body["map"]?.stringValue
        if let key = body["type"]?.stringValue, let keyType = NftDataType(rawValue: key) {
            let valueType = valueText.flatMap(NftDataType.init(rawValue:))
            if !isMap || valueType != nil { shape = NftSetShape(keyType: keyType, valueType: valueType, interval: flags.contains("interval")) }
            typeText = key + (valueText.map { " : " + $0 } ?? "")
        } else {
            let parts = body["type"]?.arrayValue?.compactMap(\.stringValue) ?? []
            typeText = parts.joined(separator: " . ") + (valueText.map { " : " + $0 } ?? "")
        }
        let raw = body["elem"]?.arrayValue ?? []
        var elements: [NftElement] = []
        if let known = shape {
            for item in raw {
                guard let element = NftElement.read(item, known) else { shape = nil; break }
                elements.append(element)
            }
        }
        let model = NftSetModel(isMap: isMap, shape: shape, typeText: typeText, flags: flags, autoMerge: autoMerge,
                                timeout: timeout, elements: shape == nil ? [] : elements)
        if shape == nil { model.opaqueElements = raw.map(stableElement) }
        return model
    }

    static func stableElement(_ json: JSON) -> JSON { stable(json) }

    /// The sets and maps a terse text listing (`nft -t list …`) shows with `auto-merge`, which the JSON leaves out.
    static func autoMergeSets(_ terse: String) -> Swift.Set<String> {
        var names: Swift.Set<String> = []
        var current: String?
        for line in terse.split(separator: "\n") {
            let words = line.split(separator: " ", omittingEmptySubsequences: true).map { $0.trimmingCharacters(in: "\t") }
            if words.count >= 3, words[0] == "set" || words[0] == "map", words.last == "{" {
                current = words[1]
            } else if words == ["auto-merge"], let current {
                names.insert(current)
            } else if words == ["}"] {
                current = nil
            }
        }
        return names
    }

    /// The output with what changes by itself taken out: counter values zeroed, element expiry dropped.
    static func stable(_ output: String) -> String {
        guard output.contains("\"counter\"") || output.contains("\"expires\""), let json = try? JSON.parse(output) else { return output }
        return stable(json).serialized + "\n"
    }

    static func stable(_ json: JSON) -> JSON {
        switch json {
        case .object(let fields):
            return .object(fields.compactMap { key, value in
                if key == "expires" { return nil }
                if key == "counter", case .object = value { return (key, .object([("packets", .number(0)), ("bytes", .number(0))])) }
                return (key, stable(value))
            })
        case .array(let items):
            return .array(items.map(stable))
        default:
            return json
        }
    }
}

extension Substring {
    func trimmingCharacters(in characters: Character) -> String {
        String(drop(while: { $0 == characters }).reversed().drop(while: { $0 == characters }).reversed())
    }
}
