import Lexer

/// A value written in a script: a word (with its interpolations), a list
/// literal `[a b c]`, or a spread `...$list` that becomes several arguments.
public struct Expression: Sendable {
    public indirect enum Kind: Sendable {
        case word([WordPart])
        case list([Expression])
        /// `...$x` or `...$(cmd)`: only in a command's arguments or a list.
        case spread(Expression)
    }

    public var kind: Kind
    public var range: SourceRange

    public init(_ kind: Kind, _ range: SourceRange) {
        self.kind = kind
        self.range = range
    }

    /// The text of a word that is all literal pieces (quoted or not).
    public var literalText: String? {
        guard case .word(let parts) = kind else { return nil }
        var text = ""
        for part in parts {
            guard case .literal(let piece, _) = part.kind else { return nil }
            text += piece
        }
        return text
    }

    /// The text of a word that is all unquoted literal text (options, keywords).
    public var bareText: String? {
        guard case .word(let parts) = kind else { return nil }
        var text = ""
        for part in parts {
            guard case .literal(let piece, quoted: false) = part.kind else { return nil }
            text += piece
        }
        return text
    }
}

/// One piece of a word.
public struct WordPart: Sendable {
    public indirect enum Kind: Sendable {
        case literal(String, quoted: Bool)
        /// `$name.field…`; `name` may be a positional number (`$1`).
        case variable(name: String, fields: [String])
        /// `$( … )`: the value of a command.
        case substitution(Pipeline)
    }

    public var kind: Kind
    public var range: SourceRange

    public init(_ kind: Kind, _ range: SourceRange) {
        self.kind = kind
        self.range = range
    }
}
