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
    /// The run's number of the rule each rule-adding line adds, in order, and the chain it goes to.
    private(set) var addedRules: [Int] = []
    private(set) var addedRuleChains: [(NftTableID, String)] = []

    private struct Slot {
        var uid: Int
        var handle: Int?
        var canceled: Bool
    }

    private struct ChainKey: Hashable {
        var table: NftTableID
        var chain: String
    }

    /// How each chain looks as the model has it (every rule, canceled ones
    /// included) and as nft's cache has it while it reads the batch: the
    /// rules at the batch's start and those it added. nft 1.0.6 takes a rule
    /// out of its cache neither when the batch deletes it nor when it flushes
    /// the chain, and reads `index N` against that cache
    /// (docs/nftables-notes.md). So a rule is placed by the handle of the rule
    /// before it (`position H`) or after it (`insert … position H`) where the
    /// kernel gave one, and by `index` only between two rules of the batch.
    private struct ChainState {
        var model: [Slot]
        var cache: [Slot]
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
        var chains: [ChainKey: ChainState] = [:]
        func state(_ key: ChainKey) -> ChainState {
            if let known = chains[key] { return known }
            var slots: [Slot] = []
            if case .chain(let chain)? = snapshots[.chain(key.table, key.chain)] {
                slots = chain?.rules.map { Slot(uid: $0.uid, handle: $0.handle, canceled: false) } ?? []
            }
            return ChainState(model: slots, cache: slots)
        }
        for (index, change) in changes.enumerated() {
            let command = change.command
            let id = command.table
            var line: String?
            switch command {
            case .deleteTable, .flushTable:
                for key in chains.keys where key.table == id { chains[key]!.model = [] }
                line = command.line
            case .addChain(_, let name, _, _):
                let key = ChainKey(table: id, chain: name)
                chains[key] = state(key)
                line = command.line
            case .deleteChain(_, let name), .flushChain(_, let name):
                let key = ChainKey(table: id, chain: name)
                var chain = state(key)
                chain.model = []
                chains[key] = chain
                line = command.line
            case .addRule(_, let name, let entry, let position):
                let key = ChainKey(table: id, chain: name)
                var chain = state(key)
                let at = min(position, chain.model.count)
                let slot = Slot(uid: entry.uid, handle: nil, canceled: canceled.contains(entry.uid))
                if !slot.canceled {
                    let previous = chain.model[..<at].last { !$0.canceled }
                    let next = chain.model[at...].first { !$0.canceled }
                    let head = "rule \(id.words) \(name)"
                    let rule = entry.text(family: id.family)
                    var cacheAt: Int
                    if let previous, let handle = previous.handle {
                        line = "add \(head) position \(handle) \(rule)"
                        cacheAt = (chain.cache.firstIndex { $0.uid == previous.uid } ?? chain.cache.count - 1) + 1
                    } else if previous == nil {
                        line = next == nil ? "add \(head) \(rule)" : "insert \(head) \(rule)"
                        cacheAt = next == nil ? chain.cache.count : 0
                    } else if next == nil {
                        line = "add \(head) \(rule)"
                        cacheAt = chain.cache.count
                    } else if let next, let handle = next.handle {
                        line = "insert \(head) position \(handle) \(rule)"
                        cacheAt = chain.cache.firstIndex { $0.uid == next.uid } ?? chain.cache.count
                    } else {
                        let anchor = chain.cache.firstIndex { $0.uid == previous!.uid } ?? chain.cache.count - 1
                        line = "add \(head) index \(anchor) \(rule)"
                        cacheAt = anchor + 1
                    }
                    chain.cache.insert(slot, at: min(cacheAt, chain.cache.count))
                    addedRules.append(entry.uid)
                    addedRuleChains.append((id, name))
                }
                chain.model.insert(slot, at: at)
                chains[key] = chain
            case .deleteRule(_, let name, let entry, let position):
                let key = ChainKey(table: id, chain: name)
                var chain = state(key)
                if let at = chain.model.indices.contains(position) && chain.model[position].uid == entry.uid ? position
                    : chain.model.firstIndex(where: { $0.uid == entry.uid }) {
                    chain.model.remove(at: at)
                }
                chains[key] = chain
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
