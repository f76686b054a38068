import Interpreter
import Lexer

/// The text of one commit: a line per change, each followed by the
/// statement that made it as an nft comment (`  # net.wds:12`). A rule's
/// position is written against what the kernel will have at that point of
/// the batch: a rule the batch adds and deletes again never reaches the
/// kernel (nft can only delete by handle, and it has none), so neither line
/// is sent and the positions after it skip it.
struct NftBatch {
    /// The lines sent, without their location comments.
    private(set) var lines: [String] = []
    /// The change each line comes from.
    private(set) var owners: [Int] = []
    private(set) var text = ""
    /// The run's number of the rule each rule-adding line adds, in order (the echo gives their handles in this order).
    private(set) var addedRules: [Int] = []

    private struct Slot {
        var uid: Int
        var canceled: Bool
    }

    private struct ChainKey: Hashable {
        var table: NftTableID
        var chain: String
    }

    init(_ changes: [NftTransaction.Change], snapshots: [NftTransaction.Piece: NftTransaction.Snapshot] = [:]) {
        var addedInBatch: Set<Int> = []
        var canceled: Set<Int> = []
        for change in changes {
            switch change.command {
            case .addRule(_, _, let entry, _): addedInBatch.insert(entry.uid)
            case .deleteRule(_, _, let entry, _) where addedInBatch.contains(entry.uid): canceled.insert(entry.uid)
            default: continue
            }
        }
        // Each chain as the model had it (every rule) and which of its rules the kernel will see.
        var chains: [ChainKey: [Slot]] = [:]
        func slots(_ key: ChainKey) -> [Slot] {
            if let known = chains[key] { return known }
            if case .chain(let chain)? = snapshots[.chain(key.table, key.chain)] {
                return chain?.rules.map { Slot(uid: $0.uid, canceled: false) } ?? []
            }
            return []
        }
        for (index, change) in changes.enumerated() {
            let command = change.command
            let id = command.table
            var line: String?
            switch command {
            case .deleteTable, .flushTable:
                for key in chains.keys where key.table == id { chains[key] = [] }
                line = command.line
            case .addChain(_, let name, _, _):
                let key = ChainKey(table: id, chain: name)
                chains[key] = slots(key)
                line = command.line
            case .deleteChain(_, let name), .flushChain(_, let name):
                chains[ChainKey(table: id, chain: name)] = []
                line = command.line
            case .addRule(_, let name, let entry, let position):
                let key = ChainKey(table: id, chain: name)
                var list = slots(key)
                let at = min(position, list.count)
                let isCanceled = canceled.contains(entry.uid)
                if !isCanceled {
                    let before = list[..<at].filter { !$0.canceled }.count
                    let count = list.filter { !$0.canceled }.count
                    let head = "rule \(id.words) \(name)"
                    let rule = entry.text(family: id.family)
                    if count == 0 || before == count {
                        line = "add \(head) \(rule)"
                    } else if before == 0 {
                        line = "insert \(head) \(rule)"
                    } else {
                        line = "add \(head) index \(before - 1) \(rule)"
                    }
                    addedRules.append(entry.uid)
                }
                list.insert(Slot(uid: entry.uid, canceled: isCanceled), at: at)
                chains[key] = list
            case .deleteRule(_, let name, let entry, let position):
                let key = ChainKey(table: id, chain: name)
                var list = slots(key)
                if let at = list.indices.contains(position) && list[position].uid == entry.uid ? position
                    : list.firstIndex(where: { $0.uid == entry.uid }) {
                    list.remove(at: at)
                }
                chains[key] = list
                if !canceled.contains(entry.uid) {
                    // A handle is missing only for a rule an earlier batch added in a run that reached no
                    // kernel (trace, plan): only the kernel gives handles. Handle 0 matches no rule.
                    line = "delete rule \(id.words) \(name) handle \(entry.handle ?? 0)"
                }
            default:
                line = command.line
            }
            guard let line else { continue }
            lines.append(line)
            owners.append(index)
            text += line + "  # " + Self.place(change.location) + "\n"
        }
    }

    /// `file:line` as a comment can hold it (a newline in a file name would end it).
    static func place(_ location: SourceRange) -> String {
        String(String.UnicodeScalarView(location.shortLocation.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "?" : $0 }))
    }

    /// The line nft refused (an index into `lines`): by the line number nft
    /// names (`/proc/self/fd/5:3:1-20: Error: …`, as `nft -f` names it), or by the command it quotes.
    func refusedLine(_ errorOutput: String) -> Int? {
        for line in errorOutput.split(separator: "\n") where NftText.after(": Error: ", in: line) != nil {
            let fields = line.split(separator: ":", maxSplits: 3, omittingEmptySubsequences: false)
            if fields.count >= 3, let number = Int(fields[1]), number >= 1, number <= lines.count {
                return number - 1
            }
        }
        for line in errorOutput.split(separator: "\n") {
            let quoted = String(line)
            if let index = lines.firstIndex(where: { quoted.hasPrefix($0) }) { return index }
        }
        return nil
    }

    static func firstLine(_ text: String) -> String {
        text.count > 200 ? String(text.prefix(200)) + "…" : text
    }

    /// What nft said, without the quoted command and its carets.
    static func refusalMessage(_ errorOutput: String) -> String {
        var messages: [String] = []
        for line in errorOutput.split(separator: "\n") {
            guard let message = NftText.after("Error: ", in: line) else { continue }
            if !messages.contains(message) { messages.append(message) }
        }
        if messages.isEmpty { return errorOutput.split(separator: "\n").first.map(String.init) ?? "no message" }
        return messages.joined(separator: "; ")
    }

    /// The handles nft's echo (`nft -e -a`) gave the rules the batch added, in order.
    static func handles(inEcho output: String) -> [Int] {
        var handles: [Int] = []
        for line in output.split(separator: "\n") where line.hasPrefix("add rule ") || line.hasPrefix("insert rule ") {
            guard let handle = NftText.afterLast("# handle ", in: line).flatMap({ Int($0) }) else { continue }
            handles.append(handle)
        }
        return handles
    }
}

/// Small searches in nft's text output (wds keeps Foundation out).
enum NftText {
    /// What follows the first `marker` in `line`.
    static func after(_ marker: String, in line: Substring) -> String? {
        let parts = split(line, marker)
        return parts.count > 1 ? parts.dropFirst().joined(separator: marker) : nil
    }

    /// What follows the last `marker` in `line`.
    static func afterLast(_ marker: String, in line: Substring) -> String? {
        let parts = split(line, marker)
        return parts.count > 1 ? parts.last : nil
    }

    static func split(_ text: Substring, _ marker: String) -> [String] {
        let needle = Array(marker.utf8)
        let bytes = Array(text.utf8)
        var parts: [String] = []
        var start = 0, index = 0
        while index + needle.count <= bytes.count {
            if bytes[index..<index + needle.count].elementsEqual(needle) {
                parts.append(String(decoding: bytes[start..<index], as: UTF8.self))
                index += needle.count
                start = index
            } else {
                index += 1
            }
        }
        parts.append(String(decoding: bytes[start...], as: UTF8.self))
        return parts
    }
}
