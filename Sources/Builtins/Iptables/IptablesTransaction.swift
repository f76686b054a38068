import Interpreter
import Lexer

/// The run's iptables changes as one transaction: an in-memory model of the
/// ruleset, read lazily from the kernel (one chain with `iptables -S CHAIN`
/// when a question or a change is about one chain, a whole table with
/// `iptables-save -t` only when it is about the table), changed in place by
/// the builtins, and committed with one `iptables-restore --noflush` per
/// family: before any effect of another family, a program or a lock, at
/// `iptables commit`, and at the end of the run. With `--no-batch`, each
/// change is committed as it is made, as one `iptables -w` command.
///
/// Every statement's outcome is decided on the model when the statement runs,
/// reading the kernel where the model does not know yet: a chain that exists
/// makes `chain create` fail there, where `||`, `try` and `if` see it, as an
/// unbatched run would. Only what no model can predict (a match module the
/// kernel lacks) surfaces at the commit; it is reported at its statement,
/// and nothing of the batch is applied.
///
/// From the first read to the commit the run holds an flock shared by every
/// wds run, so no run commits on top of a state it did not read.
final class IptablesTransaction: TransactionalFamily {
    /// What the run knows of one existing chain. A class, so a change edits it
    /// in place (a struct in a dictionary would copy its rules at each append).
    final class Chain {
        private(set) var entries: [IptablesTableState.Entry]
        /// How many rules equal each rule: `rule exists` in constant time.
        private(set) var counts: [IptablesRule: Int] = [:]

        init(entries: [IptablesTableState.Entry]) {
            self.entries = entries
            for entry in entries { counts[entry.rule, default: 0] += 1 }
        }

        func insert(_ entry: IptablesTableState.Entry, at index: Int) {
            entries.insert(entry, at: index)
            counts[entry.rule, default: 0] += 1
        }

        @discardableResult
        func remove(at index: Int) -> IptablesTableState.Entry {
            let entry = entries.remove(at: index)
            counts[entry.rule]! -= 1
            return entry
        }
    }

    /// What the run knows of one table.
    final class Table {
        var chains: [String: Chain] = [:]
        var absent: Set<String> = []
        var policies: [String: String] = [:]
        /// Every chain of the table is in `chains` (it was read whole).
        var complete = false
        /// Chains known to exist and to hold at least this many rules (the run's own
        /// additions counted), whose rules were never read: `-S CHAIN N` answered
        /// what a decision needed without fetching a long chain whole.
        var atLeast: [String: Int] = [:]
        init() {}
    }

    /// One recorded change: its restore line, the lines that undo it, and the statement that made it.
    struct Change {
        var scope: IptablesScope
        var command: IptablesCommand
        var line: String
        var inverse: [String]
        var location: SourceRange
        /// Whether the statement made it from what it read of the host (the trace's "after a probe"):
        /// the batch's commit carries it when any of its changes does.
        var dependsOnProbe = false
    }

    private var tables: [IptablesScope: Table] = [:]

    private func table(_ scope: IptablesScope) -> Table {
        if let table = tables[scope] { return table }
        let table = Table()
        tables[scope] = table
        return table
    }
    /// The open batch.
    private(set) var changes: [Change] = []
    /// Every table the run changed, in the order it first did: what `wds plan` shows.
    private(set) var touchedScopes: [IptablesScope] = []
    /// Counts the commits; with `committed`, lets a savepoint taken before a commit re-open what it held.
    private var generation = 0
    private var committed: [Int: [Change]] = [:]
    /// Commits that reached no kernel (trace, plan): replayed on what the kernel holds, like the open batch.
    private var simulatedCommits: [Change] = []
    /// The batch's commits reached no kernel (trace, plan): the model is the only truth there is.
    private(set) var simulated = false
    private var locked = false
    private var lastLocation: SourceRange?
    /// The iptables programs the run uses (`iptables use`).
    private(set) var tool = IptablesTool.standard
    /// One change per transaction (`--no-batch`).
    let batch: Bool
    let lockPath: String
    let lockTimeoutSeconds = 60

    init(batch: Bool, lockPath: String) {
        self.batch = batch
        self.lockPath = lockPath
    }

    var name: String { "iptables" }
    var hasPendingChanges: Bool { !changes.isEmpty }

    // MARK: - Reading

    private func lock(_ call: Invocation) throws {
        lastLocation = call.range
        // One change per transaction needs no run-long lock: each `iptables -w` takes xtables' own.
        guard batch, !locked else { return }
        try call.perform(.iptablesLock(path: lockPath, timeoutSeconds: lockTimeoutSeconds))
        locked = true
    }

    /// The chain with its rules read, or nil when it does not exist.
    func chain(_ name: String, in scope: IptablesScope, _ call: Invocation) throws -> Chain? {
        call.context.probes.builtinConsultedHost = true
        let table = self.table(scope)
        if table.absent.contains(name) { return nil }
        if let chain = table.chains[name] { return chain }
        if table.complete { return nil }
        try lock(call)
        let answer = try call.perform(.iptablesList(family: scope.family, table: scope.table, chain: name, tool: tool))
        var entries: [IptablesTableState.Entry]?
        if let size = IptablesTransaction.chainSize(answer) {
            // The host knew without a program that the chain is absent (iptables-nft's chains over netlink).
            guard size == nil else { throw call.fail("internal error: a chain's rules were answered by their number") }
        } else if case .process(let status, let output, let errorOutput) = answer {
            guard status == 0 else {
                if status == 1 { return settled(name, nil, table, scope) }
                let message = errorOutput.split(separator: "\n").first.map(String.init) ?? "no message"
                throw call.fail("\(shellLine([tool.command(scope.family), "-w", "-t", scope.table, "-S", name])) failed (status \(status)): \(message)",
                                status: ExitStatus.kernelRefused)
            }
            var read: [IptablesTableState.Entry] = []
            for line in output.split(separator: "\n") where line.hasPrefix("-A ") || line.hasPrefix("-P ") {
                let words = try savedWords(String(line), scope, call)
                guard words.count >= 2 else { continue }
                if line.hasPrefix("-P ") {
                    if words.count >= 3, table.policies[words[1]] == nil {
                        table.policies[words[1]] = words[2]
                        replayPolicies(table, scope)
                    }
                    continue
                }
                read.append(entry(fromSaved: String(line), words: words, scope: scope))
            }
            entries = read
        }
        return settled(name, entries, table, scope)
    }

    /// The chain as read (nil: absent) with the run's own changes replayed on it, kept in the model.
    private func settled(_ name: String, _ entries: [IptablesTableState.Entry]?, _ table: Table, _ scope: IptablesScope) -> Chain? {
        let chain = settle(name, base: entries, scope)
        if let chain { table.chains[name] = chain } else { table.absent.insert(name) }
        table.atLeast[name] = nil
        return chain
    }

    /// Whether the chain exists (nil: it does not) and holds at least `rules` rules,
    /// read with `iptables -S CHAIN N` where the model has not read the chain: a
    /// decision that needs only this (an append, an insert, a jump's target) does
    /// not fetch and parse a chain of thousands of rules. `false`: it exists with
    /// fewer; the caller reads it whole for the exact count.
    func holds(_ name: String, atLeast rules: Int = 0, in scope: IptablesScope, _ call: Invocation) throws -> Bool? {
        call.context.probes.builtinConsultedHost = true
        let table = self.table(scope)
        if table.absent.contains(name) { return nil }
        if let chain = table.chains[name] { return chain.entries.count >= rules }
        if table.complete { return nil }
        if let count = table.atLeast[name], count >= rules { return true }
        // After a savepoint's rollback the open batch may hold changes to it: the whole chain settles them.
        if (simulatedCommits + changes).contains(where: { $0.scope == scope && IptablesTransaction.touches($0.command, name) }) {
            guard let chain = try self.chain(name, in: scope, call) else { return nil }
            return chain.entries.count >= rules
        }
        try lock(call)
        let number = max(rules, 1)
        let answer = try call.perform(.iptablesList(family: scope.family, table: scope.table, chain: name, tool: tool, rule: number))
        if let size = IptablesTransaction.chainSize(answer) {
            guard let count = size else {
                table.absent.insert(name)
                return nil
            }
            table.atLeast[name] = max(table.atLeast[name] ?? 0, count)
            return count >= rules
        }
        guard case .process(let status, let output, let errorOutput) = answer else { return nil }
        if status == 1 {
            table.absent.insert(name)
            return nil
        }
        guard status == 0 else {
            let message = errorOutput.split(separator: "\n").first.map(String.init) ?? "no message"
            throw call.fail("\(shellLine([tool.command(scope.family), "-w", "-t", scope.table, "-S", name, String(number)])) failed (status \(status)): \(message)",
                            status: ExitStatus.kernelRefused)
        }
        let printed = output.split(separator: "\n").contains { $0.hasPrefix("-A ") }
        table.atLeast[name] = max(table.atLeast[name] ?? 0, printed ? number : 0)
        return printed || rules == 0
    }

    /// A chain's size as the host answers it without a program (`{"exists": true, "rules": N}`:
    /// `.some(N)`; `{"exists": false}`: `.some(nil)`); nil for a program's answer.
    static func chainSize(_ answer: EffectResult) -> Int?? {
        guard case .text(let text) = answer, let json = try? JSON.parse(text), let exists = json["exists"] else { return nil }
        guard exists == .bool(true) else { return .some(nil) }
        guard case .number(let count)? = json["rules"] else { return nil }
        return .some(Int(count))
    }

    /// Whether a change is about chain `name` (its rules, or the chain itself).
    static func touches(_ command: IptablesCommand, _ name: String) -> Bool {
        switch command {
        case .createChain(let chain), .flushChain(let chain), .deleteChain(let chain): return chain == name
        default: return ruleChain(of: command) == name
        }
    }

    /// The whole table as the run has left it, in iptables-save's order.
    func view(_ scope: IptablesScope, _ call: Invocation) throws -> IptablesTableState {
        call.context.probes.builtinConsultedHost = true
        let table = self.table(scope)
        if !table.complete {
            try lock(call)
            let base = try IptablesTableState.read(scope, tool: tool, call)
            var byChain: [String: [IptablesTableState.Entry]] = [:]
            for entry in base.entries { byChain[entry.chain, default: []].append(entry) }
            var names = Set(base.chains)
            for change in simulatedCommits + changes where change.scope == scope {
                if case .createChain(let name) = change.command { names.insert(name) }
            }
            for name in names where table.chains[name] == nil && !table.absent.contains(name) {
                let existed = base.chains.contains(name)
                if let chain = settle(name, base: existed ? byChain[name] ?? [] : nil, scope) {
                    table.chains[name] = chain
                } else {
                    table.absent.insert(name)
                }
            }
            for (name, policy) in base.policies where table.policies[name] == nil { table.policies[name] = policy }
            replayPolicies(table, scope)
            table.complete = true
            table.atLeast = [:]
        }
        var state = IptablesTableState(table: scope.table)
        let builtins = IptablesTableState.builtinChains[scope.table] ?? []
        state.chains = builtins.filter { table.chains[$0] != nil } + table.chains.keys.filter { !builtins.contains($0) }.sorted()
        state.policies = table.policies
        for name in state.chains { state.entries += table.chains[name]?.entries ?? [] }
        return state
    }

    /// The kernel's chain (nil: none) with the open batch's changes to it
    /// replayed. A chain is read before the run changes it, so there are
    /// none to replay unless a caught failure dropped the model (`rollBack`).
    private func settle(_ name: String, base: [IptablesTableState.Entry]?, _ scope: IptablesScope) -> Chain? {
        var chain = base.map(Chain.init)
        for change in simulatedCommits + changes where change.scope == scope {
            switch change.command {
            case .createChain(let other) where other == name, .flushChain(let other) where other == name:
                chain = Chain(entries: [])
            case .deleteChain(let other) where other == name:
                chain = nil
            case .append(let other, let rule) where other == name:
                chain?.insert(entry(rule, in: name), at: chain!.entries.count)
            case .insert(let other, let position, let rule) where other == name:
                if let current = chain { current.insert(entry(rule, in: name), at: min(position - 1, current.entries.count)) }
            case .delete(let other, let rule) where other == name:
                if let current = chain, let index = current.entries.firstIndex(where: { $0.rule == rule }) { current.remove(at: index) }
            case .deleteSaved(let other, let words) where other == name:
                if let current = chain, let index = current.entries.firstIndex(where: { $0.words == words }) { current.remove(at: index) }
            case .deleteAt(let other, let position) where other == name:
                if let current = chain, position <= current.entries.count { current.remove(at: position - 1) }
            default:
                continue
            }
        }
        return chain
    }

    /// The policies the open batch (and commits no kernel saw) set, over those read.
    private func replayPolicies(_ table: Table, _ scope: IptablesScope) {
        for change in simulatedCommits + changes where change.scope == scope {
            if case .setPolicy(let chain, let policy) = change.command, table.policies[chain] != nil { table.policies[chain] = policy }
        }
    }

    /// A built-in chain's policy, as the run has left it.
    func policy(_ name: String, in scope: IptablesScope, _ call: Invocation) throws -> String? {
        _ = try chain(name, in: scope, call)
        return table(scope).policies[name]
    }

    /// Chooses the iptables programs; a run uses one set, chosen before its first iptables statement.
    func use(_ chosen: IptablesTool, at location: SourceRange) throws {
        guard chosen != tool else { return }
        if locked || !tables.isEmpty || !touchedScopes.isEmpty || !simulatedCommits.isEmpty || generation > 0 {
            throw Diagnostic("`iptables use` must come before the run's first iptables statement (a run uses one set of iptables programs)",
                             at: location)
        }
        tool = chosen
    }

    func exists(_ name: String, in scope: IptablesScope, _ call: Invocation) throws -> Bool {
        try holds(name, in: scope, call) != nil
    }

    // MARK: - Changing

    /// Decides the change on the model (throwing where the kernel would refuse
    /// it), records it, and with `--no-batch` commits it at once.
    func apply(_ command: IptablesCommand, in scope: IptablesScope, _ call: Invocation) throws {
        // What apply reads only checks that the kernel would take the change: the change's
        // words do not depend on it, so it does not mark the trace line "after a probe".
        let probes = call.context.probes
        let (countBefore, consultedBefore) = (probes.count, probes.builtinConsultedHost)
        try lock(call)
        var inverse: [String] = []
        var line = command.restoreLine
        switch command {
        case .createChain(let name):
            if try holds(name, in: scope, call) != nil {
                throw refusal("chain '\(name)' already exists in table \(scope.description)", call.range,
                              kernel: "Chain already exists")
            }
            let table = self.table(scope)
            table.absent.remove(name)
            table.chains[name] = Chain(entries: [])
            line = "-N \(name)"  // `:NAME - [0:0]` would silently flush a chain that exists
            inverse = ["-X \(name)"]
        case .flushChain(let name):
            guard let chain = try self.chain(name, in: scope, call) else { throw unknownChain(name, scope, call) }
            inverse = chain.entries.map { "-A \(name)" + ($0.specification.isEmpty ? "" : " " + $0.specification) }
            self.table(scope).chains[name] = Chain(entries: [])
        case .deleteChain(let name):
            guard let chain = try self.chain(name, in: scope, call) else { throw unknownChain(name, scope, call) }
            if !chain.entries.isEmpty {
                throw refusal("chain '\(name)' still has \(chain.entries.count) rules", call.range, kernel: "Directory not empty")
            }
            // The kernel refuses to delete a chain a rule still leads to: every chain must be known.
            let whole = try view(scope, call)
            if let user = whole.entries.first(where: { $0.rule.targetName == name && $0.chain != name }) {
                throw refusal("chain '\(name)' is still used by `-A \(user.chain) \(user.specification)`", call.range,
                              kernel: "Device or resource busy")
            }
            self.table(scope).chains[name] = nil
            self.table(scope).absent.insert(name)
            inverse = ["-N \(name)"]
        case .append(let name, let rule), .insert(let name, _, let rule):
            try checkTarget(rule, scope, call)
            var position: Int?
            if case .insert(_, let at, _) = command { position = at }
            let table = self.table(scope)
            if table.chains[name] == nil {
                // Unread: does it exist, with the rules an insert goes after? A long chain is not fetched for that.
                switch try holds(name, atLeast: (position ?? 1) - 1, in: scope, call) {
                case nil:
                    throw unknownChain(name, scope, call)
                case true?:
                    table.atLeast[name, default: 0] += 1
                    inverse = [position.map { "-D \(name) \($0)" } ?? IptablesCommand.delete(chain: name, rule: rule).restoreLine]
                    break
                case false?:
                    break  // fewer rules than the position needs: read it whole, for the count the refusal names
                }
            }
            if table.chains[name] == nil, !inverse.isEmpty { break }
            guard let chain = try self.chain(name, in: scope, call) else { throw unknownChain(name, scope, call) }
            let count = chain.entries.count
            let index = (position ?? count + 1) - 1
            guard index <= count else { throw indexTooBig(position!, name, count, at: call.range) }
            chain.insert(entry(rule, in: name), at: index)
            inverse = ["-D \(name) \(index + 1)"]
        case .setPolicy(let name, let policy):
            guard try self.chain(name, in: scope, call) != nil, let old = self.table(scope).policies[name] else {
                throw refusal("'\(name)' is not a built-in chain of table \(scope.description); only those have a policy", call.range,
                              kernel: "Bad built-in chain name")
            }
            self.table(scope).policies[name] = policy
            inverse = ["-P \(name) \(old)"]
        case .delete(let name, _), .deleteSaved(let name, _), .deleteAt(let name, _):
            guard let chain = try self.chain(name, in: scope, call) else { throw unknownChain(name, scope, call) }
            let index: Int?
            switch command {
            case .delete(_, let rule): index = chain.entries.firstIndex { $0.rule == rule }
            case .deleteSaved(_, let words): index = chain.entries.firstIndex { $0.words == words }
            case .deleteAt(_, let position):
                guard position >= 1, position <= chain.entries.count else {
                    throw refusal("chain '\(name)' has \(chain.entries.count) rules, no rule \(position)", call.range,
                                  kernel: "Index of deletion too big")
                }
                index = position - 1
            default: index = nil
            }
            guard let index else {
                throw refusal("chain '\(name)' holds no such rule", call.range, kernel: "Bad rule (does a matching rule exist in that chain?)")
            }
            let removed = chain.remove(at: index)
            inverse = ["-I \(name) \(index + 1)" + (removed.specification.isEmpty ? "" : " " + removed.specification)]
        }
        if !touchedScopes.contains(scope) { touchedScopes.append(scope) }
        let change = Change(scope: scope, command: command, line: line, inverse: inverse, location: call.range)
        (probes.count, probes.builtinConsultedHost) = (countBefore, consultedBefore)
        guard batch else { return try commitAlone(change, call) }
        changes.append(change)
        try call.perform(.iptablesStaged(family: scope.family, table: scope.table, arguments: command.arguments, tool: tool))
        changes[changes.count - 1].dependsOnProbe = call.context.probes.lastMutationDependedOnProbe
    }

    /// `--no-batch`: the change as one `iptables -w` command, undone through the journal if the run fails later.
    private func commitAlone(_ change: Change, _ call: Invocation) throws {
        let scope = change.scope
        let result: EffectResult
        do {
            result = try call.perform(.iptables(family: scope.family, table: scope.table, arguments: change.command.arguments, tool: tool))
        } catch {
            // The model took the change; the kernel did not.
            tables[scope] = nil
            throw error
        }
        // Each change is a commit of its own: a caught failure after it rebuilds the model (`rollBack`).
        generation += 1
        guard case .process = result else {
            // No kernel saw it (trace): replayed on what the kernel holds, like a batch's simulated commit.
            simulated = true
            simulatedCommits.append(change)
            return
        }
        let host = call.context.host
        let (payload, _) = IptablesTransaction.payload([change], inverse: true)
        let tool = self.tool
        call.context.journal.record(undo: "\(tool.restoreCommand(scope.family)) --noflush (undo \(change.line))", at: change.location) {
            try IptablesTransaction.restore(payload, family: scope.family, tool: tool, host: host, at: change.location)
        }
    }

    /// The kernel refuses a jump to a chain that does not exist.
    private func checkTarget(_ rule: IptablesRule, _ scope: IptablesScope, _ call: Invocation) throws {
        guard let target = rule.targetName, !rule.targetIsExtension else { return }
        if try holds(target, in: scope, call) == nil { throw unknownChain(target, scope, call) }
    }

    // MARK: - Committing

    /// Applies the open batch, one `iptables-restore --noflush` per family,
    /// and releases the lock. A refusal undoes what this commit applied and
    /// fails at the statement whose line was refused; what earlier commits
    /// applied is the journal's to undo.
    func commit(_ context: RunContext) throws {
        let host = context.host
        defer { unlock(host) }
        guard !changes.isEmpty else { return }
        let pending = changes
        changes = []
        generation += 1
        var applied: [Change] = []
        var reachedKernel = false
        for family in [AddressFamily.ipv4, .ipv6] {
            let familyChanges = pending.filter { $0.scope.family == family }
            guard let last = familyChanges.last else { continue }
            let (payload, lineOwners) = IptablesTransaction.payload(familyChanges, inverse: false)
            let result: EffectResult
            do {
                result = try host.perform(.iptablesRestore(family: family, payload: payload, tool: tool),
                                          in: EffectContext(location: last.location, dependsOnProbe: familyChanges.contains { $0.dependsOnProbe }))
            } catch {
                rollBack(applied, host)
                tables = [:]
                throw error
            }
            guard case .process(let status, _, let errorOutput) = result else {
                simulated = true
                simulatedCommits += familyChanges
                continue
            }
            reachedKernel = true
            if status == 0 {
                applied += familyChanges
                continue
            }
            // Restore commits table by table: those before the refused one went in.
            let message = IptablesTransaction.refusalMessage(errorOutput) ?? "status \(status)"
            let owner = IptablesTransaction.failedLine(in: errorOutput).flatMap { lineOwners[$0] }
            if let owner {
                let refusedTable = familyChanges[owner].scope.table
                let before = Set(IptablesTransaction.tableOrder(familyChanges).prefix { $0 != refusedTable })
                applied += familyChanges.filter { before.contains($0.scope.table) }
            }
            let undone = rollBack(applied, host)
            tables = [:]
            let culprit = owner.map { familyChanges[$0] }
            let what = culprit.map { "\(tool.command(family)) refused `\($0.line)` in table '\($0.scope.table)'" }
                ?? "\(tool.restoreCommand(family)) --noflush failed (status \(status))"
            throw CommandFailure("\(what): \(message)", at: culprit?.location ?? last.location, status: ExitStatus.kernelRefused,
                                 hint: undone ? "no change of this iptables batch was applied"
                                     : "undoing the part of this batch that was applied failed too; compare iptables-save with the intended state")
        }
        committed[generation - 1] = pending
        if reachedKernel {
            // Undone, if the run fails later, by the inverse of the whole batch.
            for family in [AddressFamily.ipv4, .ipv6] {
                let familyChanges = pending.filter { $0.scope.family == family }
                guard let last = familyChanges.last else { continue }
                let (inverse, _) = IptablesTransaction.payload(familyChanges, inverse: true)
                let tool = self.tool
                context.journal.record(undo: "\(tool.restoreCommand(family)) --noflush (undo \(familyChanges.count) change(s))",
                                       at: last.location) {
                    try IptablesTransaction.restore(inverse, family: family, tool: tool, host: host, at: last.location)
                }
            }
            // Once a kernel has the changes, it is the truth again (and others may change it after the lock).
            tables = [:]
        }
    }

    /// Forgets the open batch (the run failed) and releases the lock.
    func abandon(_ context: RunContext) {
        changes = []
        tables = [:]
        unlock(context.host)
    }

    func forgetHost() {
        // Where no commit reached a kernel, the model is all there is of the run's changes.
        guard !simulated, changes.isEmpty else { return }
        tables = [:]
    }

    func savepoint() -> FamilySavepoint {
        FamilySavepoint(generation: generation, count: changes.count, simulatedCount: simulatedCommits.count)
    }

    func rollBack(to savepoint: FamilySavepoint) {
        if savepoint.generation == generation {
            guard changes.count > savepoint.count else { return }
            changes.removeSubrange(savepoint.count...)
        } else {
            // A commit came in between: the journal undid it whole (or, simulated, it is
            // dropped here), so what was open then is open again.
            changes = Array((committed[savepoint.generation] ?? []).prefix(savepoint.count))
            generation = savepoint.generation
            if simulatedCommits.count > savepoint.simulatedCount { simulatedCommits.removeSubrange(savepoint.simulatedCount...) }
        }
        // The model is rebuilt from the kernel with the open batch replayed (`settle`).
        tables = [:]
    }

    /// Runs one restore payload; a refusal is thrown.
    static func restore(_ payload: String, family: AddressFamily, tool: IptablesTool, host: Host, at location: SourceRange) throws {
        let result = try host.perform(.iptablesRestore(family: family, payload: payload, tool: tool), at: location)
        if case .process(let status, _, let errorOutput) = result, status != 0 {
            throw CommandFailure("\(tool.restoreCommand(family)) --noflush failed (status \(status)): \(errorOutput)", at: location,
                                 status: ExitStatus.kernelRefused)
        }
    }

    private func unlock(_ host: Host) {
        guard locked, let location = lastLocation else { return }
        locked = false
        _ = try? host.perform(.iptablesUnlock(path: lockPath), at: location)
    }

    /// Undoes applied changes (latest first); true when there was nothing to undo or it worked.
    @discardableResult
    private func rollBack(_ applied: [Change], _ host: Host) -> Bool {
        var ok = true
        for family in [AddressFamily.ipv4, .ipv6] {
            let familyChanges = applied.filter { $0.scope.family == family }
            guard let last = familyChanges.last else { continue }
            let (payload, _) = IptablesTransaction.payload(familyChanges, inverse: true)
            if (try? IptablesTransaction.restore(payload, family: family, tool: tool, host: host, at: last.location)) == nil { ok = false }
        }
        return ok
    }

    // MARK: - Helpers

    private func entry(_ rule: IptablesRule, in chain: String) -> IptablesTableState.Entry {
        IptablesTableState.Entry(chain: chain, words: rule.arguments, specification: rule.specification, rule: rule)
    }

    private func entry(fromSaved line: String, words: [String], scope: IptablesScope) -> IptablesTableState.Entry {
        let prefix = "-A \(words[1])"
        let specification = line.count > prefix.count ? String(line.dropFirst(prefix.count + 1)) : ""
        let rest = Array(words.dropFirst(2))
        return IptablesTableState.Entry(chain: words[1], words: rest, specification: specification,
                                        rule: IptablesTableState.parseRule(rest, family: scope.family))
    }

    private func savedWords(_ line: String, _ scope: IptablesScope, _ call: Invocation) throws -> [String] {
        do {
            return try IptablesTableState.splitSaveWords(line)
        } catch {
            throw call.fail("cannot read \(tool.command(scope.family)) -S output: unbalanced quote in '\(line)'")
        }
    }

    private func refusal(_ message: String, _ location: SourceRange, kernel: String, hint: String? = nil) -> CommandFailure {
        CommandFailure("\(message) (iptables: \(kernel))", at: location, status: ExitStatus.kernelRefused, hint: hint)
    }

    /// `unknown chain 'FORWRD'`, with the chain it most likely meant.
    private func unknownChain(_ name: String, _ scope: IptablesScope, _ call: Invocation) -> CommandFailure {
        let known = (try? view(scope, call))?.chains ?? IptablesTableState(table: scope.table).chains
        let hint = Suggestions.didYouMean(name, in: known)
            ?? "create it first with `chain ensure \(name)\(scope.table == "filter" ? "" : " --table \(scope.table)")`"
        return refusal("unknown chain '\(name)' in table \(scope.description)", call.range, kernel: "No chain/target/match by that name",
                       hint: hint)
    }

    private func indexTooBig(_ position: Int, _ chain: String, _ count: Int, at location: SourceRange) -> CommandFailure {
        refusal("position \(position) is past the end of chain '\(chain)', which has \(count) rules", location,
                kernel: "Index of insertion too big", hint: "positions go from 1 to \(count + 1)")
    }
}
