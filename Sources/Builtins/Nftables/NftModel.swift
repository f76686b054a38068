import Interpreter

/// What the run knows of one nftables table: the chains and sets it has
/// read (lazily, one at a time, or all at once when a statement is about
/// the whole table) with the run's changes applied in place. Classes, so a
/// change edits the model where it is.
final class NftTableModel {
    var chains: [String: NftChainModel] = [:]
    var absentChains: Set<String> = []
    var sets: [String: NftSetModel] = [:]
    var absentSets: Set<String> = []
    /// Every chain and set of the table is known (it was read whole, or the run created it).
    var complete = false
    /// Names in the order nft lists them (by handle), new ones last.
    var chainOrder: [String] = []
    var setOrder: [String] = []

    init(complete: Bool = false) { self.complete = complete }

    func addChain(_ name: String, _ chain: NftChainModel) {
        if chains[name] == nil && !chainOrder.contains(name) { chainOrder.append(name) }
        chains[name] = chain
        absentChains.remove(name)
    }

    func removeChain(_ name: String) {
        chains[name] = nil
        chainOrder.removeAll { $0 == name }
        absentChains.insert(name)
    }

    func addSet(_ name: String, _ set: NftSetModel) {
        if sets[name] == nil && !setOrder.contains(name) { setOrder.append(name) }
        sets[name] = set
        absentSets.remove(name)
    }

    func removeSet(_ name: String) {
        sets[name] = nil
        setOrder.removeAll { $0 == name }
        absentSets.insert(name)
    }

    /// A copy, for what a change must be able to put back.
    func copy() -> NftTableModel {
        let copy = NftTableModel(complete: complete)
        for (name, chain) in chains { copy.chains[name] = chain.copy() }
        for (name, set) in sets { copy.sets[name] = set.copy() }
        copy.absentChains = absentChains
        copy.absentSets = absentSets
        copy.chainOrder = chainOrder
        copy.setOrder = setOrder
        return copy
    }
}

/// A base chain's hook: what `type filter hook forward priority 0; policy accept;` says.
struct NftBaseChain: Hashable, Sendable {
    var type: String
    var hook: String
    var priority: Int
    var policy: String
    /// For netdev's ingress and egress: the interface (nft 1.0.6 does not print it in JSON).
    var device: String?
}

/// One chain: its hook if it is a base chain, and its rules in order. A
/// chain read by its header alone (netlink) does not know its rules yet
/// (`rulesKnown`): they are read when a statement needs them, and until then
/// `rules` holds only what the run appended.
final class NftChainModel {
    var base: NftBaseChain?
    private(set) var rules: [NftRuleEntry]
    var rulesKnown = true
    /// The kernel's count of what holds the chain (its own rules, the rules and map elements that lead
    /// to it) when its header was read, and how many rules it had then (once they are read).
    var kernelUse: Int?
    var kernelRuleCount: Int?
    /// How many rules have each identity: `exists` in constant time.
    private(set) var counts: [String: Int] = [:]

    init(base: NftBaseChain?, rules: [NftRuleEntry]) {
        self.base = base
        self.rules = rules
        for rule in rules { counts[rule.identity, default: 0] += 1 }
    }

    func insert(_ rule: NftRuleEntry, at index: Int) {
        rules.insert(rule, at: index)
        counts[rule.identity, default: 0] += 1
    }

    @discardableResult
    func remove(at index: Int) -> NftRuleEntry {
        let rule = rules.remove(at: index)
        counts[rule.identity]! -= 1
        return rule
    }

    func removeAll() {
        rules = []
        counts = [:]
        rulesKnown = true
    }

    /// The rules as read, now known.
    func replaceRules(_ new: [NftRuleEntry]) {
        rules = []
        counts = [:]
        for rule in new { insert(rule, at: rules.count) }
        rulesKnown = true
    }

    func setHandle(_ handle: Int, at index: Int) { rules[index].handle = handle }

    func copy() -> NftChainModel {
        let copy = NftChainModel(base: base, rules: rules)
        copy.rulesKnown = rulesKnown
        copy.kernelUse = kernelUse
        copy.kernelRuleCount = kernelRuleCount
        return copy
    }
}

/// A rule in a chain: what it is, the handle the kernel gave it (nil for one this run adds
/// until its batch is committed), and its identity.
struct NftRuleEntry: Sendable {
    enum Body: Sendable {
        /// Built by wds from typed options.
        case typed(NftRule)
        /// A rule body in nft syntax (`--nft`): the kernel decides what it is.
        case raw(String)
        /// Read from the kernel: its JSON, and the typed rule it is when wds models every expression.
        case kernel(expressions: [JSON], comment: String?, typed: NftRule?)
    }

    var body: Body
    var handle: Int?
    /// The rule as `nft -j list` prints it, canonical: equal identities are the same rule.
    var identity: String
    /// The run's own number for it (handles come only with a commit): which rule a later change is about.
    var uid = 0

    init(typed rule: NftRule, family: NftTableFamily) {
        body = .typed(rule)
        identity = NftCanonical.identity(rule.expressions(family: family), comment: rule.comment)
    }

    init(raw text: String) {
        body = .raw(text)
        // Only the kernel knows what it prints back for it: equal only to the same text, until it is read back.
        identity = "raw:" + text
    }

    init(kernel expressions: [JSON], comment: String?, handle: Int?, family: NftTableFamily) {
        body = .kernel(expressions: expressions, comment: comment, typed: NftRule(expressions: expressions, comment: comment, family: family))
        self.handle = handle
        identity = NftCanonical.identity(expressions, comment: comment)
    }

    /// The rule in nft syntax: what a batch adds, and how plans show it.
    func text(family: NftTableFamily) -> String {
        switch body {
        case .typed(let rule): return rule.text(family: family)
        case .raw(let text): return text
        case .kernel(let expressions, let comment, let typed):
            if let typed { return typed.text(family: family) }
            return "json " + JSON.array(expressions).serialized + (comment.map { " comment \"\($0)\"" } ?? "")
        }
    }

    /// The typed rule, where wds knows every expression.
    var typed: NftRule? {
        switch body {
        case .typed(let rule): return rule
        case .raw: return nil
        case .kernel(_, _, let typed): return typed
        }
    }

    /// The JSON an undo batch adds it back with (a kernel rule as read; a typed one as nft prints it).
    func expressionsForUndo(family: NftTableFamily) -> ([JSON], String?)? {
        switch body {
        case .typed(let rule): return (rule.expressions(family: family), rule.comment)
        case .raw: return nil
        case .kernel(let expressions, let comment, _): return (expressions, comment)
        }
    }
}

/// A named set or map and its elements.
final class NftSetModel {
    var isMap: Bool
    /// nil when the set's type is one wds does not model (a concatenation, a typeof): its elements are opaque.
    var shape: NftSetShape?
    /// The type as nft prints it, for messages (`ipv4_addr`, `ifname : verdict`).
    var typeText: String
    var flags: [String]
    var autoMerge: Bool
    var timeout: Int?
    private(set) var elements: [NftElement]
    private var index: [NftElementValue: Int] = [:]
    /// Every element is known (read whole, or made by the run). A map read by its header
    /// alone knows only the keys it looked up (`learn`): those it holds, and those it does not.
    var complete = true
    private var absentKeys: Set<NftElementValue> = []
    /// The elements as read, for a set wds does not model (they are put back as they were).
    var opaqueElements: [JSON] = []

    init(isMap: Bool, shape: NftSetShape?, typeText: String, flags: [String], autoMerge: Bool, timeout: Int?,
         elements: [NftElement]) {
        self.isMap = isMap
        self.shape = shape
        self.typeText = typeText
        self.flags = flags
        self.autoMerge = autoMerge
        self.timeout = timeout
        self.elements = []
        replaceElements(elements)
    }

    var interval: Bool { shape?.interval ?? flags.contains("interval") }
    var kind: String { isMap ? "map" : "set" }

    func copy() -> NftSetModel {
        let copy = NftSetModel(isMap: isMap, shape: shape, typeText: typeText, flags: flags, autoMerge: autoMerge,
                               timeout: timeout, elements: elements)
        copy.opaqueElements = opaqueElements
        copy.complete = complete
        copy.absentKeys = absentKeys
        return copy
    }

    /// Whether the model knows if KEY is held, without asking the kernel.
    func knows(_ key: NftElementValue) -> Bool { complete || index[key] != nil || absentKeys.contains(key) }

    /// What the kernel answered for one key: its element, or none.
    func learn(_ key: NftElementValue, _ element: NftElement?) {
        guard !knows(key) else { return }
        if let element {
            replaceElements(elements + [element])
        } else {
            absentKeys.insert(key)
        }
    }

    /// Removes these elements where it holds them, and knows it does not hold them any more
    /// (what a change the kernel took does, replayed on a set that may not know them).
    func drop(_ gone: [NftElement]) {
        let keys = Set(gone.map(\.key))
        let absent = absentKeys.union(keys)
        replaceElements(elements.filter { !keys.contains($0.key) })
        absentKeys = complete ? [] : absent
    }

    /// The keys the model knows about: held, or known not to be.
    var knownKeys: [NftElementValue] { elements.map(\.key) + absentKeys.sorted { "\($0)" < "\($1)" } }

    /// Takes the elements (and completeness) of another reading of the same set.
    func takeElements(of other: NftSetModel) {
        replaceElements(other.elements)
        opaqueElements = other.opaqueElements
        complete = other.complete
        absentKeys = other.absentKeys
    }

    /// Its elements in the order nft prints them: by their value.
    func replaceElements(_ new: [NftElement]) {
        elements = new.sorted { $0.key.precedes($1.key) }
        index = [:]
        for (position, element) in elements.enumerated() { index[element.key] = position }
    }

    func element(for key: NftElementValue) -> NftElement? { index[key].map { elements[$0] } }

    /// Adds elements as the kernel would, or says why it refuses: an
    /// interval that overlaps another (unless the set auto-merges), a map key
    /// that is there with another value. Adding what is there changes nothing.
    func add(_ new: [NftElement]) -> String? {
        if interval {
            if autoMerge && !isMap {
                // Everything joins: no overlap to refuse (sorting once: a list of thousands of networks stays fast).
                let intervals = NftInterval.merged((elements + new).compactMap { if case .interval(let i) = $0.key { return i } else { return nil } })
                replaceElements(intervals.map { NftElement(key: .interval($0), value: nil, timeout: nil) })
                return nil
            }
            struct Item { var element: NftElement; var fresh: Bool }
            var result = elements
            var positions = index
            var items = elements.map { Item(element: $0, fresh: false) }
            for element in new {
                if let same = positions[element.key] {
                    if isMap && result[same].value != element.value { return "element \(describe(element)) already exists with another value" }
                    continue
                }
                positions[element.key] = result.count
                result.append(element)
                items.append(Item(element: element, fresh: true))
            }
            // Without auto-merge an overlap is refused: sorted by start, an interval overlaps
            // another only if it starts before the furthest end so far.
            var furthest: (item: Item, high: UInt128)?
            for item in items.sorted(by: { $0.element.key.precedes($1.element.key) }) {
                guard case .interval(let interval) = item.element.key else { continue }
                if let previous = furthest, interval.low <= previous.high {
                    let other = previous.item
                    if item.fresh && other.fresh {
                        return "conflicting intervals specified: \(describe(other.element)) and \(describe(item.element))"
                    }
                    let fresh = item.fresh ? item.element : other.element
                    let held = item.fresh ? other.element : item.element
                    return "\(describe(fresh)) overlaps \(describe(held)), which the set holds (it has no auto-merge)"
                }
                if furthest == nil || interval.high > furthest!.high { furthest = (item, interval.high) }
            }
            replaceElements(result)
            return nil
        }
        var result = elements
        var positions = index
        for element in new {
            if let position = positions[element.key] {
                if isMap && result[position].value != element.value { return "element \(describe(element)) already exists with another value" }
                continue
            }
            positions[element.key] = result.count
            result.append(element)
        }
        let absent = absentKeys.subtracting(new.map(\.key))
        replaceElements(result)
        absentKeys = absent
        return nil
    }

    /// Removes elements, each of which must be there exactly as given; or says which is not.
    func delete(_ gone: [NftElement]) -> String? {
        var result = elements
        for element in gone {
            guard let position = result.firstIndex(where: { $0.key == element.key }) else {
                return "element \(describe(element)) does not exist in \(kind) (it holds it only as part of a larger one, or not at all)"
            }
            result.remove(at: position)
        }
        let absent = absentKeys.union(gone.map(\.key))
        replaceElements(result)
        absentKeys = complete ? [] : absent
        return nil
    }

    func flush() {
        replaceElements([])
        opaqueElements = []
        complete = true
        absentKeys = []
    }

    func describe(_ element: NftElement) -> String {
        guard let shape else { return "?" }
        return "'" + element.key.display(shape.keyType) + "'"
    }

    /// The declaration after `add set FAMILY TABLE NAME` (or `add map`).
    var declaration: String {
        var parts = ["type \(typeText);"]
        if !flags.isEmpty { parts.append("flags \(flags.joined(separator: ","));") }
        if let timeout { parts.append("timeout \(timeout)s;") }
        if autoMerge { parts.append("auto-merge;") }
        return "{ " + parts.joined(separator: " ") + " }"
    }

    /// Its elements as nft syntax (`{ a, b }`), for a batch.
    var elementsText: String? {
        guard let shape, !elements.isEmpty else { return nil }
        return "{ " + elements.map { $0.text(shape) }.joined(separator: ", ") + " }"
    }

    /// The elements as `nft -j list` prints them.
    var elementsJSON: [JSON] {
        guard let shape else { return opaqueElements }
        return elements.map { $0.json(shape) }
    }
}

/// A canonical string of what `nft -j list` prints for a rule: object keys
/// sorted, counter values zeroed (they count packets, not what the rule is).
enum NftCanonical {
    static func identity(_ expressions: [JSON], comment: String?) -> String {
        var out = ""
        write(.array(expressions), to: &out)
        if let comment { out += "#" + comment }
        return out
    }

    static func write(_ json: JSON, to out: inout String) {
        switch json {
        case .object(let fields):
            out += "{"
            for (position, (key, value)) in fields.sorted(by: { $0.0 < $1.0 }).enumerated() {
                if position > 0 { out += "," }
                out += JSON.string(key).serialized + ":"
                if key == "counter", case .object = value {
                    out += "{}"
                } else {
                    write(value, to: &out)
                }
            }
            out += "}"
        case .array(let items):
            out += "["
            for (position, item) in items.enumerated() {
                if position > 0 { out += "," }
                write(item, to: &out)
            }
            out += "]"
        default:
            out += json.serialized
        }
    }
}
