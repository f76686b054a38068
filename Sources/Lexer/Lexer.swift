/// Turns a source file into tokens. It never throws: anything it cannot read
/// becomes an `.error` token, so the parser can report every problem in one
/// pass and nothing runs while any stands.
public struct Lexer {
    /// `$( … )` inside `$( … )` deeper than this is refused, not recursed into.
    public static let maximumNesting = 64

    private let file: SourceFile
    private let bytes: [UInt8]
    private var position: Int
    private var depth: Int
    /// Every comment skipped so far, in source order (for the formatter).
    public private(set) var comments: [Comment] = []

    public init(file: SourceFile) {
        self.file = file
        self.bytes = file.bytes
        self.position = 0
        self.depth = 0
    }

    /// All tokens of the file, ending with `.endOfInput`.
    public static func tokenize(_ file: SourceFile) -> [Token] {
        var lexer = Lexer(file: file)
        var tokens = lexer.encodingErrors()
        tokens += lexer.lexTokens(closingParen: false)
        return tokens
    }

    /// The tokens, and the comments between them (those inside `$( … )` too).
    public static func tokenizeKeepingComments(_ file: SourceFile) -> (tokens: [Token], comments: [Comment]) {
        var lexer = Lexer(file: file)
        var tokens = lexer.encodingErrors()
        tokens += lexer.lexTokens(closingParen: false)
        return (tokens, lexer.comments)
    }

    // MARK: - Encoding

    /// Invalid UTF-8 and NUL bytes are reported once each, up front.
    private func encodingErrors() -> [Token] {
        var errors: [Token] = []
        if let offset = bytes.firstIndex(of: 0) {
            errors.append(errorToken("NUL byte in source", at: offset, offset + 1))
        }
        if let offset = Lexer.firstInvalidUTF8(bytes) {
            errors.append(errorToken("invalid UTF-8 in source", at: offset, offset + 1,
                                     hint: "wds scripts are UTF-8 text"))
        }
        return errors
    }

    static func firstInvalidUTF8(_ bytes: [UInt8]) -> Int? {
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            let length: Int
            if b < 0x80 { length = 1 }
            else if b >= 0xC2 && b <= 0xDF { length = 2 }
            else if b >= 0xE0 && b <= 0xEF { length = 3 }
            else if b >= 0xF0 && b <= 0xF4 { length = 4 }
            else { return i }
            if i + length > bytes.count { return i }
            for k in 1..<max(1, length) where bytes[i + k] & 0xC0 != 0x80 { return i }
            if length == 3 {
                let b1 = bytes[i + 1]
                if (b == 0xE0 && b1 < 0xA0) || (b == 0xED && b1 > 0x9F) { return i }
            } else if length == 4 {
                let b1 = bytes[i + 1]
                if (b == 0xF0 && b1 < 0x90) || (b == 0xF4 && b1 > 0x8F) { return i }
            }
            i += length
        }
        return nil
    }

    // MARK: - Token stream

    private func peek(_ offset: Int = 0) -> UInt8? {
        position + offset < bytes.count ? bytes[position + offset] : nil
    }

    private func range(_ start: Int, _ end: Int) -> SourceRange {
        SourceRange(file: file, start: start, end: end)
    }

    private func errorToken(_ message: String, at start: Int, _ end: Int, hint: String? = nil) -> Token {
        Token(.error(message: message, hint: hint), range(start, end), spaceBefore: true)
    }

    /// Lexes until end of input, or, inside `$(`, until its matching `)`.
    mutating func lexTokens(closingParen: Bool) -> [Token] {
        var tokens: [Token] = []
        var parenDepth = 0
        while true {
            let spaceBefore = skipBlanksAndComments()
            let start = position
            guard let c = peek() else {
                tokens.append(Token(.endOfInput, range(start, start), spaceBefore: spaceBefore))
                return tokens
            }
            func single(_ kind: Token.Kind) {
                position += 1
                tokens.append(Token(kind, range(start, position), spaceBefore: spaceBefore))
            }
            switch c {
            case UInt8(ascii: "\n"): single(.newline)
            case UInt8(ascii: ";"): single(.semicolon)
            case UInt8(ascii: "{"): single(.leftBrace)
            case UInt8(ascii: "}"): single(.rightBrace)
            case UInt8(ascii: "["): single(.leftBracket)
            case UInt8(ascii: "]"): single(.rightBracket)
            case UInt8(ascii: "("):
                parenDepth += 1
                single(.leftParen)
            case UInt8(ascii: ")"):
                if closingParen && parenDepth == 0 {
                    // The caller consumes the `)` that closes the substitution.
                    tokens.append(Token(.endOfInput, range(start, start), spaceBefore: spaceBefore))
                    return tokens
                }
                parenDepth -= 1
                single(.rightParen)
            case UInt8(ascii: "&"):
                if peek(1) == UInt8(ascii: "&") {
                    position += 2
                    tokens.append(Token(.and, range(start, position), spaceBefore: spaceBefore))
                } else {
                    position += 1
                    tokens.append(errorToken("'&' is not supported: wds does not run commands in the background",
                                             at: start, position))
                }
            case UInt8(ascii: "|"):
                if peek(1) == UInt8(ascii: "|") {
                    position += 2
                    tokens.append(Token(.or, range(start, position), spaceBefore: spaceBefore))
                } else {
                    position += 1
                    tokens.append(errorToken("'|' is not supported: wds has no pipelines", at: start, position,
                                             hint: "builtins return values: use $(…) and helpers such as split, contains, lines"))
                }
            case UInt8(ascii: "`"):
                position += 1
                tokens.append(errorToken("backquotes are not supported", at: start, position,
                                         hint: "write $(command) for a command's value"))
            default:
                tokens.append(lexWord(spaceBefore: spaceBefore))
            }
        }
    }

    /// Skips blanks, `\` line continuations and `#` comments; says whether any were skipped.
    private mutating func skipBlanksAndComments() -> Bool {
        var skipped = false
        while let c = peek() {
            if c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") || c == UInt8(ascii: "\r") {
                position += 1
            } else if c == UInt8(ascii: "\\") && peek(1) == UInt8(ascii: "\n") {
                position += 2
            } else if c == UInt8(ascii: "\\") && peek(1) == UInt8(ascii: "\r") && peek(2) == UInt8(ascii: "\n") {
                position += 3
            } else if c == UInt8(ascii: "#") {
                let start = position
                while let d = peek(), d != UInt8(ascii: "\n") { position += 1 }
                var end = position
                while end > start, [UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r")].contains(bytes[end - 1]) { end -= 1 }
                comments.append(Comment(text: String(decoding: bytes[start..<end], as: UTF8.self), range: range(start, end)))
            } else {
                break
            }
            skipped = true
        }
        return skipped
    }

    private static func endsBareWord(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: "\n"),
             UInt8(ascii: ";"), UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: "("), UInt8(ascii: ")"),
             UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "&"), UInt8(ascii: "|"), UInt8(ascii: "`"):
            return true
        default:
            return false
        }
    }

    static func isNameStart(_ c: UInt8) -> Bool {
        (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
            || c == UInt8(ascii: "_")
    }

    static func isNameCharacter(_ c: UInt8) -> Bool {
        isNameStart(c) || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9"))
    }

    // MARK: - Words

    private mutating func lexWord(spaceBefore: Bool) -> Token {
        let start = position
        var pieces: [Word.Piece] = []
        var literal: [UInt8] = []
        var literalStart = position
        func flushLiteral(_ end: Int) {
            if !literal.isEmpty {
                pieces.append(.literal(String(decoding: literal, as: UTF8.self), quoted: false, range(literalStart, end)))
                literal = []
            }
        }
        while let c = peek(), !Lexer.endsBareWord(c) {
            switch c {
            case UInt8(ascii: "'"):
                flushLiteral(position)
                let open = position
                position += 1
                var text: [UInt8] = []
                while let d = peek(), d != UInt8(ascii: "'") {
                    text.append(d)
                    position += 1
                }
                guard peek() == UInt8(ascii: "'") else {
                    return errorToken("unterminated single-quoted string", at: open, open + 1,
                                      hint: "close it with a ' (a single-quoted string has no escapes)")
                }
                position += 1
                pieces.append(.literal(String(decoding: text, as: UTF8.self), quoted: true, range(open, position)))
                literalStart = position
            case UInt8(ascii: "\""):
                flushLiteral(position)
                if let error = lexDoubleQuoted(into: &pieces) { return error }
                literalStart = position
            case UInt8(ascii: "$"):
                let dollar = position
                switch lexDollar() {
                case .piece(let piece):
                    flushLiteral(dollar)
                    pieces.append(piece)
                    literalStart = position
                case .literalDollar:
                    // A `$` that starts nothing is text, part of the literal around it.
                    if literal.isEmpty { literalStart = dollar }
                    literal.append(c)
                case .error(let token): return token
                }
            case UInt8(ascii: "\\"):
                if literal.isEmpty { literalStart = position }
                position += 1
                if peek() == UInt8(ascii: "\n") {
                    position += 1  // a line continuation inside a word joins the lines, as in sh
                } else if peek() == UInt8(ascii: "\r") && peek(1) == UInt8(ascii: "\n") {
                    position += 2
                } else if peek() == UInt8(ascii: "\r") && peek(1) != nil {
                    // A quoted CR before blanks and a newline: `wds fmt` drops the blanks, and `\` CR LF is
                    // a continuation. Nothing needs a quoted CR (write "\r"), so it is an error.
                    return errorToken("a backslash before a lone carriage return escapes nothing", at: position - 1, position + 1,
                                      hint: "remove the backslash; in a word, write a carriage return as \"\\r\"")
                } else if let d = peek(), d != UInt8(ascii: "\r") {
                    // A backslash quotes the next character: `\ ` or `\;` stay in the word.
                    flushLiteral(position - 1)
                    literalStart = position - 1
                    position += 1
                    pieces.append(.literal(String(decoding: [d], as: UTF8.self), quoted: true, range(literalStart, position)))
                    literalStart = position
                } else {
                    // Nothing follows (or only a carriage return): the backslash would quietly vanish
                    // here, or quote the CR, and turn into a continuation once a newline is added
                    // (by an editor, or by `wds fmt`).
                    return errorToken("a backslash at the end of the file escapes nothing", at: position - 1, position,
                                      hint: "remove it, or put the line it continues after it")
                }
            default:
                if literal.isEmpty { literalStart = position }
                literal.append(c)
                position += 1
            }
        }
        flushLiteral(position)
        let word = Word(pieces: pieces, range: range(start, position))
        return Token(.word(word), range(start, position), spaceBefore: spaceBefore)
    }

    private mutating func lexDoubleQuoted(into pieces: inout [Word.Piece]) -> Token? {
        let open = position
        position += 1
        var text: [UInt8] = []
        var textStart = position
        func flush(_ end: Int, force: Bool = false) {
            if !text.isEmpty || force {
                pieces.append(.literal(String(decoding: text, as: UTF8.self), quoted: true, range(textStart, end)))
                text = []
            }
        }
        let piecesBefore = pieces.count
        while let c = peek(), c != UInt8(ascii: "\"") {
            if c == UInt8(ascii: "\\"), let d = peek(1) {
                position += 2
                switch d {
                case UInt8(ascii: "n"): text.append(UInt8(ascii: "\n"))
                case UInt8(ascii: "t"): text.append(UInt8(ascii: "\t"))
                case UInt8(ascii: "r"): text.append(UInt8(ascii: "\r"))
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "$"), UInt8(ascii: "`"): text.append(d)
                case UInt8(ascii: "\n"): break  // continuation inside a string
                default: text.append(c); text.append(d)
                }
            } else if c == UInt8(ascii: "$") {
                let dollar = position
                switch lexDollar() {
                case .piece(let piece):
                    flush(dollar)
                    pieces.append(piece)
                    textStart = position
                case .literalDollar:
                    text.append(c)
                case .error(let token):
                    // Skip the rest of the string, so its closing quote does not open another.
                    while let d = peek(), d != UInt8(ascii: "\"") {
                        position += d == UInt8(ascii: "\\") ? 2 : 1
                    }
                    if peek() == UInt8(ascii: "\"") { position += 1 }
                    return token
                }
            } else {
                text.append(c)
                position += 1
            }
        }
        guard peek() == UInt8(ascii: "\"") else {
            return errorToken("unterminated double-quoted string", at: open, open + 1,
                              hint: "close it with a \"")
        }
        // `""` is still a piece: an empty, quoted string.
        flush(position, force: pieces.count == piecesBefore)
        position += 1
        return nil
    }

    private enum DollarResult {
        case piece(Word.Piece)
        case literalDollar
        case error(Token)
    }

    /// After `$`: a variable, `${…}`, `$( … )`, or a shell habit to explain.
    private mutating func lexDollar() -> DollarResult {
        let start = position
        position += 1
        guard let c = peek() else { return .literalDollar }
        if c == UInt8(ascii: "(") {
            position += 1
            if depth >= Lexer.maximumNesting {
                // Skip to the end of the line: we will not recurse any deeper.
                while let d = peek(), d != UInt8(ascii: "\n") { position += 1 }
                return .error(errorToken("command substitutions nested too deeply (more than \(Lexer.maximumNesting))",
                                         at: start, start + 2))
            }
            depth += 1
            let inner = lexTokens(closingParen: true)
            depth -= 1
            guard peek() == UInt8(ascii: ")") else {
                // An error inside (an unterminated quote, nesting too deep) is what swallowed the `)`.
                if let inner = inner.first(where: { if case .error = $0.kind { return true } else { return false } }) {
                    return .error(inner)
                }
                return .error(errorToken("unterminated '$(': expected ')'", at: start, start + 2))
            }
            position += 1
            return .piece(.substitution(inner, range(start, position)))
        }
        if c == UInt8(ascii: "{") {
            position += 1
            guard let (name, fields) = lexNameAndFields(allowDigits: true), peek() == UInt8(ascii: "}") else {
                while let d = peek(), d != UInt8(ascii: "}") && d != UInt8(ascii: "\n") && d != UInt8(ascii: "\"") { position += 1 }
                if peek() == UInt8(ascii: "}") { position += 1 }
                return .error(errorToken("bad '${…}': expected a variable name, then optional .fields, then '}'",
                                         at: start, position,
                                         hint: "wds has no ${x:-default} forms: use `env NAME DEFAULT` or an if"))
            }
            position += 1
            return .piece(.variable(name: name, fields: fields, range(start, position)))
        }
        if Lexer.isNameStart(c) || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) {
            let (name, fields) = lexNameAndFields(allowDigits: true)!
            return .piece(.variable(name: name, fields: fields, range(start, position)))
        }
        let habits: [UInt8: (String, String)] = [
            UInt8(ascii: "?"): ("'$?' is not supported", "use the command as a condition: `if cmd { … }`, `cmd || …`, or `try { … } catch err { … }`"),
            UInt8(ascii: "#"): ("'$#' is not supported", "the number of script arguments is $argc"),
            UInt8(ascii: "@"): ("'$@' is not supported", "the script arguments are the list $args; spread it with ...$args"),
            UInt8(ascii: "*"): ("'$*' is not supported", "the script arguments are the list $args; join them with $(join $args \" \")"),
            UInt8(ascii: "$"): ("'$$' is not supported", "wds has no process-id variable"),
            UInt8(ascii: "!"): ("'$!' is not supported", "wds does not run commands in the background"),
        ]
        if let (message, hint) = habits[c] {
            position += 1
            return .error(errorToken(message, at: start, position, hint: hint))
        }
        return .literalDollar
    }

    /// `name(.field)*`; a name may be all digits (`$1`). Fields must be names.
    private mutating func lexNameAndFields(allowDigits: Bool) -> (String, [String])? {
        guard let first = peek() else { return nil }
        var name: [UInt8] = []
        if first >= UInt8(ascii: "0") && first <= UInt8(ascii: "9") {
            while let d = peek(), d >= UInt8(ascii: "0") && d <= UInt8(ascii: "9") {
                name.append(d)
                position += 1
            }
            return (String(decoding: name, as: UTF8.self), [])
        }
        guard Lexer.isNameStart(first) else { return nil }
        while let d = peek(), Lexer.isNameCharacter(d) {
            name.append(d)
            position += 1
        }
        var fields: [String] = []
        while peek() == UInt8(ascii: "."), let next = peek(1), Lexer.isNameStart(next) {
            position += 1
            var field: [UInt8] = []
            while let d = peek(), Lexer.isNameCharacter(d) {
                field.append(d)
                position += 1
            }
            fields.append(String(decoding: field, as: UTF8.self))
        }
        return (String(decoding: name, as: UTF8.self), fields)
    }
}
