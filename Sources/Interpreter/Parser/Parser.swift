import Lexer

/// Builds the AST from tokens. One parse function per grammar rule, the rule
/// in its doc comment (the same grammar as docs/language.md). The parser
/// collects every error, resynchronizes at the next statement, and reports
/// `isIncomplete` when the input merely stopped early (for the REPL).
public struct Parser {
    /// Blocks and substitutions nested deeper than this are refused.
    public static let maximumNesting = 100

    var tokens: [Token]
    var index = 0
    var nesting = 0
    public internal(set) var diagnostics: [Diagnostic] = []
    /// The input ended inside a block, list, string or after `&&`: more may come.
    public internal(set) var isIncomplete = false
    /// An error at the end of input (an unclosed block, nesting too deep) was
    /// reported: the enclosing blocks, also unclosed, need not say it again.
    var reportedEndOfInput = false

    public init(tokens: [Token]) {
        self.tokens = tokens
    }

    /// Parses a whole file: tokens → statements, with all diagnostics.
    public static func parse(_ file: SourceFile) -> (statements: [Statement], diagnostics: [Diagnostic], incomplete: Bool) {
        var parser = Parser(tokens: Lexer.tokenize(file))
        let statements = parser.parseProgram()
        return (statements, parser.diagnostics, parser.isIncomplete)
    }

    /// `parse`, keeping the comments for the formatter, which puts them back by position.
    public static func parseKeepingComments(_ file: SourceFile)
        -> (statements: [Statement], comments: [Comment], diagnostics: [Diagnostic]) {
        let (tokens, comments) = Lexer.tokenizeKeepingComments(file)
        var parser = Parser(tokens: tokens)
        let statements = parser.parseProgram()
        return (statements, comments, parser.diagnostics)
    }

    /// Thrown inside a statement to abandon it; the diagnostic is already recorded.
    struct Bail: Error {}

    // MARK: - Token access

    var current: Token { tokens[index] }

    func peek(_ offset: Int = 1) -> Token {
        tokens[min(index + offset, tokens.count - 1)]
    }

    mutating func advance() -> Token {
        let token = tokens[index]
        if index < tokens.count - 1 { index += 1 }
        return token
    }

    var atEnd: Bool {
        if case .endOfInput = current.kind { return true }
        return false
    }

    func isKeyword(_ token: Token, _ keyword: String) -> Bool {
        token.word?.bareText == keyword
    }

    mutating func fail(_ message: String, at range: SourceRange, hint: String? = nil,
                       notes: [Diagnostic] = []) -> Bail {
        if case .endOfInput = current.kind, range.start >= current.range.start { isIncomplete = true }
        diagnostics.append(Diagnostic(message, at: range, hint: hint, notes: notes))
        return Bail()
    }

    /// Reports an error token from the lexer.
    mutating func lexError(_ token: Token) -> Bail {
        guard case .error(let message, let hint) = token.kind else { return Bail() }
        if message.hasPrefix("unterminated") { isIncomplete = true }
        diagnostics.append(Diagnostic(message, at: token.range, hint: hint))
        return Bail()
    }

    mutating func skipNewlines() {
        while true {
            switch current.kind {
            case .newline, .semicolon: _ = advance()
            default: return
            }
        }
    }

    /// After an error: skip to the start of the next statement at this level,
    /// first closing `depth` braces that the failed statement opened.
    mutating func synchronize(depth openBraces: Int = 0) {
        var depth = openBraces
        while true {
            switch current.kind {
            case .endOfInput: return
            case .newline, .semicolon:
                if depth == 0 { _ = advance(); return }
                _ = advance()
            case .leftBrace:
                depth += 1
                _ = advance()
            case .rightBrace:
                if depth == 0 { return }
                depth -= 1
                _ = advance()
            default:
                _ = advance()
            }
        }
    }

    mutating func enterNesting(at range: SourceRange) throws {
        nesting += 1
        if nesting > Parser.maximumNesting {
            // Said once: the rest of the input is skipped, or every deeper line would repeat it.
            let bail = fail("nesting too deep (more than \(Parser.maximumNesting) levels)", at: range,
                            hint: "split the script into functions")
            index = tokens.count - 1
            reportedEndOfInput = true
            throw bail
        }
    }

    mutating func leaveNesting() { nesting -= 1 }

    /// The input ended inside a block or list. Only the innermost is reported.
    mutating func unclosed(_ message: String, note: Diagnostic) -> Bail {
        isIncomplete = true
        if reportedEndOfInput { return Bail() }
        reportedEndOfInput = true
        return fail(message, at: current.range, notes: [note])
    }

    // MARK: - Program

    /// program = { separator } { statement { separator } } ;
    mutating func parseProgram() -> [Statement] {
        var statements: [Statement] = []
        skipNewlines()
        while !atEnd {
            if case .rightBrace = current.kind {
                _ = fail("unexpected '}' with no block open", at: current.range)
                _ = advance()
                skipNewlines()
                continue
            }
            if let statement = parseStatementRecovering() { statements.append(statement) }
            skipNewlines()
        }
        return statements
    }

    mutating func parseStatementRecovering() -> Statement? {
        let start = index
        do {
            let statement = try parseStatement()
            try expectEndOfStatement()
            return statement
        } catch {
            if index == start { _ = advance() }
            // Braces this statement opened before the error are still open: skip to their close.
            let opened = tokens[start..<index].reduce(0) { depth, token in
                switch token.kind {
                case .leftBrace: return depth + 1
                case .rightBrace: return depth - 1
                default: return depth
                }
            }
            synchronize(depth: max(0, opened))
            return nil
        }
    }

    /// separator = NEWLINE | ";" ; a statement may also end before `}` or at the end.
    mutating func expectEndOfStatement() throws {
        switch current.kind {
        case .newline, .semicolon, .rightBrace, .endOfInput: return
        case .error: throw lexError(current)
        default:
            throw fail("expected end of statement, found \(current.display)", at: current.range,
                       hint: "put one statement per line, or separate them with ';'")
        }
    }

    /// block = "{" { separator } { statement { separator } } "}" ;
    mutating func parseBlock(after keyword: String, keywordRange: SourceRange) throws -> Block {
        guard case .leftBrace = current.kind else {
            if case .error = current.kind { throw lexError(current) }
            throw fail("expected '{' to open the body of '\(keyword)', found \(current.display)", at: current.range,
                       hint: keyword == "for" ? "wds writes `for x in $list { … }`; there is no 'do' or 'done'"
                           : ["if", "elif", "while"].contains(keyword)
                           ? "wds writes `\(keyword) condition { … }`; there is no 'then', 'do' or 'fi'" : nil)
        }
        let open = advance()
        try enterNesting(at: open.range)
        defer { leaveNesting() }
        var statements: [Statement] = []
        skipNewlines()
        while true {
            if case .rightBrace = current.kind { break }
            if atEnd {
                throw unclosed("expected '}' to close '\(keyword)' from line \(open.range.line)",
                               note: .note("the block opened here", at: open.range))
            }
            if let statement = parseStatementRecovering() { statements.append(statement) }
            skipNewlines()
        }
        let close = advance()
        return Block(statements, open.range.union(close.range))
    }
}
