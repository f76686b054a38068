import Interpreter
import Lexer

/// Reading the ruleset into the model: a table's existence, a chain's header
/// and (when a statement needs them) its rules, a set or one key of it, a
/// whole table; each read replays the run's pending changes on what the
/// kernel holds (after a caught failure, or where commits reached no kernel).
extension NftTransaction {

    func lock(_ call: Invocation) throws {
        lastLocation = call.range
        guard batch, !locked else { return }
        // Taken before any read, on every host alike: not a line that depends on a probe (the context's default).
        _ = try call.context.host.perform(.family(AnyFamilyEffect(NftLockEffect(path: lockPath, timeoutSeconds: lockTimeoutSeconds))),
                                          at: call.range)
        locked = true
    }

    func list(_ words: [String], terse: Bool = false, _ call: Invocation) throws -> (ok: Bool, output: String) {
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

    func listing(_ output: String, autoMerge: Set<String> = [], _ call: Invocation) throws -> NftListing {
        do { return try NftListing(output, autoMerge: autoMerge) } catch let malformed as NftListing.Malformed {
            throw call.fail(malformed.message)
        }
    }

    /// Asks nf_tables over netlink (see `NftNetlink`); the answer is JSON.
    func netlink(_ question: String, _ words: [String], _ call: Invocation) throws -> JSON {
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
    func settleTable(_ id: NftTableID, inKernel: Bool) {
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

    func createdNames(in id: NftTableID, chains: Bool) -> [String] {
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

    func settleChain(_ name: String, _ id: NftTableID, from kernel: NftChainModel?) -> NftChainModel? {
        var chain = kernel
        for change in pending { chain = change.command.replay(chain: name, of: id, chain) }
        return chain
    }

    func settleSet(_ name: String, _ id: NftTableID, from kernel: NftSetModel?) -> NftSetModel? {
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
    func fillRules(_ chain: NftChainModel, _ name: String, _ id: NftTableID, kernel: [NftRuleEntry]) {
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
    func kernelSet(_ name: String, _ id: NftTableID, map: Bool, full: Bool, _ call: Invocation) throws -> NftSetModel? {
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
    func complete(_ set: NftSetModel, _ name: String, _ id: NftTableID, map: Bool, _ call: Invocation) throws {
        guard let kernel = try kernelSet(name, id, map: map, full: true, call) else { return }
        fillSet(set, name, id, kernel: kernel)
    }

    func fillSet(_ set: NftSetModel, _ name: String, _ id: NftTableID, kernel: NftSetModel) {
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

    func entry(_ rule: NftListing.Rule, _ id: NftTableID) -> NftRuleEntry {
        var entry = NftRuleEntry(kernel: rule.expressions, comment: rule.comment, handle: rule.handle, family: id.family)
        entry.uid = newUID()
        return entry
    }
}
