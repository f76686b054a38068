import Interpreter

/// The canonical form of rule parts wds has no model of: a `--match [NAME …]`
/// module, `--target-options`, a target such as TPROXY. Only iptables knows
/// what iptables-save will print for them (hashlimit adds its default burst,
/// recent its mask, statistic rounds its probability), so wds asks it: the
/// rule is restored into an empty table in a throwaway network namespace and
/// read back (`Effect.iptablesCanonical`, a probe that never touches the
/// host's ruleset), once per distinct rule in a run. The rule read back is the
/// rule's identity from then on, so `rule ensure` finds it again in the next
/// run, and plan and verify compare it as the kernel prints it.
extension IptablesEngine {
    /// The rule as iptables-save prints it. Where iptables cannot be asked
    /// (no namespaces, a state file without the answer) or refuses the rule on
    /// its own (a module that needs state of the host's network namespace),
    /// the rule stays as written, and the commit has the last word.
    public func canonicalForm(_ rule: IptablesRule, chain: String, in scope: IptablesScope, _ call: Invocation) throws -> IptablesRule {
        let key = "\(scope.family.rawValue) \(scope.table) \(chain) \(rule.specification)"
        if let known = canonicalForms[key] { return known }
        // ipsets live in the host's namespace: the scratch rule goes without them, and gets them back.
        var scratch = rule
        let sets = rule.modules.filter { $0.name == "set" }
        scratch.removeModules(named: "set")
        var lines: [String] = []
        let builtin = IptablesTableState(table: scope.table)
        if !builtin.isBuiltin(chain) { lines.append("-N \(chain)") }
        if let target = rule.targetName, !rule.targetIsExtension, target != chain, !builtin.isBuiltin(target) {
            lines.append("-N \(target)")
        }
        lines.append(scratch.restoreLine(appendingTo: chain))
        // The answer is the same on every host with this iptables: the line it leads to is not "after a probe".
        let probes = call.context.probes
        let (countBefore, consultedBefore) = (probes.count, probes.builtinConsultedHost)
        defer { (probes.count, probes.builtinConsultedHost) = (countBefore, consultedBefore) }
        let answer: EffectResult
        do {
            answer = try call.perform(.iptablesCanonical(family: scope.family, table: scope.table, lines: lines, tool: transaction.tool))
        } catch is CommandFailure {
            return rule  // no unshare, say: the rule stays as written
        }
        guard case .process(0, let output, _) = answer,
              let state = try? IptablesTableState.parse(output, table: scope.table, family: scope.family),
              var canonical = state.rules(in: chain).first?.rule else {
            return rule
        }
        for module in sets { canonical.add(module) }
        canonicalForms[key] = canonical
        return canonical
    }
}
