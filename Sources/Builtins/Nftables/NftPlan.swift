import Interpreter
import Lexer

/// What a run's nftables changes would do, table by table, chain by chain
/// and set by set, for `wds plan` and `wds verify`: each table the run
/// touched as the kernel holds it against the model after the run (every
/// batch, not only the last), rules compared by what nft prints back; and
/// the batch that puts back only what is missing (`--fix`): missing rules at
/// their places, missing elements, chains, sets and tables, a base chain's
/// policy. What is extra is left.
extension NftTransaction: PlannableFamily {
    func plan(_ context: RunContext, at location: SourceRange) throws -> FamilyPlan {
        var plan = FamilyPlan()
        let spec = BuiltinSpec("plan", summary: "") { _ in .empty }
        let call = Invocation(spec: spec, range: location, context: context)
        var fix: [String] = []
        for id in touchedTables {
            let before = try kernelTable(id, call)
            let after = try whole(id, call)
            Self.compare(id, before: before, after: after, into: &plan, fix: &fix)
        }
        if !fix.isEmpty {
            plan.fixes.append(.family(AnyFamilyEffect(NftCommitEffect(payload: fix.map { $0 + "\n" }.joined()))))
        }
        // The positions of the missing rules hold only while no one else changes the ruleset.
        plan.holdDuringFix = (.family(AnyFamilyEffect(NftLockEffect(path: lockPath, timeoutSeconds: lockTimeoutSeconds))),
                              .family(AnyFamilyEffect(NftUnlockEffect(path: lockPath))))
        return plan
    }

    /// The table as the kernel holds it now (nil: none), read whole.
    private func kernelTable(_ id: NftTableID, _ call: Invocation) throws -> NftTableModel? {
        let words = ["table", id.family.rawValue, id.name]
        guard case .process(let status, let output, _) = try call.perform(.family(AnyFamilyEffect(NftListEffect(words: words)))),
              status == 0 else { return nil }
        var autoMerge: Set<String> = []
        if output.contains("\"interval\""),
           case .process(0, let terse, _) = try call.perform(.family(AnyFamilyEffect(NftListEffect(words: words, terse: true)))) {
            autoMerge = NftListing.autoMergeSets(terse)
        }
        let read = try NftListing(output, autoMerge: autoMerge)
        let table = NftTableModel(complete: true)
        for chain in read.chains {
            let rules = read.rules.filter { $0.chain == chain.name }.map {
                NftRuleEntry(kernel: $0.expressions, comment: $0.comment, handle: $0.handle, family: id.family)
            }
            table.addChain(chain.name, NftChainModel(base: chain.base, rules: rules))
        }
        for set in read.sets { table.addSet(set.name, set.model) }
        return table
    }

    static func compare(_ id: NftTableID, before: NftTableModel?, after: NftTableModel?, into plan: inout FamilyPlan, fix: inout [String]) {
        let label = "nftables \(id.words)"
        switch (before, after) {
        case (nil, nil):
            return
        case (nil, _?):
            plan.lines.append(PlanLine(area: label, sign: .add, text: "new table \(id.words)"))
            fix.append("add table \(id.words)")
            plan.fixedCount += 1
        case (_?, nil):
            plan.lines.append(PlanLine(area: label, sign: .remove, text: "table \(id.words) deleted"))
            return
        default:
            break
        }
        let old = before ?? NftTableModel(complete: true)
        guard let new = after else { return }

        // Sets first: a missing rule may use one.
        for name in new.setOrder + old.setOrder.filter({ new.sets[$0] == nil }) {
            compareSet(id, name, old.sets[name], new.sets[name], label: label, into: &plan, fix: &fix)
        }
        var chainFixes: [String] = [], ruleFixes: [String] = []
        for name in new.chainOrder + old.chainOrder.filter({ new.chains[$0] == nil }) {
            let area = "\(label), chain \(name)"
            let was = old.chains[name], now = new.chains[name]
            switch (was, now) {
            case (nil, let made?):
                plan.lines.append(PlanLine(area: area, sign: .add, text: "new chain \(name)" + (made.base.map { " (\(NftChainBuiltins.describe($0)))" } ?? "")))
                chainFixes.append(NftCommand.addChain(id, name, made.base, create: false).line)
                plan.fixedCount += 1
            case (_?, nil):
                plan.lines.append(PlanLine(area: area, sign: .remove, text: "chain \(name) deleted"))
                continue
            case (let was?, let now?) where was.base != now.base:
                plan.lines.append(PlanLine(area: area, sign: .change, text: "\(NftChainBuiltins.describe(was.base)) -> \(NftChainBuiltins.describe(now.base))"))
                if let base = now.base, let current = was.base, base.type == current.type, base.hook == current.hook, base.priority == current.priority {
                    chainFixes.append(NftCommand.addChain(id, name, base, create: false).line)
                    plan.fixedCount += 1
                }
            default:
                break
            }
            compareRules(id, name, was?.rules ?? [], now?.rules ?? [], area: area, into: &plan, fix: &ruleFixes)
        }
        fix += chainFixes + ruleFixes
    }

    static func compareRules(_ id: NftTableID, _ chain: String, _ old: [NftRuleEntry], _ new: [NftRuleEntry], area: String,
                             into plan: inout FamilyPlan, fix: inout [String]) {
        let equal: (NftRuleEntry, NftRuleEntry) -> Bool = { $0.identity == $1.identity }
        let edits = Alignment.edits(old, new, equal: equal)
        // A rule the script removes and adds again elsewhere in the chain is one rule that moved:
        // shown as `~`, and never put back as a second copy by `--fix`.
        var removedIndices = edits.compactMap { if case .remove(let index) = $0 { return index } else { return nil } }
        var moved: Set<Int> = [], movedFrom: Set<Int> = []
        for edit in edits {
            guard case .insert(let index) = edit, let match = removedIndices.firstIndex(where: { equal(old[$0], new[index]) }) else { continue }
            moved.insert(index)
            movedFrom.insert(removedIndices.remove(at: match))
        }
        var position = 0  // where the next rule goes in the chain as the fix leaves it (extra rules stay)
        var count = old.count
        for edit in edits {
            switch edit {
            case .keep:
                position += 1
            case .remove(let index):
                if !movedFrom.contains(index) { plan.lines.append(PlanLine(area: area, sign: .remove, text: old[index].text(family: id.family))) }
                position += 1
            case .insert(let index) where moved.contains(index):
                plan.lines.append(PlanLine(area: area, sign: .change, text: "moved to position \(index + 1): " + new[index].text(family: id.family)))
            case .insert(let index):
                let text = new[index].text(family: id.family)
                plan.lines.append(PlanLine(area: area, sign: .add, text: text))
                let head = "rule \(id.words) \(chain)"
                if count == 0 || position == count {
                    fix.append("add \(head) \(text)")
                } else if position == 0 {
                    fix.append("insert \(head) \(text)")
                } else {
                    fix.append("add \(head) index \(position - 1) \(text)")
                }
                plan.fixedCount += 1
                position += 1
                count += 1
            }
        }
    }

    static func compareSet(_ id: NftTableID, _ name: String, _ was: NftSetModel?, _ now: NftSetModel?, label: String,
                           into plan: inout FamilyPlan, fix: inout [String]) {
        let kind = (now ?? was)?.kind ?? "set"
        let area = "\(label), \(kind) \(name)"
        switch (was, now) {
        case (nil, let made?):
            plan.lines.append(PlanLine(area: area, sign: .add, text: "new \(NftSetBuiltins.describe(made))"))
            fix.append("add \(made.kind) \(id.words) \(name) \(made.declaration)")
            plan.fixedCount += 1
        case (_?, nil):
            plan.lines.append(PlanLine(area: area, sign: .remove, text: "\(kind) \(name) deleted"))
            return
        case (let was?, let now?) where was.typeText != now.typeText || Set(was.flags) != Set(now.flags) || was.autoMerge != now.autoMerge:
            plan.lines.append(PlanLine(area: area, sign: .change, text: "\(NftSetBuiltins.describe(was)) -> \(NftSetBuiltins.describe(now))"))
            return
        default:
            break
        }
        guard let now, let shape = now.shape else { return }
        let old = was?.shape == shape ? (was?.elements ?? []) : []
        // Elements compared without their own timeouts, which count down.
        let key: (NftElement) -> NftElement = { NftElement(key: $0.key, value: $0.value, timeout: nil) }
        let oldKeys = Set(old.map(key)), newKeys = Set(now.elements.map(key))
        let missing = now.elements.filter { !oldKeys.contains(key($0)) }
        for element in old where !newKeys.contains(key(element)) {
            plan.lines.append(PlanLine(area: area, sign: .remove, text: element.text(shape)))
        }
        for element in missing { plan.lines.append(PlanLine(area: area, sign: .add, text: element.text(shape))) }
        if !missing.isEmpty {
            fix.append("add element \(id.words) \(name) { \(missing.map { $0.text(shape) }.joined(separator: ", ")) }")
            plan.fixedCount += missing.count
        }
    }
}
