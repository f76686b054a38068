import Interpreter
import Lexer

/// What a run's iptables changes would do to the host, table by table and
/// chain by chain, for `wds plan` and `wds verify`: the ruleset as the kernel
/// holds it against the model after the run (every batch, not only the last),
/// and the restore payload that puts back only what is missing (`--fix`).
extension IptablesTransaction: PlannableFamily {
    func plan(_ context: RunContext, at location: SourceRange) throws -> FamilyPlan {
        var plan = FamilyPlan()
        let spec = BuiltinSpec("plan", summary: "") { _ in .empty }
        let call = Invocation(spec: spec, range: location, context: context)
        for scope in touchedScopes {
            let table = PlannedIptablesTable(scope: scope, before: try IptablesTableState.read(scope, tool: tool, call),
                                             after: try view(scope, call), tool: tool)
            Self.add(table, to: &plan)
        }
        // The positions of the missing rules hold only while no one else changes the ruleset.
        plan.holdDuringFix = (.iptablesLock(path: lockPath, timeoutSeconds: lockTimeoutSeconds), .iptablesUnlock(path: lockPath))
        return plan
    }

    static func add(_ table: PlannedIptablesTable, to plan: inout FamilyPlan) {
        let family = table.scope.family
        let label = "iptables \(family == .ipv4 ? "IPv4" : "IPv6") \(table.scope.table)"
        var fix: [String] = []
        var newChains: [String] = []
        var policies: [String] = []
        let removedChains = table.before.chains.filter { !table.after.chains.contains($0) }
        for chain in table.after.chains + removedChains {
            let area = "\(label), chain \(chain)"
            let old = table.before.rules(in: chain), new = table.after.rules(in: chain)
            let existed = table.before.chains.contains(chain), exists = table.after.chains.contains(chain)
            if !existed {
                plan.lines.append(PlanLine(area: area, sign: .add, text: "new chain \(chain)"))
                newChains.append(chain)
            }
            if !exists { plan.lines.append(PlanLine(area: area, sign: .remove, text: "chain \(chain) deleted")) }
            if let old = table.before.policies[chain], let new = table.after.policies[chain], old != new {
                plan.lines.append(PlanLine(area: area, sign: .change, text: "policy \(old) -> \(new)"))
                policies.append("-P \(chain) \(new)")
            }
            let equal: (IptablesTableState.Entry, IptablesTableState.Entry) -> Bool = {
                $0.rule == $1.rule && ($0.rule.unmodeled.isEmpty || $0.specification == $1.specification)
            }
            let edits = Alignment.edits(old, new, equal: equal)
            // A rule the script removes and adds again elsewhere in the chain is one rule that moved:
            // shown as `~`, and never put back as a second copy by `--fix`.
            var removedIndices = edits.compactMap { if case .remove(let index) = $0 { return index } else { return nil } }
            var moved: Set<Int> = []  // indices into `new`
            var movedFrom: Set<Int> = []  // indices into `old`
            for edit in edits {
                guard case .insert(let index) = edit,
                      let match = removedIndices.firstIndex(where: { equal(old[$0], new[index]) }) else { continue }
                moved.insert(index)
                movedFrom.insert(removedIndices.remove(at: match))
            }
            var position = 0  // where the next rule goes in the chain as the fix leaves it (extra rules stay)
            for edit in edits {
                switch edit {
                case .keep:
                    position += 1
                case .remove(let index):
                    if !movedFrom.contains(index) {
                        plan.lines.append(PlanLine(area: area, sign: .remove, text: ruleText(old[index])))
                    }
                    position += 1
                case .insert(let index) where moved.contains(index):
                    plan.lines.append(PlanLine(area: area, sign: .change, text: "moved to position \(index + 1): " + ruleText(new[index])))
                case .insert(let index):
                    plan.lines.append(PlanLine(area: area, sign: .add, text: ruleText(new[index])))
                    let specification = new[index].specification
                    fix.append("-I \(chain) \(position + 1)" + (specification.isEmpty ? "" : " \(specification)"))
                    position += 1
                }
            }
        }
        if !fix.isEmpty || !newChains.isEmpty || !policies.isEmpty {
            let payload = IptablesTables.restoreBlock(table: table.scope.table, lines: newChains.map { "-N \($0)" } + fix + policies)
            plan.fixes.append(.iptablesRestore(family: family, payload: payload, tool: table.tool))
            plan.fixedCount += fix.count + newChains.count + policies.count
        }
    }

    static func ruleText(_ entry: IptablesTableState.Entry) -> String {
        entry.specification.isEmpty ? "-A \(entry.chain)" : "-A \(entry.chain) \(entry.specification)"
    }
}

/// One table the run changed: before (the kernel) and after (the model).
struct PlannedIptablesTable {
    var scope: IptablesScope
    var before: IptablesTableState
    var after: IptablesTableState
    /// The iptables programs the run chose (`iptables use`).
    var tool: IptablesTool
}
