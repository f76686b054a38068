import Interpreter
import Lexer

/// The run's nftables changes as one kernel transaction. A model of the
/// ruleset, read lazily (which tables exist with `nft -j list tables`; one
/// chain with `nft -j list chain`, one set with `nft -j list set`, a whole
/// table with `nft -j list table` only when a statement is about the whole
/// table), is changed in place by the builtins; the changes are committed
/// as one `nft -f -` batch before any effect of another family, a program
/// or a lock, at `nft commit`, and at the end of the run. With `--no-batch`
/// each change is its own transaction.
///
/// Every statement's outcome is decided on the model when it runs, so `||`,
/// `try` and `if` see it. What no model can predict (a NAT statement in a
/// hook that does not allow it, a keyword nft reads in a raw rule) surfaces at
/// the commit: nft applies none of the batch, and the failure names the
/// statement whose line nft refused. A committed batch is journaled with
/// its undo, a JSON batch that puts back each piece it changed.
final class NftTransaction: TransactionalFamily {
    struct Change {
        var command: NftCommand
        var location: SourceRange
        /// Whether the statement made it from what it read of the host: the commit carries it when any change does.
        var dependsOnProbe = false
    }

    /// What a piece of the ruleset was before the open batch first changed it: what an undo puts back.
    enum Piece: Hashable {
        case table(NftTableID), chain(NftTableID, String), set(NftTableID, String)
    }

    enum Snapshot {
        /// Whether it existed, and (when the batch deletes it) all of it.
        case table(existed: Bool, whole: NftTableModel?)
        case chain(NftChainModel?)
        case set(NftSetModel?)
    }

    var tables: [NftTableID: NftTableModel] = [:]
    var absentTables: Set<NftTableID> = []
    var tablesListed = false
    /// The open batch.
    private(set) var changes: [Change] = []
    var snapshots: [Piece: Snapshot] = [:]
    /// Every table the run changed, in the order it first did: what `wds plan` shows.
    private(set) var touchedTables: [NftTableID] = []
    var generation = 0
    private var committed: [Int: (changes: [Change], snapshots: [Piece: Snapshot])] = [:]
    /// Commits that reached no kernel (trace, plan): replayed on what is read, like the open batch.
    private var simulatedCommits: [Change] = []
    private(set) var simulated = false
    var locked = false
    var lastLocation: SourceRange?
    var nextUID = 1
    /// One change per transaction (`--no-batch`).
    let batch: Bool
    let lockPath: String
    let lockTimeoutSeconds = 60

    init(batch: Bool, lockPath: String) {
        self.batch = batch
        self.lockPath = lockPath
    }

    var name: String { NftEffects.family }
    var hasPendingChanges: Bool { !changes.isEmpty }

    var pending: [Change] { simulatedCommits + changes }

    func newUID() -> Int {
        nextUID += 1
        return nextUID
    }

    // MARK: - Changing

    /// Runs `body` (which reads what it must and decides). What it reads only
    /// checks that the kernel would take the change, so the change is not
    /// marked as depending on a probe; unless `consulting`: the builtin decides
    /// from the host whether there is a change at all (`ensure`, `--if-exists`).
    func decide<T>(_ call: Invocation, consulting: Bool = false, _ body: () throws -> T) throws -> T {
        let probes = call.context.probes
        let outer = probeMark
        probeMark = consulting ? nil : (probes.count, probes.builtinConsultedHost)
        defer { probeMark = outer }
        try lock(call)
        let result = try body()
        if let (count, consulted) = probeMark { (probes.count, probes.builtinConsultedHost) = (count, consulted) }
        return result
    }

    /// What the probe tracker said before the deciding statement read the host (nil: keep what it says now).
    var probeMark: (Int, Bool)?

    /// Remembers what a piece was before the open batch first changes it.
    func snapshot(_ piece: Piece, _ call: Invocation) throws {
        guard snapshots[piece] == nil else { return }
        switch piece {
        case .table(let id):
            let existed = try table(id, call) != nil
            snapshots[piece] = .table(existed: existed, whole: existed ? try whole(id, call)?.copy() : nil)
        case .chain(let id, let name):
            snapshots[piece] = .chain(try chain(name, in: id, call)?.copy())
        case .set(let id, let name):
            snapshots[piece] = .set(try set(name, in: id, map: false, full: false, call)?.copy())
        }
    }

    /// Records a change the model already holds, stages it, and with `--no-batch` commits it.
    func record(_ command: NftCommand, line: String? = nil, _ call: Invocation) throws {
        let change = Change(command: command, location: call.range)
        if !touchedTables.contains(command.table) { touchedTables.append(command.table) }
        changes.append(change)
        if let (count, consulted) = probeMark { (call.context.probes.count, call.context.probes.builtinConsultedHost) = (count, consulted) }
        try call.perform(.family(AnyFamilyEffect(NftStagedEffect(command: line ?? command.line))))
        changes[changes.count - 1].dependsOnProbe = call.context.probes.lastMutationDependedOnProbe
        if !batch { try commit(call.context) }
    }

    /// A table created by the run: complete (it has nothing the model does not know).
    func addTable(_ id: NftTableID, create: Bool, _ call: Invocation) throws {
        try snapshot(.table(id), call)
        absentTables.remove(id)
        tables[id] = NftTableModel(complete: true)
        try record(.addTable(id, create: create), call)
    }

    func deleteTable(_ id: NftTableID, _ call: Invocation) throws {
        try snapshot(.table(id), call)
        tables[id] = nil
        absentTables.insert(id)
        try record(.deleteTable(id), call)
    }

    func flushTable(_ id: NftTableID, _ table: NftTableModel, _ call: Invocation) throws {
        for name in table.chainOrder { try snapshot(.chain(id, name), call) }
        for chain in table.chains.values { chain.removeAll() }
        try record(.flushTable(id), call)
    }

    func addChain(_ id: NftTableID, _ name: String, base: NftBaseChain?, create: Bool, _ table: NftTableModel, _ call: Invocation) throws {
        try snapshot(.chain(id, name), call)
        if let existing = table.chains[name] {
            existing.base = base ?? existing.base
        } else {
            table.addChain(name, NftChainModel(base: base, rules: []))
        }
        try record(.addChain(id, name, base, create: create), call)
    }

    func deleteChain(_ id: NftTableID, _ name: String, _ table: NftTableModel, _ call: Invocation) throws {
        try snapshot(.chain(id, name), call)
        table.removeChain(name)
        try record(.deleteChain(id, name), call)
    }

    func flushChain(_ id: NftTableID, _ name: String, _ chain: NftChainModel, _ call: Invocation) throws {
        try snapshot(.chain(id, name), call)
        chain.removeAll()
        try record(.flushChain(id, name), call)
    }

    func addRule(_ id: NftTableID, _ name: String, _ entry: NftRuleEntry, at index: Int, _ chain: NftChainModel, _ call: Invocation) throws {
        try snapshot(.chain(id, name), call)
        var entry = entry
        entry.uid = newUID()
        // Appended to a chain whose rules are not read: at its end, whatever it holds.
        let recorded = chain.rulesKnown ? index : Int.max
        // Placed as the batch will place it: by a neighbour's handle where the kernel gave one.
        let head = "rule \(id.words) \(name)", rule = entry.text(family: id.family)
        let previous = index > 0 ? chain.rules[index - 1] : nil, next = index < chain.rules.count ? chain.rules[index] : nil
        let line: String
        if let handle = previous?.handle {
            line = "add \(head) position \(handle) \(rule)"
        } else if previous == nil {
            line = next == nil ? "add \(head) \(rule)" : "insert \(head) \(rule)"
        } else if let handle = next?.handle {
            line = "insert \(head) position \(handle) \(rule)"
        } else {
            line = next == nil ? "add \(head) \(rule)" : "add \(head) index \(index - 1) \(rule)"
        }
        chain.insert(entry, at: index)
        try record(.addRule(id, name, entry, index: recorded), line: line, call)
    }

    func deleteRule(_ id: NftTableID, _ name: String, at index: Int, _ chain: NftChainModel, _ call: Invocation) throws {
        try snapshot(.chain(id, name), call)
        let entry = chain.remove(at: index)
        try record(.deleteRule(id, name, entry, index: index), call)
    }

    func addSet(_ id: NftTableID, _ name: String, _ declaration: NftSetModel, create: Bool, _ table: NftTableModel,
                _ call: Invocation) throws {
        try snapshot(.set(id, name), call)
        table.addSet(name, declaration.copy())
        try record(.addSet(id, name, declaration, create: create), call)
    }

    func deleteSet(_ id: NftTableID, _ name: String, _ set: NftSetModel, _ table: NftTableModel, _ call: Invocation) throws {
        try snapshot(.set(id, name), call)
        table.removeSet(name)
        try record(.deleteSet(id, name, isMap: set.isMap), call)
    }

    func flushSet(_ id: NftTableID, _ name: String, _ set: NftSetModel, _ call: Invocation) throws {
        try snapshot(.set(id, name), call)
        set.flush()
        try record(.flushSet(id, name, isMap: set.isMap), call)
    }

    /// Adds elements, or fails (nothing changed) where the kernel would refuse them.
    func addElements(_ id: NftTableID, _ name: String, _ elements: [NftElement], _ set: NftSetModel, _ call: Invocation) throws {
        guard let shape = set.shape else { throw call.fail("wds does not model the elements of \(set.kind) '\(name)' (type \(set.typeText))") }
        try snapshot(.set(id, name), call)
        let before = set.elements
        // What the set holds already changes nothing (and, in a map, adds no reference to a chain).
        let fresh = set.interval ? elements : elements.filter { set.element(for: $0.key) == nil }
        if let problem = set.add(elements) {
            set.replaceElements(before)
            throw refusal(problem, call, kernel: problem.contains("overlaps") ? "interval overlaps with an existing one" : "File exists")
        }
        guard !fresh.isEmpty else { return }
        try record(.addElements(id, name, fresh, shape, isMap: set.isMap), call)
    }

    func deleteElements(_ id: NftTableID, _ name: String, _ elements: [NftElement], _ set: NftSetModel, _ call: Invocation) throws {
        guard let shape = set.shape else { throw call.fail("wds does not model the elements of \(set.kind) '\(name)' (type \(set.typeText))") }
        try snapshot(.set(id, name), call)
        let before = set.elements
        if let problem = set.delete(elements) {
            set.replaceElements(before)
            throw refusal(problem, call, kernel: "No such file or directory")
        }
        try record(.deleteElements(id, name, elements, shape, isMap: set.isMap), call)
    }

    func refusal(_ message: String, _ call: Invocation, kernel: String, hint: String? = nil) -> CommandFailure {
        CommandFailure("\(message) (nft: \(kernel))", at: call.range, status: ExitStatus.kernelRefused, hint: hint)
    }

    // MARK: - Committing

    /// Sends the open batch to the kernel as one transaction and releases the
    /// lock. A refusal applies nothing (nft's commit is atomic) and fails at the
    /// statement whose line nft refused; what earlier commits applied is the
    /// journal's to undo.
    func commit(_ context: RunContext) throws {
        let host = context.host
        defer { unlock(host) }
        guard !changes.isEmpty else { return }
        let pending = changes
        let pendingSnapshots = snapshots
        changes = []
        snapshots = [:]
        generation += 1
        let built = NftBatch(pending, snapshots: pendingSnapshots)
        guard let last = pending.last else { return }
        guard !built.text.isEmpty else {
            committed[generation - 1] = (pending, pendingSnapshots)
            return
        }
        let result: EffectResult
        do {
            result = try host.perform(.family(AnyFamilyEffect(NftCommitEffect(payload: built.text))),
                                      in: EffectContext(location: last.location, dependsOnProbe: pending.contains { $0.dependsOnProbe }))
        } catch {
            dropModel()
            throw error
        }
        guard case .process(let status, _, let errorOutput) = result else {
            // No kernel saw it (trace, plan): the model stays the only truth there is.
            simulated = true
            simulatedCommits += pending
            committed[generation - 1] = (pending, pendingSnapshots)
            return
        }
        guard status == 0 else {
            dropModel()
            let refused = built.refusedLine(errorOutput)
            let culprit = refused.map { pending[built.owners[$0]] }
            let message = NftBatch.refusalMessage(errorOutput)
            let what = refused.map { "nft refused `\(NftBatch.firstLine(built.lines[$0]))`" } ?? "nft -f - failed"
            throw CommandFailure("\(what): \(message)", at: culprit?.location ?? last.location, status: ExitStatus.kernelRefused,
                                 hint: "no change of this nftables batch was applied")
        }
        committed[generation - 1] = (pending, pendingSnapshots)
        // Undone, if the run fails later, by a JSON batch that puts back each piece the batch changed.
        let handles = newRuleHandles(built, host: host, at: last.location)
        if let undo = NftUndo(changes: pending, snapshots: pendingSnapshots, batch: built, handles: handles, model: self).payload {
            context.journal.record(undo: "nft -j -f - (undo \(pending.count) change(s))", at: last.location) {
                let result = try host.perform(.family(AnyFamilyEffect(NftCommitEffect(payload: undo, json: true))), at: last.location)
                if case .process(let status, _, let errorOutput) = result, status != 0 {
                    throw CommandFailure("nft -j -f - failed (status \(status)): \(NftBatch.refusalMessage(errorOutput))",
                                         at: last.location, status: ExitStatus.kernelRefused)
                }
            }
        }
        // Once a kernel has the changes, it is the truth again (and others may change it after the lock).
        dropModel()
    }

    /// The handles the kernel gave the rules a commit added, by the run's number for each: the
    /// handles of each chain they went to, read over netlink, matched by place (the model knows the
    /// chain's order; a chain whose rules it never read got only appended rules, which are its last).
    private func newRuleHandles(_ batch: NftBatch, host: Host, at location: SourceRange) -> [Int: Int] {
        var chainsOf: [NftTableID: Set<String>] = [:]
        for (id, chain) in batch.addedRuleChains { chainsOf[id, default: []].insert(chain) }
        var handles: [Int: Int] = [:]
        for (id, names) in chainsOf {
            for name in names.sorted() {
                guard let chain = tables[id]?.chains[name],
                      case .text(let text)? = try? host.perform(.family(AnyFamilyEffect(NftNetlinkEffect(
                        question: "rules", words: [id.family.rawValue, id.name, name]))), at: location),
                      let read = (try? JSON.parse(text))?.arrayValue else { continue }
                let kernel = read.compactMap { if case .number(let n) = $0 { return Int(n) } else { return nil } }
                let known = chain.rules
                let matched = chain.rulesKnown ? kernel : Array(kernel.suffix(known.count))
                guard matched.count == known.count else { continue }
                for (entry, handle) in zip(known, matched) { handles[entry.uid] = handle }
            }
        }
        return handles
    }

    /// What the model says a piece is now (for the undo of a commit, before the model is dropped).
    func current(_ piece: Piece) -> Snapshot {
        switch piece {
        case .table(let id): return .table(existed: tables[id] != nil, whole: tables[id])
        case .chain(let id, let name): return .chain(tables[id]?.chains[name])
        case .set(let id, let name): return .set(tables[id]?.sets[name])
        }
    }

    func dropModel() {
        tables = [:]
        absentTables = []
        tablesListed = false
    }

    func abandon(_ context: RunContext) {
        changes = []
        snapshots = [:]
        dropModel()
        unlock(context.host)
    }

    func forgetHost() {
        // Where no commit reached a kernel, the model is all there is of the run's changes.
        guard !simulated, changes.isEmpty else { return }
        dropModel()
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
            let then = committed[savepoint.generation]
            changes = Array((then?.changes ?? []).prefix(savepoint.count))
            snapshots = then?.snapshots ?? [:]
            generation = savepoint.generation
            if simulatedCommits.count > savepoint.simulatedCount { simulatedCommits.removeSubrange(savepoint.simulatedCount...) }
        }
        // The model is read again from the kernel, with the open batch replayed.
        dropModel()
    }

    private func unlock(_ host: Host) {
        guard locked, let location = lastLocation else { return }
        locked = false
        _ = try? host.perform(.family(AnyFamilyEffect(NftUnlockEffect(path: lockPath))), at: location)
    }
}
