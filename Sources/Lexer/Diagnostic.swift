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
        let hintLine = hint.map { "\(paint("hint:", .hint)) \($0)\n" } ?? ""
        var out = ""
        guard let range else {
            return "\(paint("wds:", .location)) \(label) \(paint(message, .message))\n" + hintLine
        }
        let file = range.file
        let (line, column) = file.lineAndColumn(of: range.start)
        out += "\(paint("\(file.name):\(line):\(column):", .location)) \(label) \(paint(message, .message))\n"
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
    /// byte, an escape) as their visible symbols, one character each.
    static func visible(_ line: String) -> String {
        String(String.UnicodeScalarView(line.unicodeScalars.map { scalar in
            scalar.value < 0x20 && scalar != "\t" ? Unicode.Scalar(0x2400 + scalar.value)! : scalar
        }))
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
