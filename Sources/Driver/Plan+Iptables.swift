import Builtins
import Interpreter

extension Plan {
    /// The iptables part of the difference, chain by chain, and the restore
    /// payload that puts back only what is missing (for `verify --fix`).
    mutating func add(_ table: PlannedIptablesTable) {
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
                lines.append(Line(area: area, sign: .add, text: "new chain \(chain)"))
                newChains.append(chain)
            }
            if !exists { lines.append(Line(area: area, sign: .remove, text: "chain \(chain) deleted")) }
            if let old = table.before.policies[chain], let new = table.after.policies[chain], old != new {
                lines.append(Line(area: area, sign: .change, text: "policy \(old) -> \(new)"))
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
                        lines.append(Line(area: area, sign: .remove, text: Plan.ruleText(old[index])))
                    }
                    position += 1
                case .insert(let index) where moved.contains(index):
                    lines.append(Line(area: area, sign: .change, text: "moved to position \(index + 1): " + Plan.ruleText(new[index])))
                case .insert(let index):
                    lines.append(Line(area: area, sign: .add, text: Plan.ruleText(new[index])))
                    let specification = new[index].specification
                    fix.append("-I \(chain) \(position + 1)" + (specification.isEmpty ? "" : " \(specification)"))
                    position += 1
                }
            }
        }
        if !fix.isEmpty || !newChains.isEmpty || !policies.isEmpty {
            let payload = "*\(table.scope.table)\n" + newChains.map { "-N \($0)\n" }.joined() + fix.map { $0 + "\n" }.joined()
                + policies.map { $0 + "\n" }.joined() + "COMMIT\n"
            iptablesFixes.append((family, payload, table.tool))
        }
    }

    static func ruleText(_ entry: IptablesTableState.Entry) -> String {
        entry.specification.isEmpty ? "-A \(entry.chain)" : "-A \(entry.chain) \(entry.specification)"
    }
}

/// The shortest edit from one list to another (longest common subsequence),
/// after trimming the common ends, so an unchanged chain costs nothing.
enum Alignment {
    enum Edit: Equatable { case keep(Int, Int), remove(Int), insert(Int) }

    static func edits<T>(_ a: [T], _ b: [T], equal: (T, T) -> Bool) -> [Edit] {
        var prefix = 0
        while prefix < a.count && prefix < b.count && equal(a[prefix], b[prefix]) { prefix += 1 }
        var suffix = 0
        while suffix < a.count - prefix && suffix < b.count - prefix && equal(a[a.count - 1 - suffix], b[b.count - 1 - suffix]) {
            suffix += 1
        }
        let x = Array(a[prefix..<(a.count - suffix)]), y = Array(b[prefix..<(b.count - suffix)])
        // lengths[i][j]: the LCS of x[i...] and y[j...].
        var lengths = [[Int]](repeating: [Int](repeating: 0, count: y.count + 1), count: x.count + 1)
        for i in stride(from: x.count - 1, through: 0, by: -1) {
            for j in stride(from: y.count - 1, through: 0, by: -1) {
                lengths[i][j] = equal(x[i], y[j]) ? lengths[i + 1][j + 1] + 1 : max(lengths[i + 1][j], lengths[i][j + 1])
            }
        }
        var result = (0..<prefix).map { Edit.keep($0, $0) }
        var i = 0, j = 0
        while i < x.count || j < y.count {
            if i < x.count && j < y.count && equal(x[i], y[j]) {
                result.append(.keep(prefix + i, prefix + j)); i += 1; j += 1
            } else if j < y.count && (i == x.count || lengths[i][j + 1] >= lengths[i + 1][j]) {
                result.append(.insert(prefix + j)); j += 1
            } else {
                result.append(.remove(prefix + i)); i += 1
            }
        }
        result += (0..<suffix).map { Edit.keep(a.count - suffix + $0, b.count - suffix + $0) }
        return result
    }
}
