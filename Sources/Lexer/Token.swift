/// Tokens of wds. Words are not plain strings: a word is the sequence of
/// pieces written next to each other (`w-$id-0`, `"a $x"'b'`), and a `$( … )`
/// piece holds the tokens of the command inside it, lexed recursively.
public struct Token: Sendable {
    public enum Kind: Sendable {
        case word(Word)
        case newline
        case semicolon
        case leftBrace, rightBrace
        case leftParen, rightParen
        case leftBracket, rightBracket
        case and, or  // `&&`, `||`
        case endOfInput
        /// The lexer never throws: what it cannot read becomes an error token
        /// that the parser reports and skips.
        case error(message: String, hint: String?)
    }

    public var kind: Kind
    public var range: SourceRange
    /// Whether blank space (or a line continuation) came before the token.
    public var spaceBefore: Bool

    public init(_ kind: Kind, _ range: SourceRange, spaceBefore: Bool) {
        self.kind = kind
        self.range = range
        self.spaceBefore = spaceBefore
    }

    public var word: Word? {
        if case .word(let word) = kind { return word }
        return nil
    }

    /// A short description for "expected X, found Y" messages.
    public var display: String {
        switch kind {
        case .word(let word): return "'\(word.range.file.text(word.range))'"
        case .newline: return "end of line"
        case .semicolon: return "';'"
        case .leftBrace: return "'{'"
        case .rightBrace: return "'}'"
        case .leftParen: return "'('"
        case .rightParen: return "')'"
        case .leftBracket: return "'['"
        case .rightBracket: return "']'"
        case .and: return "'&&'"
        case .or: return "'||'"
        case .endOfInput: return "end of input"
        case .error: return "invalid input"
        }
    }
}

/// A word: adjacent pieces with no blank between them.
public struct Word: Sendable {
    public enum Piece: Sendable {
        /// Literal text; `quoted` when it came from '…' or "…".
        case literal(String, quoted: Bool, SourceRange)
        /// `$name`, `${name}`, `$name.field.field`, `$1`.
        case variable(name: String, fields: [String], SourceRange)
        /// `$( … )`, with the tokens inside.
        case substitution([Token], SourceRange)
    }

    public var pieces: [Piece]
    public var range: SourceRange

    public init(pieces: [Piece], range: SourceRange) {
        self.pieces = pieces
        self.range = range
    }

    /// The text of a word made only of unquoted literal text: the form that
    /// keywords, operators and option names must have. Quoting a word, or
    /// building it from a variable, always makes it a plain value.
    public var bareText: String? {
        var text = ""
        for piece in pieces {
            guard case .literal(let part, quoted: false, _) = piece else { return nil }
            text += part
        }
        return text
    }

    /// The text of a word made only of literal pieces, quoted or not.
    public var literalText: String? {
        var text = ""
        for piece in pieces {
            guard case .literal(let part, _, _) = piece else { return nil }
            text += part
        }
        return text
    }

    public var isQuoted: Bool {
        pieces.contains { if case .literal(_, quoted: true, _) = $0 { return true } else { return false } }
    }
}
