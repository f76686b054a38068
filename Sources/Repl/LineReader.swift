import CReadline
import Interpreter

#if canImport(Glibc)
import Glibc
#endif

/// Where the REPL's lines come from: GNU readline on a terminal, plain reads
/// otherwise (so `printf '…' | wds repl` works in pipelines and tests).
public protocol LineReader: AnyObject {
    /// A line without its newline, or nil at end of input.
    func readLine(prompt: String) -> String?
    /// Whether Ctrl-C abandoned the input since the last call.
    func takeInterrupt() -> Bool
    func remember(_ entry: String)
    var history: [String] { get }
}

/// Plain standard input: no prompts, no editing, no history file.
public final class PlainLineReader: LineReader {
    public private(set) var history: [String] = []
    public init() {}
    public func readLine(prompt: String) -> String? { Swift.readLine(strippingNewline: true) }
    public func takeInterrupt() -> Bool { false }
    public func remember(_ entry: String) { history.append(entry) }
}

/// GNU readline: the user's ~/.inputrc and key bindings, a persistent history
/// in ~/.wds_history (or $WDS_HISTORY), capped, without duplicates, and shared
/// across sessions by appending each entry as it is made.
public final class ReadlineLineReader: LineReader {
    public static let historyCap = 1000
    let historyPath: String?

    public init(historyPath: String?, completer: Completer) {
        self.historyPath = historyPath
        ReadlineLineReader.completer = completer
        wds_readline_setup("wds", { text, state in ReadlineLineReader.generate(text, state) })
        wds_history_stifle(Int32(ReadlineLineReader.historyCap))
        if let historyPath { _ = wds_history_read(historyPath) }
    }

    public func readLine(prompt: String) -> String? {
        guard let line = wds_readline(prompt) else { return nil }
        defer { free(line) }
        return String(cString: line)
    }

    public func takeInterrupt() -> Bool { wds_readline_take_interrupt() != 0 }

    public func remember(_ entry: String) {
        guard !entry.allSatisfy({ $0 == " " || $0 == "\t" }) else { return }
        // One history line per statement: a block's lines joined by "; " still parse as the same block.
        let line = entry.split(separator: "\n").joined(separator: "; ")
        wds_history_add_unique(line)
        if let historyPath { saveHistory(adding: line, to: historyPath) }
    }

    /// Re-reads the file (other sessions may have added to it), drops older
    /// copies of the line, appends it, caps the length, and replaces the file
    /// atomically.
    func saveHistory(adding line: String, to path: String) {
        var lines = FileBytes.read(path).map { String(decoding: $0, as: UTF8.self).split(separator: "\n").map(String.init) } ?? []
        lines.removeAll { $0 == line }
        lines.append(line)
        if lines.count > ReadlineLineReader.historyCap { lines.removeFirst(lines.count - ReadlineLineReader.historyCap) }
        let temporary = path + ".\(getpid()).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        let bytes = Array(lines.map { $0 + "\n" }.joined().utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        if written == bytes.count { rename(temporary, path) } else { unlink(temporary) }
    }

    public var history: [String] {
        (0..<Int(wds_history_length())).compactMap { wds_history_get(Int32($0)).map { String(cString: $0) } }
    }

    // Readline calls a C function pointer, which cannot capture context: the
    // completer and its current candidates live here. The REPL is single-threaded.
    nonisolated(unsafe) static var completer: Completer?
    nonisolated(unsafe) static var candidates: [String] = []

    static func generate(_ text: UnsafePointer<CChar>?, _ state: Int32) -> UnsafeMutablePointer<CChar>? {
        if state == 0 {
            let word = text.map { String(cString: $0) } ?? ""
            let line = String(cString: wds_readline_line_buffer())
            let start = Int(wds_readline_completion_start())
            candidates = completer?.candidates(line: line, wordStart: start, word: word) ?? []
            if candidates.count == 1, completer?.appendsSpace(line: line, wordStart: start, candidate: candidates[0]) == false {
                wds_readline_no_append()
            }
        }
        guard Int(state) < candidates.count else { return nil }
        return strdup(candidates[Int(state)])
    }
}
