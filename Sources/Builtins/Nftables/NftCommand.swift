import Interpreter
import Lexer

/// One change to the nftables ruleset, as a statement decided it: enough to
/// write its line of the batch, to replay it on what is read of the kernel
/// later (after a caught failure, or in a trace whose commits reached no
/// kernel), and to say which piece of the ruleset it touches.
enum NftCommand {
    case addTable(NftTableID, create: Bool)
    case deleteTable(NftTableID)
    case flushTable(NftTableID)
    /// Adds a chain, or declares an existing base chain again with another policy.
    case addChain(NftTableID, String, NftBaseChain?, create: Bool)
    case deleteChain(NftTableID, String)
    case flushChain(NftTableID, String)
    /// The rule goes to `index` of the chain as the model had it then.
    case addRule(NftTableID, String, NftRuleEntry, index: Int)
    case deleteRule(NftTableID, String, NftRuleEntry, index: Int)
    /// The set's declaration, empty.
    case addSet(NftTableID, String, NftSetModel, create: Bool)
    case deleteSet(NftTableID, String, isMap: Bool)
    case flushSet(NftTableID, String, isMap: Bool)
    case addElements(NftTableID, String, [NftElement], NftSetShape, isMap: Bool)
    case deleteElements(NftTableID, String, [NftElement], NftSetShape, isMap: Bool)

    var table: NftTableID {
        switch self {
        case .addTable(let id, _), .deleteTable(let id), .flushTable(let id), .addChain(let id, _, _, _), .deleteChain(let id, _),
             .flushChain(let id, _), .addRule(let id, _, _, _), .deleteRule(let id, _, _, _), .addSet(let id, _, _, _),
             .deleteSet(let id, _, _), .flushSet(let id, _, _), .addElements(let id, _, _, _, _), .deleteElements(let id, _, _, _, _):
            return id
        }
    }

    /// The chain it changes (nil: not one chain).
    var chain: String? {
        switch self {
        case .addChain(_, let name, _, _), .deleteChain(_, let name), .flushChain(_, let name), .addRule(_, let name, _, _),
             .deleteRule(_, let name, _, _):
            return name
        default:
            return nil
        }
    }

    /// The set or map it changes (nil: not one set).
    var set: String? {
        switch self {
        case .addSet(_, let name, _, _), .deleteSet(_, let name, _), .flushSet(_, let name, _), .addElements(_, let name, _, _, _),
             .deleteElements(_, let name, _, _, _):
            return name
        default:
            return nil
        }
    }

    /// Its line in a batch; a rule's position is written as the model had the chain (the commit
    /// writes it again against what the kernel will have, see `NftBatch`).
    var line: String {
        let id = table
        switch self {
        case .addTable(_, let create): return "\(create ? "create" : "add") table \(id.words)"
        case .deleteTable: return "delete table \(id.words)"
        case .flushTable: return "flush table \(id.words)"
        case .addChain(_, let name, let base, let create):
            return "\(create ? "create" : "add") chain \(id.words) \(name)" + (base.map { " " + Self.declaration($0) } ?? "")
        case .deleteChain(_, let name): return "delete chain \(id.words) \(name)"
        case .flushChain(_, let name): return "flush chain \(id.words) \(name)"
        case .addRule(_, let name, let entry, let index):
            return "\(index == 0 ? "insert" : "add") rule \(id.words) \(name)\(index > 0 ? " index \(index - 1)" : "") \(entry.text(family: id.family))"
        case .deleteRule(_, let name, let entry, _):
            return "delete rule \(id.words) \(name) handle \(entry.handle.map(String.init) ?? "?")"
        case .addSet(_, let name, let set, let create):
            return "\(create ? "create" : "add") \(set.kind) \(id.words) \(name) \(set.declaration)"
        case .deleteSet(_, let name, let isMap): return "delete \(isMap ? "map" : "set") \(id.words) \(name)"
        case .flushSet(_, let name, let isMap): return "flush \(isMap ? "map" : "set") \(id.words) \(name)"
        case .addElements(_, let name, let elements, let shape, _):
            return "add element \(id.words) \(name) { \(elements.map { $0.text(shape) }.joined(separator: ", ")) }"
        case .deleteElements(_, let name, let elements, let shape, _):
            return "delete element \(id.words) \(name) { \(elements.map { $0.text(shape) }.joined(separator: ", ")) }"
        }
    }

    /// `{ type filter hook forward priority 0; policy accept; }`
    static func declaration(_ base: NftBaseChain) -> String {
        let device = base.device.map { " device \"\($0)\"" } ?? ""
        return "{ type \(base.type) hook \(base.hook)\(device) priority \(base.priority); policy \(base.policy); }"
    }

    // MARK: Replaying on what is read later

    /// The chain `name` of table `id` after this change, given what it was before.
    func replay(chain name: String, of id: NftTableID, _ chain: NftChainModel?) -> NftChainModel? {
        guard table == id else { return chain }
        switch self {
        case .deleteTable: return nil
        case .flushTable: chain?.removeAll(); return chain
        case .addChain(_, let other, let base, _) where other == name:
            guard let chain else { return NftChainModel(base: base, rules: []) }
            if let base { chain.base = base }
            return chain
        case .deleteChain(_, let other) where other == name: return nil
        case .flushChain(_, let other) where other == name: chain?.removeAll(); return chain
        case .addRule(_, let other, let entry, let index) where other == name:
            chain?.insert(entry, at: min(index, chain?.rules.count ?? 0))
            return chain
        case .deleteRule(_, let other, let entry, _) where other == name:
            if let chain, let index = chain.rules.firstIndex(where: { Self.same($0, entry) }) { chain.remove(at: index) }
            return chain
        default:
            return chain
        }
    }

    /// The set `name` of table `id` after this change.
    func replay(set name: String, of id: NftTableID, _ set: NftSetModel?) -> NftSetModel? {
        guard table == id else { return set }
        switch self {
        case .deleteTable: return nil
        case .addSet(_, let other, let declaration, _) where other == name: return set ?? declaration.copy()
        case .deleteSet(_, let other, _) where other == name: return nil
        case .flushSet(_, let other, _) where other == name: set?.flush(); return set
        case .addElements(_, let other, let elements, _, _) where other == name: _ = set?.add(elements); return set
        case .deleteElements(_, let other, let elements, _, _) where other == name: set?.drop(elements); return set
        default: return set
        }
    }

    /// The same rule: by the kernel's handle, or, for one this run added, by the run's number.
    static func same(_ a: NftRuleEntry, _ b: NftRuleEntry) -> Bool {
        if let handle = b.handle { return a.handle == handle }
        return a.uid == b.uid
    }
}
