import Interpreter

/// The restore payloads of a transaction: the lines of a batch (or their
/// inverse) per table, with each flush moved where iptables-nft takes it, and
/// what iptables-restore said when it refused one.
extension IptablesTransaction {
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
        let order = inverse ? tableOrder(changes).reversed() : tableOrder(changes)
        for table in order {
            var indices = changes.indices.filter { changes[$0].scope.table == table }
            if !inverse { indices = flushesMovedForward(indices, changes) }
            var lines: [String] = []
            // Line 1 of the block is `*TABLE`: the table's first change owns it; its last owns `COMMIT`.
            owners[lineNumber + 1] = indices.first!
            for index in inverse ? indices.reversed() : indices {
                for line in inverse ? changes[index].inverse : [changes[index].line] {
                    lines.append(line)
                    owners[lineNumber + 1 + lines.count] = index
                }
            }
            owners[lineNumber + lines.count + 2] = indices.last!
            text += IptablesTables.restoreBlock(table: table, lines: lines)
            lineNumber += lines.count + 2
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
        case .append(let chain, _), .insert(let chain, _, _), .delete(let chain, _), .deleteSaved(let chain, _), .deleteAt(let chain, _):
            return chain
        case .createChain, .flushChain, .deleteChain, .setPolicy: return nil
        }
    }

    /// Whether a change starts the chain afresh: what came before it is not the flush's to void.
    static func isBarrier(_ command: IptablesCommand, for chain: String) -> Bool {
        switch command {
        case .createChain(let other), .deleteChain(let other), .flushChain(let other): return other == chain
        case .append, .insert, .delete, .deleteSaved, .deleteAt, .setPolicy: return false
        }
    }

    /// What the kernel said, without iptables-nft's bare `iptables-restore v1.8.9 (nf_tables): ` banner line.
    static func refusalMessage(_ errorOutput: String) -> String? {
        let lines = errorOutput.split(separator: "\n").map { TextBuiltins.trim(String($0)) }.filter { !$0.isEmpty && !$0.hasSuffix("):") }
        return lines.isEmpty ? nil : lines.joined(separator: "; ")
    }

    /// N of `iptables-restore: line N failed`.
    static func failedLine(in errorOutput: String) -> Int? {
        let words = errorOutput.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == ":" })
        for (index, word) in words.enumerated().dropLast() where word == "line" {
            if let number = Int(words[index + 1]) { return number }
        }
        return nil
    }
}
