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

    private var tables: [NftTableID: NftTableModel] = [:]
    private var absentTables: Set<NftTableID> = []
    private var tablesListed = false
    /// The open batch.
    private(set) var changes: [Change] = []
    private(set) var snapshots: [Piece: Snapshot] = [:]
    /// Every table the run changed, in the order it first did: what `wds plan` shows.
    private(set) var touchedTables: [NftTableID] = []
    private var generation = 0
    private var committed: [Int: (changes: [Change], snapshots: [Piece: Snapshot])] = [:]
    /// Commits that reached no kernel (trace, plan): replayed on what is read, like the open batch.
    private var simulatedCommits: [Change] = []
    private(set) var simulated = false
    private var locked = false
    private var lastLocation: SourceRange?
    private var nextUID = 1
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

    private var pending: [Change] { simulatedCommits + changes }

    func newUID() -> Int {
        nextUID += 1
        return nextUID
    }

    // MARK: - Reading

    private func lock(_ call: Invocation) throws {
        lastLocation = call.range
        guard batch, !locked else { return }
        // Taken before any read, on every host alike: not a line that depends on a probe.
        call.context.probes.mutationDependsOnProbe = false
        _ = try call.context.host.perform(.family(AnyFamilyEffect(NftLockEffect(path: lockPath, timeoutSeconds: lockTimeoutSeconds))),
                                          at: call.range)
        locked = true
    }

    private func list(_ words: [String], terse: Bool = false, _ call: Invocation) throws -> (ok: Bool, output: String) {
        call.context.probes.builtinConsultedHost = true
        try lock(call)
        guard case .process(let status, let output, let errorOutput) =
                try call.perform(.family(AnyFamilyEffect(NftListEffect(words: words, terse: terse)))) else { return (false, "") }
        if status == 0 { return (true, output) }
        // `No such file or directory`: what was asked for does not exist.
        if errorOutput.contains("No such file or directory") { return (false, "") }
        let message = errorOutput.split(separator: "\n").first.map(String.init) ?? "status \(status)"
        throw call.fail("`nft \(terse ? "-t" : "-j") list \(words.joined(separator: " "))` failed: \(message)", status: ExitStatus.kernelRefused)
    }

    private func listing(_ output: String, autoMerge: Set<String> = [], _ call: Invocation) throws -> NftListing {
        do { return try NftListing(output, autoMerge: autoMerge) } catch let malformed as NftListing.Malformed {
            throw call.fail(malformed.message)
        }
    }

    /// Asks nf_tables over netlink (see `NftNetlink`); the answer is JSON.
    private func netlink(_ question: String, _ words: [String], _ call: Invocation) throws -> JSON {
        call.context.probes.builtinConsultedHost = true
        try lock(call)
        guard case .text(let text) = try call.perform(.family(AnyFamilyEffect(NftNetlinkEffect(question: question, words: words)))) else {
            return .null
        }
        do { return try JSON.parse(text) } catch { throw call.fail("nf_tables answered what wds cannot read: \(text.prefix(200))") }
    }

    /// The table's model, nil when it does not exist.
    func table(_ id: NftTableID, _ call: Invocation) throws -> NftTableModel? {
        call.context.probes.builtinConsultedHost = true
        if let table = tables[id] { return table }
        if absentTables.contains(id) { return nil }
        let inKernel = tablesListed ? false : try netlink("table", [id.family.rawValue, id.name], call) == .bool(true)
        settleTable(id, inKernel: inKernel)
        return tables[id]
    }

    /// Whether the table exists after the pending changes, given whether the kernel has it.
    private func settleTable(_ id: NftTableID, inKernel: Bool) {
        var exists = inKernel, complete = false
        for change in pending where change.command.table == id {
            switch change.command {
            case .addTable: if !exists { (exists, complete) = (true, true) }
            case .deleteTable: exists = false
            default: continue
            }
        }
        guard exists else {
            absentTables.insert(id)
            return
        }
        let table = NftTableModel(complete: complete)
        tables[id] = table
        if complete {
            // Made by the run: what is in it is what the pending changes put there.
            for name in createdNames(in: id, chains: true) { if let chain = settleChain(name, id, from: nil) { table.addChain(name, chain) } }
            for name in createdNames(in: id, chains: false) { if let set = settleSet(name, id, from: nil) { table.addSet(name, set) } }
        }
    }

    private func createdNames(in id: NftTableID, chains: Bool) -> [String] {
        var names: [String] = []
        for change in pending where change.command.table == id {
            switch change.command {
            case .addChain(_, let name, _, _) where chains && !names.contains(name): names.append(name)
            case .addSet(_, let name, _, _) where !chains && !names.contains(name): names.append(name)
            default: continue
            }
        }
        return names
    }

    private func settleChain(_ name: String, _ id: NftTableID, from kernel: NftChainModel?) -> NftChainModel? {
        var chain = kernel
        for change in pending { chain = change.command.replay(chain: name, of: id, chain) }
        return chain
    }

    private func settleSet(_ name: String, _ id: NftTableID, from kernel: NftSetModel?) -> NftSetModel? {
        var set = kernel
        for change in pending { set = change.command.replay(set: name, of: id, set) }
        return set
    }

    /// The chain (its rules perhaps not read yet: `rules(of:)`), nil when it (or its table) does not exist.
    func chain(_ name: String, in id: NftTableID, _ call: Invocation) throws -> NftChainModel? {
        guard let table = try table(id, call) else { return nil }
        if let chain = table.chains[name] { return chain }
        if table.complete || table.absentChains.contains(name) { return nil }
        let kernel = NftNetlink.chainModel(try netlink("chain", [id.family.rawValue, id.name, name], call))
        if let chain = settleChain(name, id, from: kernel) {
            table.addChain(name, chain)
            return chain
        }
        table.absentChains.insert(name)
        return nil
    }

    /// The chain with its rules read (`nft -j list chain`), the run's changes to them replayed.
    @discardableResult
    func rules(of name: String, in id: NftTableID, _ call: Invocation) throws -> NftChainModel? {
        guard let chain = try chain(name, in: id, call) else { return nil }
        if chain.rulesKnown { return chain }
        let (ok, output) = try list(["chain", id.family.rawValue, id.name, name], call)
        var kernel: [NftRuleEntry] = []
        if ok {
            let read = try listing(output, call)
            kernel = read.rules.filter { $0.chain == name && $0.table == id }.map { entry($0, id) }
        }
        fillRules(chain, name, id, kernel: kernel)
        return chain
    }

    /// Gives a chain read by its header the rules the kernel holds, with the pending changes to them replayed;
    /// and what the open batch remembers of it, if it had not read its rules either.
    private func fillRules(_ chain: NftChainModel, _ name: String, _ id: NftTableID, kernel: [NftRuleEntry]) {
        let read = NftChainModel(base: chain.base, rules: kernel)
        if case .chain(let before?)? = snapshots[.chain(id, name)], !before.rulesKnown {
            snapshots[.chain(id, name)] = .chain(read.copy())
        }
        var replayed: NftChainModel? = read
        for change in pending where change.command.table == id && (change.command.chain == name || change.command.chain == nil) {
            switch change.command {
            case .addRule, .deleteRule, .flushChain, .flushTable: replayed = change.command.replay(chain: name, of: id, replayed)
            default: continue
            }
        }
        chain.replaceRules(replayed?.rules ?? [])
        chain.kernelRuleCount = kernel.count
    }

    /// How many rules and map elements lead to the chain once the pending changes are made, from the
    /// kernel's count and what the pending changes add and remove; nil where that cannot be counted
    /// without reading the whole table (a flush or deletion of what may hold references).
    func references(to name: String, in id: NftTableID, _ chain: NftChainModel) -> Int? {
        var count: Int
        if let use = chain.kernelUse, let rules = chain.kernelRuleCount {
            count = use - rules
        } else if case .chain(nil)? = snapshots[.chain(id, name)] {
            count = 0  // made by this batch: only what the batch added can lead to it
        } else {
            return nil
        }
        let verdicts = [NftElementValue.verdict("jump \(name)"), .verdict("goto \(name)")]
        // How many rules of each other chain lead to it as the batch goes: a flush removes them.
        var leading: [String: Int] = [:]
        func leadingRules(_ other: String) -> Int? {
            if let known = leading[other] { return known }
            guard case .chain(let before)? = snapshots[.chain(id, other)] else { return 0 }
            guard let before else { return 0 }
            guard before.rulesKnown else { return nil }
            return before.rules.filter { NftReferences.leads($0, to: name) }.count
        }
        for change in pending where change.command.table == id {
            switch change.command {
            case .addRule(_, let other, let entry, _) where other != name:
                if NftReferences.leads(entry, to: name) {
                    count += 1
                    guard let known = leadingRules(other) else { return nil }
                    leading[other] = known + 1
                }
            case .deleteRule(_, let other, let entry, _) where other != name:
                if NftReferences.leads(entry, to: name) {
                    count -= 1
                    guard let known = leadingRules(other) else { return nil }
                    leading[other] = known - 1
                }
            case .flushChain(_, let other) where other != name:
                guard let known = leadingRules(other) else { return nil }
                count -= known
                leading[other] = 0
            case .addElements(_, _, let elements, _, _):
                count += elements.filter { $0.value.map(verdicts.contains) ?? false }.count
            case .deleteElements(_, _, let elements, _, _):
                count -= elements.filter { $0.value.map(verdicts.contains) ?? false }.count
            case .flushTable, .deleteTable, .flushSet, .deleteSet:
                return nil
            default:
                continue
            }
        }
        return count
    }

    /// The set or map, nil when it does not exist. `map` says which the statement expects (a
    /// set wds cannot read over netlink is read with `nft -j list`, which asks for that one first).
    /// With `full` false, a set that is not an interval set may come without its elements, which
    /// `element(_:in:)` then looks up one by one.
    func set(_ name: String, in id: NftTableID, map: Bool, full: Bool = true, _ call: Invocation) throws -> NftSetModel? {
        guard let table = try table(id, call) else { return nil }
        if let set = table.sets[name] {
            if full && !set.complete { try complete(set, name, id, map: map, call) }
            return set
        }
        if table.complete || table.absentSets.contains(name) { return nil }
        var kernel = try kernelSet(name, id, map: map, full: full, call)
        if let header = kernel, !header.complete, header.interval {
            kernel = try kernelSet(name, id, map: map, full: true, call)  // intervals are read whole
        }
        if let set = settleSet(name, id, from: kernel) {
            table.addSet(name, set)
            return set
        }
        table.absentSets.insert(name)
        return nil
    }

    /// The set as the kernel holds it (over netlink; through libnftables what netlink cannot say).
    private func kernelSet(_ name: String, _ id: NftTableID, map: Bool, full: Bool, _ call: Invocation) throws -> NftSetModel? {
        let answer = try netlink(full ? "set" : "setheader", [id.family.rawValue, id.name, name], call)
        guard answer != .null else { return nil }
        if let read = NftNetlink.setModel(answer) { return read }
        for kind in map ? ["map", "set"] : ["set", "map"] {
            let (ok, output) = try list([kind, id.family.rawValue, id.name, name], call)
            guard ok else { continue }
            var autoMerge: Set<String> = []
            if output.contains("\"interval\"") {
                let (terseOK, terse) = try list([kind, id.family.rawValue, id.name, name], terse: true, call)
                if terseOK { autoMerge = NftListing.autoMergeSets(terse) }
            }
            return try listing(output, autoMerge: autoMerge, call).sets.first { $0.name == name }?.model
        }
        return nil
    }

    /// Reads every element of a set that knew only some, the pending changes replayed.
    private func complete(_ set: NftSetModel, _ name: String, _ id: NftTableID, map: Bool, _ call: Invocation) throws {
        guard let kernel = try kernelSet(name, id, map: map, full: true, call) else { return }
        fillSet(set, name, id, kernel: kernel)
    }

    private func fillSet(_ set: NftSetModel, _ name: String, _ id: NftTableID, kernel: NftSetModel) {
        if case .set(let before?)? = snapshots[.set(id, name)], !before.complete { snapshots[.set(id, name)] = .set(kernel.copy()) }
        var replayed: NftSetModel? = kernel
        for change in pending where change.command.set == name { replayed = change.command.replay(set: name, of: id, replayed) }
        if let replayed { set.takeElements(of: replayed) }
    }

    /// The element of a set with this key (nil: the set does not hold it), asking the kernel for it
    /// alone when the model does not know.
    func element(_ key: NftElementValue, in set: NftSetModel, _ name: String, _ id: NftTableID, _ call: Invocation) throws -> NftElement? {
        if set.knows(key) { return set.element(for: key) }
        guard let shape = set.shape, !set.interval, let hex = NftNetlink.keyHex(key, shape.keyType) else {
            try complete(set, name, id, map: set.isMap, call)
            return set.element(for: key)
        }
        let answer = try netlink("element", [id.family.rawValue, id.name, name, hex], call)
        let found = (NftNetlink.elements(answer.arrayValue ?? [], shape, setTimeout: set.timeout) ?? []).first { $0.key == key }
        set.learn(key, found)
        // No pending change touched the key (the model would know it): what the kernel said is how the batch found it.
        if case .set(let before?)? = snapshots[.set(id, name)] { before.learn(key, found) }
        return found
    }

    /// The whole table as the run has left it: every chain and set known, in nft's order.
    @discardableResult
    func whole(_ id: NftTableID, _ call: Invocation) throws -> NftTableModel? {
        guard let table = try table(id, call) else { return nil }
        if table.complete { return table }
        let (ok, output) = try list(["table", id.family.rawValue, id.name], call)
        guard ok else {
            // Gone since it was listed: what the pending changes made is all there is.
            table.complete = true
            return table
        }
        var autoMerge: Set<String> = []
        if output.contains("\"interval\"") {
            let (terseOK, terse) = try list(["table", id.family.rawValue, id.name], terse: true, call)
            if terseOK { autoMerge = NftListing.autoMergeSets(terse) }
        }
        let read = try listing(output, autoMerge: autoMerge, call)
        var chainOrder = read.chains.map(\.name)
        for name in createdNames(in: id, chains: true) where !chainOrder.contains(name) { chainOrder.append(name) }
        var setOrder = read.sets.map(\.name)
        for name in createdNames(in: id, chains: false) where !setOrder.contains(name) { setOrder.append(name) }
        for name in chainOrder where !table.absentChains.contains(name) {
            let kernelRules = read.rules.filter { $0.chain == name }.map { entry($0, id) }
            if let known = table.chains[name] {
                if !known.rulesKnown { fillRules(known, name, id, kernel: kernelRules) }
                continue
            }
            let kernel = read.chains.first { $0.name == name }.map { NftChainModel(base: $0.base, rules: kernelRules) }
            if let chain = settleChain(name, id, from: kernel) { table.chains[name] = chain } else { table.absentChains.insert(name) }
        }
        for name in setOrder where !table.absentSets.contains(name) {
            let kernel = read.sets.first { $0.name == name }?.model
            if let known = table.sets[name] {
                if !known.complete, let kernel { fillSet(known, name, id, kernel: kernel) }
                continue
            }
            if let set = settleSet(name, id, from: kernel) { table.sets[name] = set } else { table.absentSets.insert(name) }
        }
        table.chainOrder = chainOrder.filter { table.chains[$0] != nil } + table.chainOrder.filter { !chainOrder.contains($0) && table.chains[$0] != nil }
        table.setOrder = setOrder.filter { table.sets[$0] != nil } + table.setOrder.filter { !setOrder.contains($0) && table.sets[$0] != nil }
        table.complete = true
        return table
    }

    /// Every table, as the run has left them.
    func tableIDs(_ call: Invocation) throws -> [NftTableID] {
        if !tablesListed {
            let listed = try netlink("tables", [], call).arrayValue ?? []
            for item in listed {
                guard let family = item["family"]?.stringValue.flatMap(NftTableFamily.init(rawValue:)),
                      let name = item["name"]?.stringValue else { continue }
                let id = NftTableID(family: family, name: name)
                if tables[id] == nil && !absentTables.contains(id) { settleTable(id, inKernel: true) }
            }
            // What the kernel does not list is absent, but for what the run made.
            tablesListed = true
            for change in pending { if tables[change.command.table] == nil && !absentTables.contains(change.command.table) {
                settleTable(change.command.table, inKernel: false) } }
        }
        return tables.keys.sorted()
    }

    private func entry(_ rule: NftListing.Rule, _ id: NftTableID) -> NftRuleEntry {
        var entry = NftRuleEntry(kernel: rule.expressions, comment: rule.comment, handle: rule.handle, family: id.family)
        entry.uid = newUID()
        return entry
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
    private var probeMark: (Int, Bool)?

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
            result = try host.perform(.family(AnyFamilyEffect(NftCommitEffect(payload: built.text))), at: last.location)
        } catch {
            dropModel()
            throw error
        }
        guard case .process(let status, let output, let errorOutput) = result else {
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
        _ = output
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

    private func dropModel() {
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
