/// The one error type of wds. Lexer, parser, checker, interpreter, builtins
/// and backends all report through it, so every failure renders the same way:
///
///     net.wds:12:5: error: unknown chain 'FORWRD' in table 'filter'
///        12 | rule append FORWRD --jump DROP
///           |             ^~~~~~
///     hint: did you mean 'FORWARD'?
public struct Diagnostic: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Severity: String, Sendable { case error, note }

    public var severity: Severity
    public var message: String
    /// Where it happened; `nil` only for errors with no script behind them
    /// (a missing script file, a bad command-line flag).
    public var range: SourceRange?
    public var hint: String?
    /// Further located remarks, e.g. where an unclosed block began.
    public var notes: [Diagnostic]

    public init(_ message: String, at range: SourceRange?, hint: String? = nil,
                notes: [Diagnostic] = [], severity: Severity = .error) {
        self.severity = severity
        self.message = message
        self.range = range
        self.hint = hint
        self.notes = notes
    }

    public static func note(_ message: String, at range: SourceRange?) -> Diagnostic {
        Diagnostic(message, at: range, severity: .note)
    }

    public var description: String { render() }

    /// Whether `render()` colours its text for a terminal (ANSI escapes). The
    /// command line sets it once, from `--color`, `NO_COLOR` and whether
    /// standard error is a terminal; nothing else changes it.
    nonisolated(unsafe) public static var colors = false

    /// The parts of a rendered diagnostic that are coloured, as clang and rustc colour them.
    enum Paint {
        case location, error, note, message, gutter, caret, hint

        /// The SGR parameters: bold, bold red, bold cyan, bold, blue, bold green, bold cyan.
        var code: String {
            switch self {
            case .location, .message: return "1"
            case .error: return "1;31"
            case .note, .hint: return "1;36"
            case .gutter: return "34"
            case .caret: return "1;32"
            }
        }
    }

    static func paint(_ text: String, _ paint: Paint, _ colors: Bool) -> String {
        colors ? "\u{1B}[\(paint.code)m\(text)\u{1B}[0m" : text
    }

    /// `file:line:col: error: message`, the source line, a caret and tildes
    /// under the span, then the hint and any notes; coloured if `colors`.
    public func render(colors: Bool = Diagnostic.colors) -> String {
        func paint(_ text: String, _ paint: Paint) -> String { Diagnostic.paint(text, paint, colors) }
        let label = paint("\(severity.rawValue):", severity == .error ? .error : .note)
        var out = ""
        // Messages and hints quote values (a path, a program's complaint): escaped, so none can forge a line.
        let message = Diagnostic.escaped(self.message)
        let hintLine = self.hint.map { "\(paint("hint:", .hint)) \(Diagnostic.escaped($0))\n" } ?? ""
        guard let range else {
            return "\(paint("wds:", .location)) \(label) \(paint(message, .message))\n" + hintLine
        }
        let file = range.file
        let (line, column) = file.lineAndColumn(of: range.start)
        out += "\(paint("\(Diagnostic.escaped(file.name)):\(line):\(column):", .location)) \(label) \(paint(message, .message))\n"
        let text = file.lineText(line)
        let gutter = String(line)
        out += " \(paint("\(gutter) |", .gutter)) \(Diagnostic.visible(text))\n"
        let (endLine, endColumn) = file.lineAndColumn(of: max(range.start, range.end - 1))
        let lineWidth = text.utf8.count
        var width = endLine == line ? endColumn - column + 1 : lineWidth - column + 1
        width = max(1, min(width, max(1, lineWidth - column + 1)))
        if range.end == range.start { width = 1 }
        // Columns are bytes; the caret goes under characters. Keep tabs so it lines up under a tab-indented line.
        let before = String(decoding: text.utf8.prefix(column - 1), as: UTF8.self)
        let padding = String(before.map { $0 == "\t" ? "\t" : " " })
        let span = String(decoding: text.utf8.dropFirst(column - 1).prefix(width), as: UTF8.self)
        let tildes = String(repeating: "~", count: max(1, span.count) - 1)
        out += " \(paint("\(String(repeating: " ", count: gutter.count)) |", .gutter)) \(padding)\(paint("^\(tildes)", .caret))\n"
        out += hintLine
        for note in notes { out += note.render(colors: colors) }
        return out
    }

    /// A source line as shown under a diagnostic: control characters (a NUL
    /// byte, an escape, DEL) as their visible symbols, and the other characters
    /// a terminal acts on (C1 controls, bidirectional overrides) as U+FFFD, one
    /// character each so the caret stays under its column.
    static func visible(_ line: String) -> String {
        String(String.UnicodeScalarView(line.unicodeScalars.map { scalar in
            if scalar.value < 0x20 && scalar != "\t" { return Unicode.Scalar(0x2400 + scalar.value)! }
            if scalar.value == 0x7F { return "\u{2421}" }
            return actsOnTerminal(scalar) ? "\u{FFFD}" : scalar
        }))
    }

    /// Text from a value as a diagnostic (or `fail`) shows it: every character
    /// a terminal would act on instead of showing — a newline or carriage
    /// return that starts a line of its own, an escape sequence, DEL, C1
    /// controls, bidirectional overrides — written as an escape (`\n`, `\r`,
    /// `\x1b`, `\u{202e}`), so a value cannot forge a diagnostic line or
    /// recolor the terminal. A tab is kept.
    public static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { ($0.value < 0x20 && $0 != "\t") || $0.value == 0x7F || actsOnTerminal($0) }) else {
            return text
        }
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\x" + (hex.count == 1 ? "0" + hex : hex)
                } else if actsOnTerminal(scalar) {
                    out += "\\u{" + String(scalar.value, radix: 16) + "}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    /// C1 controls (U+0080–U+009F: U+009B is a CSI to some terminals) and the
    /// bidirectional embeddings, overrides and isolates that reorder a line.
    static func actsOnTerminal(_ scalar: Unicode.Scalar) -> Bool {
        (0x80...0x9F).contains(scalar.value) || (0x202A...0x202E).contains(scalar.value) || (0x2066...0x2069).contains(scalar.value)
    }

    public static func == (a: Diagnostic, b: Diagnostic) -> Bool {
        a.severity == b.severity && a.message == b.message && a.range == b.range && a.hint == b.hint
    }
}

/// Several diagnostics found together (the checker reports all it finds).
public struct DiagnosticList: Error, Sendable {
    public var diagnostics: [Diagnostic]
    public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }
    public func render(colors: Bool = Diagnostic.colors) -> String { diagnostics.map { $0.render(colors: colors) }.joined() }
}
