import Interpreter
import Lexer

/// The run's iptables changes as one transaction: an in-memory model of the
/// ruleset, read lazily from the kernel (one chain with `iptables -S CHAIN`
/// when a question is about one chain, a whole table with `iptables-save -t`
/// only when it is about the table), changed in place by the builtins, and
/// committed with one `iptables-restore --noflush` per family.
///
/// The model reproduces the kernel's answers where scripts depend on them: a
/// missing chain, an insert past the end + 1, a delete of a rule that is not
/// there, a chain still in use. A change to a chain the run has not read
/// (`rule insert warden-forward 2 …` in a per-container script) is recorded
/// blind, so a host with thousands of rules never pays for reading them: the
/// kernel checks it at commit, and a refusal is reported at the statement
/// that made it, with nothing of the run applied (restore is atomic per
/// table; tables committed before the refused one are rolled back). If a
/// later question reads that chain, the blind changes are replayed on what
/// the kernel holds and checked there.
///
/// From the first read to the commit the run holds an flock shared by every
/// wds run, so no run commits on top of a state it did not read.
final class IptablesTransaction {
    /// What the run knows of one existing chain. A class, so a change edits it
    /// in place (a struct in a dictionary would copy its rules at each append).
    final class Chain {
        /// Its rules in order; nil when never read (only blind changes are known).
        var entries: [IptablesTableState.Entry]?
        /// Appends and inserts made before the chain was read.
        var blind: [(command: IptablesCommand, location: SourceRange)] = []
        /// How many rules equal each rule: `rule exists` in constant time.
        var counts: [IptablesRule: Int] = [:]

        init(entries: [IptablesTableState.Entry]?) {
            self.entries = entries
            for entry in entries ?? [] { counts[entry.rule, default: 0] += 1 }
        }

        func insert(_ entry: IptablesTableState.Entry, at index: Int) {
            entries!.insert(entry, at: index)
            counts[entry.rule, default: 0] += 1
        }

        func remove(at index: Int) -> IptablesTableState.Entry {
            let entry = entries!.remove(at: index)
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
        init() {}
    }

    /// One recorded change: its restore line, the lines that undo it, and the statement that made it.
    struct Change {
        var scope: IptablesScope
        var command: IptablesCommand
        var line: String
        var inverse: [String]
        var location: SourceRange
    }

    private var tables: [IptablesScope: Table] = [:]

    private func table(_ scope: IptablesScope) -> Table {
        if let table = tables[scope] { return table }
        let table = Table()
        tables[scope] = table
        return table
    }
    private(set) var changes: [Change] = []
    private var locked = false
    private var lastLocation: SourceRange?
    let lockPath: String
    let lockTimeoutSeconds = 60

    init(lockPath: String) { self.lockPath = lockPath }

    // MARK: - Reading

    private func lock(_ call: Invocation) throws {
        lastLocation = call.range
        guard !locked else { return }
        try call.perform(.iptablesLock(path: lockPath, timeoutSeconds: lockTimeoutSeconds))
        locked = true
    }

    /// The chain with its rules read, or nil when it does not exist.
    func chain(_ name: String, in scope: IptablesScope, _ call: Invocation) throws -> Chain? {
        call.context.probes.builtinConsultedHost = true
        let table = self.table(scope)
        if table.absent.contains(name) { return nil }
        if let chain = table.chains[name], chain.entries != nil { return chain }
        if table.complete && table.chains[name] == nil { return nil }
        try lock(call)
        guard case .process(let status, let output, let errorOutput) =
                try call.perform(.iptablesList(family: scope.family, table: scope.table, chain: name)) else {
            return nil
        }
        var entries: [IptablesTableState.Entry]?
        if status == 0 {
            entries = []
            for line in output.split(separator: "\n") where line.hasPrefix("-A ") || line.hasPrefix("-P ") {
                let words = try savedWords(String(line), scope, call)
                guard words.count >= 2 else { continue }
                if line.hasPrefix("-P ") {
                    if words.count >= 3 { table.policies[words[1]] = words[2] }
                    continue
                }
                entries!.append(entry(fromSaved: String(line), words: words, scope: scope))
            }
        } else if status != 1 {
            let message = errorOutput.split(separator: "\n").first.map(String.init) ?? "no message"
            throw call.fail("\(shellLine([scope.family.iptablesCommand, "-w", "-t", scope.table, "-S", name])) failed (status \(status)): \(message)",
                            status: ExitStatus.kernelRefused)
        }
        let chain = try settle(name, base: entries, known: table.chains[name], scope)
        if let chain { table.chains[name] = chain } else { table.absent.insert(name) }
        return chain
    }

    /// The whole table as the run has left it, in iptables-save's order.
    func view(_ scope: IptablesScope, _ call: Invocation) throws -> IptablesTableState {
        call.context.probes.builtinConsultedHost = true
        let table = self.table(scope)
        if !table.complete {
            try lock(call)
            let base = try IptablesTableState.read(scope, call)
            var byChain: [String: [IptablesTableState.Entry]] = [:]
            for entry in base.entries { byChain[entry.chain, default: []].append(entry) }
            for name in base.chains where !table.absent.contains(name) {
                if let known = table.chains[name], known.entries != nil { continue }
                table.chains[name] = try settle(name, base: byChain[name] ?? [], known: table.chains[name], scope)
            }
            for (name, chain) in table.chains where chain.entries == nil {
                // Blind changes to a chain the kernel does not have.
                _ = try settle(name, base: nil, known: chain, scope)
            }
            for (name, policy) in base.policies where table.policies[name] == nil { table.policies[name] = policy }
            table.complete = true
        }
        var state = IptablesTableState(table: scope.table)
        let builtins = IptablesTableState.builtinChains[scope.table] ?? []
        state.chains = builtins + table.chains.keys.filter { !builtins.contains($0) }.sorted()
        state.policies = table.policies
        for name in state.chains { state.entries += table.chains[name]?.entries ?? [] }
        return state
    }

    /// The kernel's chain (nil: none) with the run's blind changes replayed on it.
    private func settle(_ name: String, base: [IptablesTableState.Entry]?, known: Chain?, _ scope: IptablesScope) throws -> Chain? {
        let blind = known?.blind ?? []
        guard let base else {
            if let first = blind.first {
                throw unknownChain(name, scope, at: first.location)
            }
            return nil
        }
        let chain = Chain(entries: base)
        for (command, location) in blind {
            switch command {
            case .append(_, let rule):
                chain.insert(entry(rule, in: name), at: chain.entries!.count)
            case .insert(_, let position, let rule):
                guard position <= chain.entries!.count + 1 else { throw indexTooBig(position, name, chain.entries!.count, at: location) }
                chain.insert(entry(rule, in: name), at: position - 1)
            case .createChain, .flushChain, .deleteChain, .delete, .deleteSaved:
                break
            }
        }
        return chain
    }

    func exists(_ name: String, in scope: IptablesScope, _ call: Invocation) throws -> Bool {
        if let chain = tables[scope]?.chains[name], chain.entries != nil || !chain.blind.isEmpty { return true }
        return try self.chain(name, in: scope, call) != nil
    }

    // MARK: - Changing

    func apply(_ command: IptablesCommand, in scope: IptablesScope, _ call: Invocation) throws {
        try lock(call)
        var inverse: [String] = []
        var line = command.restoreLine
        switch command {
        case .createChain(let name):
            if isKnownPresent(name, scope) {
                throw refusal("chain '\(name)' already exists in table \(scope.description)", call.range,
                              kernel: "Chain already exists")
            }
            let table = self.table(scope)
            table.absent.remove(name)
            table.chains[name] = Chain(entries: [])
            line = "-N \(name)"  // `:NAME - [0:0]` would silently flush a chain that exists
            inverse = ["-X \(name)"]
        case .flushChain(let name):
            guard let chain = try self.chain(name, in: scope, call) else { throw unknownChain(name, scope, at: call.range) }
            inverse = chain.entries!.map { "-A \(name)" + ($0.specification.isEmpty ? "" : " " + $0.specification) }
            self.table(scope).chains[name] = Chain(entries: [])
        case .deleteChain(let name):
            guard let chain = try self.chain(name, in: scope, call) else { throw unknownChain(name, scope, at: call.range) }
            if !chain.entries!.isEmpty {
                throw refusal("chain '\(name)' still has \(chain.entries!.count) rules", call.range, kernel: "Directory not empty")
            }
            // Rules the run has read; a blind jump to it is the kernel's to refuse at commit.
            for (other, known) in self.table(scope).chains where other != name {
                if let user = known.entries?.first(where: { $0.rule.targetName == name }) {
                    throw refusal("chain '\(name)' is still used by `-A \(other) \(user.specification)`", call.range,
                                  kernel: "Device or resource busy")
                }
            }
            self.table(scope).chains[name] = nil
            self.table(scope).absent.insert(name)
            inverse = ["-N \(name)"]
        case .append(let name, let rule), .insert(let name, _, let rule):
            try checkTarget(rule, scope, call)
            var position: Int?
            if case .insert(_, let at, _) = command { position = at }
            let table = self.table(scope)
            if table.absent.contains(name) || (table.complete && table.chains[name] == nil) {
                throw unknownChain(name, scope, at: call.range)
            }
            if let chain = table.chains[name], chain.entries != nil {
                let count = chain.entries!.count
                let index = (position ?? count + 1) - 1
                guard index <= count else { throw indexTooBig(position!, name, count, at: call.range) }
                chain.insert(entry(rule, in: name), at: index)
                inverse = ["-D \(name) \(index + 1)"]
            } else {
                let chain = table.chains[name] ?? Chain(entries: nil)
                chain.blind.append((command, call.range))
                table.chains[name] = chain
                inverse = [position.map { "-D \(name) \($0)" } ?? IptablesCommand.delete(chain: name, rule: rule).restoreLine]
            }
        case .delete(let name, _), .deleteSaved(let name, _):
            guard let chain = try self.chain(name, in: scope, call) else { throw unknownChain(name, scope, at: call.range) }
            let index: Int?
            switch command {
            case .delete(_, let rule): index = chain.entries!.firstIndex { $0.rule == rule }
            case .deleteSaved(_, let words): index = chain.entries!.firstIndex { $0.words == words }
            default: index = nil
            }
            guard let index else {
                throw refusal("chain '\(name)' holds no such rule", call.range, kernel: "Bad rule (does a matching rule exist in that chain?)")
            }
            let removed = chain.remove(at: index)
            inverse = ["-I \(name) \(index + 1)" + (removed.specification.isEmpty ? "" : " " + removed.specification)]
        }
        changes.append(Change(scope: scope, command: command, line: line, inverse: inverse, location: call.range))
        try call.perform(.iptablesStaged(family: scope.family, table: scope.table, arguments: command.arguments))
    }

    private func isKnownPresent(_ name: String, _ scope: IptablesScope) -> Bool {
        guard let chain = tables[scope]?.chains[name] else { return false }
        return chain.entries != nil || !chain.blind.isEmpty
    }

    /// The kernel refuses a jump to a chain that does not exist.
    private func checkTarget(_ rule: IptablesRule, _ scope: IptablesScope, _ call: Invocation) throws {
        guard let target = rule.targetName, !IptablesRule.builtinTargets.contains(target) else { return }
        let table = self.table(scope)
        if table.absent.contains(target) || (table.complete && table.chains[target] == nil) {
            throw unknownChain(target, scope, at: call.range)
        }
    }

    // MARK: - Committing

    /// Applies every recorded change, one `iptables-restore --noflush` per
    /// family, and releases the lock. A refusal undoes what was committed and
    /// fails at the statement whose line was refused.
    func commit(host: Host) throws {
        defer { unlock(host) }
        guard !changes.isEmpty else { return }
        let pending = changes
        changes = []
        var committed: [Change] = []
        var reachedKernel = false
        for family in [AddressFamily.ipv4, .ipv6] {
            let familyChanges = pending.filter { $0.scope.family == family }
            guard let last = familyChanges.last else { continue }
            let (payload, lineOwners) = IptablesTransaction.payload(familyChanges, inverse: false)
            let result: EffectResult
            do {
                result = try host.perform(.iptablesRestore(family: family, payload: payload), at: last.location)
            } catch {
                rollBack(committed, host)
                tables = [:]
                throw error
            }
            guard case .process(let status, _, let errorOutput) = result else { continue }
            reachedKernel = true
            if status == 0 {
                committed += familyChanges
                continue
            }
            // Restore commits table by table: those before the refused one went in.
            let message = errorOutput.split(separator: "\n").first.map(String.init) ?? "status \(status)"
            let owner = IptablesTransaction.failedLine(in: errorOutput).flatMap { lineOwners[$0] }
            if let owner {
                let refusedTable = familyChanges[owner].scope.table
                let before = Set(IptablesTransaction.tableOrder(familyChanges).prefix { $0 != refusedTable })
                committed += familyChanges.filter { before.contains($0.scope.table) }
            }
            let undone = rollBack(committed, host)
            tables = [:]
            let culprit = owner.map { familyChanges[$0] }
            let what = culprit.map { "\(family.iptablesCommand) refused `\($0.line)` in table '\($0.scope.table)'" }
                ?? "\(family.restoreCommand) --noflush failed (status \(status))"
            throw CommandFailure("\(what): \(message)", at: culprit?.location ?? last.location, status: ExitStatus.kernelRefused,
                                 hint: undone ? "no iptables change of this run was applied"
                                     : "undoing the changes committed before it failed too; compare iptables-save with the intended state")
        }
        // Once a kernel has the changes, it is the truth again (and others may change it after the lock).
        if reachedKernel { tables = [:] }
    }

    /// Forgets the changes (the run failed before its commit) and releases the lock.
    func abandon(host: Host) {
        changes = []
        tables = [:]
        unlock(host)
    }

    private func unlock(_ host: Host) {
        guard locked, let location = lastLocation else { return }
        locked = false
        _ = try? host.perform(.iptablesUnlock(path: lockPath), at: location)
    }

    /// Undoes committed changes (latest first); true when there was nothing to undo or it worked.
    @discardableResult
    private func rollBack(_ committed: [Change], _ host: Host) -> Bool {
        var ok = true
        for family in [AddressFamily.ipv4, .ipv6] {
            let familyChanges = committed.filter { $0.scope.family == family }
            guard let last = familyChanges.last else { continue }
            let (payload, _) = IptablesTransaction.payload(familyChanges, inverse: true)
            let result = try? host.perform(.iptablesRestore(family: family, payload: payload), at: last.location)
            if case .process(let status, _, _)? = result, status == 0 { continue }
            if case .done? = result { continue }
            ok = false
        }
        return ok
    }

    static func tableOrder(_ changes: [Change]) -> [String] {
        var order: [String] = []
        for change in changes where !order.contains(change.scope.table) { order.append(change.scope.table) }
        return order
    }

    /// The restore input for one family's changes, a block per table in the
    /// order the run first changed them, and which change each line comes from
    /// (`*table` and `COMMIT` lines count as the table's last change). With
    /// `inverse`, the lines that undo them: tables and changes in reverse order.
    static func payload(_ changes: [Change], inverse: Bool) -> (String, [Int: Int]) {
        var text = ""
        var owners: [Int: Int] = [:]
        var lineNumber = 0
        func emit(_ line: String, _ owner: Int) {
            text += line + "\n"
            lineNumber += 1
            owners[lineNumber] = owner
        }
        let order = inverse ? tableOrder(changes).reversed() : tableOrder(changes)
        for table in order {
            var indices = changes.indices.filter { changes[$0].scope.table == table }
            if !inverse { indices = flushesMovedForward(indices, changes) }
            emit("*\(table)", indices.first!)
            for index in inverse ? indices.reversed() : indices {
                for line in inverse ? changes[index].inverse : [changes[index].line] { emit(line, index) }
            }
            emit("COMMIT", indices.last!)
        }
        return (text, owners)
    }

    /// The changes of one table with each `-F CHAIN` moved back to the first
    /// change it makes void, and the voided changes dropped. A flush voids the
    /// rule changes of its chain since the chain's last create, delete or
    /// flush. The net effect is the same, and it avoids an iptables-nft 1.8.9
    /// bug: `-D X <goto Y>`, `-X Y`, then `-F X` in one restore fails with
    /// CHAIN_DEL "Device or resource busy" although the batch is valid.
    static func flushesMovedForward(_ indices: [Int], _ changes: [Change]) -> [Int] {
        var result = indices
        var position = 0
        while position < result.count {
            guard case .flushChain(let chain) = changes[result[position]].command else {
                position += 1
                continue
            }
            // Back to the chain's last create, delete or flush (or the start): what the flush voids lies in between.
            var start = position
            while start > 0, !isBarrier(changes[result[start - 1]].command, for: chain) { start -= 1 }
            guard let firstVoided = result[start..<position].firstIndex(where: { ruleChain(of: changes[$0].command) == chain }) else {
                position += 1
                continue
            }
            // The flush takes the first voided change's place; the other chains' changes keep their order.
            let others = result[firstVoided..<position].filter { ruleChain(of: changes[$0].command) != chain }
            result.replaceSubrange(firstVoided...position, with: [result[position]] + others)
            position = firstVoided + 1 + others.count
        }
        return result
    }

    /// The chain a rule change (append, insert, delete) is about; nil for chain changes.
    static func ruleChain(of command: IptablesCommand) -> String? {
        switch command {
        case .append(let chain, _), .insert(let chain, _, _), .delete(let chain, _), .deleteSaved(let chain, _): return chain
        case .createChain, .flushChain, .deleteChain: return nil
        }
    }

    /// Whether a change starts the chain afresh: what came before it is not the flush's to void.
    static func isBarrier(_ command: IptablesCommand, for chain: String) -> Bool {
        switch command {
        case .createChain(let other), .deleteChain(let other), .flushChain(let other): return other == chain
        case .append, .insert, .delete, .deleteSaved: return false
        }
    }

    /// N of `iptables-restore: line N failed`.
    static func failedLine(in errorOutput: String) -> Int? {
        let words = errorOutput.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == ":" })
        for (index, word) in words.enumerated().dropLast() where word == "line" {
            if let number = Int(words[index + 1]) { return number }
        }
        return nil
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
            throw call.fail("cannot read \(scope.family.iptablesCommand) -S output: unbalanced quote in '\(line)'")
        }
    }

    private func refusal(_ message: String, _ location: SourceRange, kernel: String, hint: String? = nil) -> CommandFailure {
        CommandFailure("\(message) (iptables: \(kernel))", at: location, status: ExitStatus.kernelRefused, hint: hint)
    }

    private func unknownChain(_ name: String, _ scope: IptablesScope, at location: SourceRange) -> CommandFailure {
        refusal("unknown chain '\(name)' in table \(scope.description)", location, kernel: "No chain/target/match by that name",
                hint: "create it first with `chain ensure \(name)\(scope.table == "filter" ? "" : " --table \(scope.table)")`")
    }

    private func indexTooBig(_ position: Int, _ chain: String, _ count: Int, at location: SourceRange) -> CommandFailure {
        refusal("position \(position) is past the end of chain '\(chain)', which has \(count) rules", location,
                kernel: "Index of insertion too big", hint: "positions go from 1 to \(count + 1)")
    }
}
