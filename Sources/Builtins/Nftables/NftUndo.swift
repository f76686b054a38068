import Interpreter

/// The undo of a committed batch, as one JSON batch (`nft -j -f -`): JSON,
/// because it adds rules back exactly as the kernel printed them, including
/// what wds does not model. It is computed from what each piece the batch
/// changed was before (the snapshots) and is after (the model, with the
/// handles the kernel gave the new rules): new rules are deleted by handle,
/// deleted ones added back at their places (rules never move in nftables),
/// sets get their old elements, new chains, sets and tables are deleted and
/// deleted ones made again.
///
/// libnftables 1.0.6 reads no `auto-merge` in JSON: a deleted set made again
/// by an undo holds its old elements but does not merge new ones.
struct NftUndo {
    private(set) var payload: String?

    init(changes: [NftTransaction.Change], snapshots: [NftTransaction.Piece: NftTransaction.Snapshot], batch: NftBatch,
         handles handleOf: [Int: Int], model: NftTransaction) {
        var deleteRules: [JSON] = [], makeChains: [JSON] = [], restoreSets: [JSON] = [], addRules: [JSON] = []
        var policies: [JSON] = [], dropChains: [JSON] = [], dropSets: [JSON] = [], tableSteps: [JSON] = []

        // Tables the batch made or deleted are put back whole; their pieces need nothing more.
        var wholeTables: Set<NftTableID> = []
        for (piece, snapshot) in snapshots.sorted(by: { Self.order($0.key) < Self.order($1.key) }) {
            guard case .table(let id) = piece, case .table(let existed, let before) = snapshot else { continue }
            guard case .table(let existsNow, _) = model.current(piece) else { continue }
            if existed, let before {
                if existsNow { tableSteps.append(Self.command("delete", "table", Self.table(id))) }
                tableSteps += Self.recreate(id, before)
            } else if !existed && existsNow {
                tableSteps.append(Self.command("delete", "table", Self.table(id)))
            } else if !existed && !existsNow {
                // Made and deleted again by the batch: nothing to undo.
            }
            wholeTables.insert(id)
        }

        for (piece, snapshot) in snapshots.sorted(by: { Self.order($0.key) < Self.order($1.key) }) {
            switch (piece, snapshot) {
            case (.chain(let id, let name), .chain(let before)) where !wholeTables.contains(id):
                guard case .chain(let after) = model.current(piece) else { continue }
                let ruleFields = Self.rule(id, name)
                let chainFields = Self.chainless(id, name)
                let beforeUIDs = Set(before?.rules.map(\.uid) ?? [])
                if let after {
                    if before == nil {
                        dropChains.append(Self.command("flush", "chain", chainFields))
                        dropChains.append(Self.command("delete", "chain", chainFields))
                        continue
                    }
                    for rule in after.rules where !beforeUIDs.contains(rule.uid) {
                        guard let handle = rule.handle ?? handleOf[rule.uid] else { continue }
                        deleteRules.append(Self.command("delete", "rule", ruleFields + [("handle", .number(Double(handle)))]))
                    }
                    if let base = before?.base, base != after.base { policies.append(Self.command("add", "chain", Self.chain(id, name, base: base))) }
                } else if let before {
                    makeChains.append(Self.command("add", "chain", Self.chain(id, name, base: before.base)))
                }
                // Rules that were there and are not any more go back to their places: before the
                // next rule that stayed (by its handle), or at the end; in order, so a run of them keeps its order.
                guard let before else { continue }
                let afterUIDs = Set(after?.rules.map(\.uid) ?? [])
                for (position, rule) in before.rules.enumerated() where !afterUIDs.contains(rule.uid) {
                    guard let (expressions, comment) = rule.expressionsForUndo(family: id.family) else { continue }
                    var fields = ruleFields + [("expr", JSON.array(expressions))]
                    if let comment { fields.append(("comment", .string(comment))) }
                    if let next = before.rules[(position + 1)...].first(where: { afterUIDs.contains($0.uid) }), let handle = next.handle {
                        addRules.append(Self.command("insert", "rule", fields + [("handle", .number(Double(handle)))]))
                    } else {
                        addRules.append(Self.command("add", "rule", fields))
                    }
                }
            case (.set(let id, let name), .set(let before)) where !wholeTables.contains(id):
                guard case .set(let after) = model.current(piece) else { continue }
                switch (before, after) {
                case (nil, let made?):
                    dropSets.append(Self.command("delete", made.kind, Self.chainless(id, name)))
                case (let old?, nil):
                    restoreSets += Self.makeSet(id, name, old)
                case (let old?, let now?) where !old.complete:
                    // A map the batch knew only in part: each key it touched put back as it was.
                    var remove: [JSON] = [], add: [JSON] = []
                    guard let shape = old.shape else { continue }
                    for key in Set(old.knownKeys + now.knownKeys) {
                        let was = old.element(for: key), isNow = now.element(for: key)
                        guard was != isNow else { continue }
                        if let isNow { remove.append(isNow.json(shape)) }
                        if let was { add.append(was.json(shape)) }
                    }
                    if !remove.isEmpty { restoreSets.append(Self.command("delete", "element", Self.chainless(id, name) + [("elem", .array(remove))])) }
                    if !add.isEmpty { restoreSets.append(Self.command("add", "element", Self.chainless(id, name) + [("elem", .array(add))])) }
                case (let old?, let now?):
                    if Set(old.elementsJSON.map(\.serialized)) != Set(now.elementsJSON.map(\.serialized)) {
                        restoreSets.append(Self.command("flush", old.kind, Self.chainless(id, name)))
                        if !old.elementsJSON.isEmpty {
                            restoreSets.append(Self.command("add", "element", Self.chainless(id, name) + [("elem", .array(old.elementsJSON))]))
                        }
                    }
                case (nil, nil):
                    continue
                }
            default:
                continue
            }
        }
        let steps = deleteRules + makeChains + restoreSets + addRules + policies + dropChains + dropSets + tableSteps
        guard !steps.isEmpty else { return }
        payload = JSON.object([("nftables", .array(steps))]).serialized + "\n"
    }

    /// Pieces in a fixed order: tables, then chains, then sets, each by name.
    static func order(_ piece: NftTransaction.Piece) -> String {
        switch piece {
        case .table(let id): return "0 \(id.words)"
        case .chain(let id, let name): return "1 \(id.words) \(name)"
        case .set(let id, let name): return "2 \(id.words) \(name)"
        }
    }

    static func command(_ verb: String, _ kind: String, _ fields: [(String, JSON)]) -> JSON {
        .object([(verb, .object([(kind, .object(fields))]))])
    }

    static func table(_ id: NftTableID) -> [(String, JSON)] {
        [("family", .string(id.family.rawValue)), ("name", .string(id.name))]
    }

    static func chainless(_ id: NftTableID, _ name: String) -> [(String, JSON)] {
        [("family", .string(id.family.rawValue)), ("table", .string(id.name)), ("name", .string(name))]
    }

    /// A rule's place: its chain is named `chain` (a chain's own name is `name`).
    static func rule(_ id: NftTableID, _ chain: String) -> [(String, JSON)] {
        [("family", .string(id.family.rawValue)), ("table", .string(id.name)), ("chain", .string(chain))]
    }

    /// A chain, with its hook when it is a base chain.
    static func chain(_ id: NftTableID, _ name: String, base: NftBaseChain?) -> [(String, JSON)] {
        var fields = chainless(id, name)
        guard let base else { return fields }
        fields += [("type", .string(base.type)), ("hook", .string(base.hook)), ("prio", .number(Double(base.priority))),
                   ("policy", .string(base.policy))]
        if let device = base.device { fields.append(("dev", .string(device))) }
        return fields
    }

    static func makeSet(_ id: NftTableID, _ name: String, _ set: NftSetModel) -> [JSON] {
        var fields = chainless(id, name)
        let parts = set.typeText.split(separator: ":").map { $0.split(separator: " ").filter { $0 != "." }.map(String.init) }
        let keyParts = parts.first ?? []
        fields.append(("type", keyParts.count == 1 ? .string(keyParts[0]) : .array(keyParts.map(JSON.string))))
        if set.isMap, parts.count > 1, let value = parts[1].first { fields.append(("map", .string(value))) }
        if !set.flags.isEmpty { fields.append(("flags", .array(set.flags.map(JSON.string)))) }
        if let timeout = set.timeout { fields.append(("timeout", .number(Double(timeout)))) }
        if !set.elementsJSON.isEmpty { fields.append(("elem", .array(set.elementsJSON))) }
        return [command("add", set.kind, fields)]
    }

    /// Everything a table held, made again: the table, its sets, its chains, then their rules.
    static func recreate(_ id: NftTableID, _ table: NftTableModel) -> [JSON] {
        var steps = [command("add", "table", Self.table(id))]
        for name in table.setOrder { if let set = table.sets[name] { steps += makeSet(id, name, set) } }
        for name in table.chainOrder {
            guard let chain = table.chains[name] else { continue }
            steps.append(command("add", "chain", Self.chain(id, name, base: chain.base)))
        }
        for name in table.chainOrder {
            for rule in table.chains[name]?.rules ?? [] {
                guard let (expressions, comment) = rule.expressionsForUndo(family: id.family) else { continue }
                var fields = Self.rule(id, name) + [("expr", JSON.array(expressions))]
                if let comment { fields.append(("comment", .string(comment))) }
                steps.append(command("add", "rule", fields))
            }
        }
        return steps
    }
}
