import Lexer

extension Parser {
    /// Whether a token ends a command's words.
    func isEndOfCommand(_ token: Token) -> Bool {
        switch token.kind {
        case .newline, .semicolon, .leftBrace, .rightBrace, .rightParen, .rightBracket, .and, .or, .endOfInput:
            return true
        case .word, .leftParen, .leftBracket, .error:
            return false
        }
    }

    /// pipeline = and { "||" and } ;   (`&&` binds tighter than `||`, as in C)
    mutating func parsePipeline() throws -> Pipeline {
        var left = try parseAnd()
        // Each operator deepens the tree by one level: count it as nesting, so a
        // chain of thousands cannot overflow the stack of whatever walks the tree.
        var levels = 0
        defer { nesting -= levels }
        while case .or = current.kind {
            let op = advance()
            levels += 1
            try enterNesting(at: op.range)
            skipLineBreaks()
            let right = try parseAnd()
            left = Pipeline(.or(left, right), left.range.union(right.range))
        }
        return left
    }

    /// and = unary { "&&" unary } ;
    mutating func parseAnd() throws -> Pipeline {
        var left = try parseUnary()
        var levels = 0  // as in parsePipeline: each operator is one level (undone at the end)
        defer { nesting -= levels }
        while case .and = current.kind {
            let op = advance()
            levels += 1
            try enterNesting(at: op.range)
            skipLineBreaks()
            let right = try parseUnary()
            left = Pipeline(.and(left, right), left.range.union(right.range))
        }
        return left
    }

    /// A line may end after `&&` or `||`; the command goes on below.
    mutating func skipLineBreaks() {
        while case .newline = current.kind { _ = advance() }
        if atEnd { isIncomplete = true }
    }

    /// unary = "!" unary | command ;
    mutating func parseUnary() throws -> Pipeline {
        if current.word?.bareText == "!" {
            let bang = advance()
            try enterNesting(at: bang.range)  // `! ! ! …` recurses: bounded like blocks
            defer { leaveNesting() }
            let operand = try parseUnary()
            return Pipeline(.not(operand), bang.range.union(operand.range))
        }
        return try parseCommand()
    }

    /// command = NAME { argument } | argument COMPARISON argument | argument ;
    mutating func parseCommand() throws -> Pipeline {
        let first = current
        if case .error = first.kind { throw lexError(first) }
        if isEndOfCommand(first) {
            throw fail("expected a command, found \(first.display)", at: first.range)
        }
        if case .leftBracket = first.kind, case .leftBracket = peek().kind, !peek().spaceBefore {
            throw fail("'[[' is shell syntax, not wds", at: first.range.union(peek().range),
                       hint: "write the condition directly: `if $a == $b { … }`, `if exists $path { … }`")
        }
        var words: [Expression] = []
        while !isEndOfCommand(current) {
            if case .error = current.kind { throw lexError(current) }
            words.append(try parseArgument())
        }
        let range = words[0].range.union(words[words.count - 1].range)

        // `a == b`: a comparison, the only place the operators mean anything.
        if words.count == 3, let op = words[1].bareText.flatMap(ComparisonOperator.init(rawValue:)) {
            return Pipeline(.compare(words[0], op, words[2]), range)
        }
        for word in words {
            if let text = word.bareText {
                if ComparisonOperator(rawValue: text) != nil || text == "=" {
                    if text == "=" && words.count == 3 {
                        throw fail("'=' assigns; compare with '=='", at: word.range)
                    }
                    if text == ">" || text == "<" {
                        throw redirectionError(at: word.range)
                    }
                    throw fail("'\(text)' compares two values: write `a \(text == "=" ? "==" : text) b` alone as the condition",
                               at: word.range)
                }
                if Parser.looksLikeRedirection(text) { throw redirectionError(at: word.range) }
            }
        }
        if case .list = words[0].kind {
            throw fail("a list cannot be run as a command", at: words[0].range,
                       hint: "for a shell test `[ … ]`, write the condition directly: `if $a == $b { … }`, `if is-file $path { … }`")
        }
        // A lone `true` or `false` is a boolean value standing as a condition, not a command.
        let isBooleanLiteral = words.count == 1 && (words[0].bareText == "true" || words[0].bareText == "false")
        // `$n -gt 0`, `[ $a -eq $b ]` without the brackets: shell test operators (not a program's arguments).
        for (index, word) in words.enumerated().dropFirst() where words[0].bareText == nil || (words.count == 3 && index == 1) {
            if let text = word.bareText, let op = Parser.testOperators[text] {
                throw fail("'\(text)' is shell test syntax", at: word.range,
                           hint: "compare with `\(op)` as the middle of three words: `if $n \(op) 0 { … }`")
            }
        }
        guard let nameText = words[0].bareText, !isBooleanLiteral else {
            if words.count == 1, case .word = words[0].kind {
                return Pipeline(.test(words[0]), range)
            }
            throw fail("a command name must be written literally", at: words[0].range,
                       hint: "to run a program whose name is in a value, write `run $program …`")
        }
        let name = Identifier(nameText, words[0].range)
        let command = Command(name: name, arguments: Array(words.dropFirst()), range: range)
        return Pipeline(.command(command), range)
    }

    /// test(1)'s comparisons and wds's operator for each.
    static let testOperators = ["-gt": ">", "-lt": "<", "-ge": ">=", "-le": "<=", "-eq": "==", "-ne": "!="]

    static func looksLikeRedirection(_ text: String) -> Bool {
        let trimmed = text.drop(while: { $0.isNumber || $0 == "&" })
        return trimmed.hasPrefix(">") || trimmed.hasPrefix("<")
    }

    mutating func redirectionError(at range: SourceRange) -> Bail {
        fail("redirection is not supported", at: range,
             hint: "write a file with `write-file PATH VALUE`; a failing command in a condition or `try` needs no 2>/dev/null")
    }

    /// argument = word | "[" { argument } "]" | "..." expansion ;
    mutating func parseArgument() throws -> Expression {
        switch current.kind {
        case .leftBracket:
            return try parseList()
        case .word(let word):
            _ = advance()
            return try expression(from: word)
        case .error:
            throw lexError(current)
        case .leftParen:
            throw fail("unexpected '('", at: current.range,
                       hint: "write $( … ) for a command's value; quote '(' to pass it as text")
        default:
            throw fail("expected a value, found \(current.display)", at: current.range)
        }
    }

    /// list = "[" { argument | NEWLINE } "]" ;
    mutating func parseList() throws -> Expression {
        let open = advance()
        try enterNesting(at: open.range)
        defer { leaveNesting() }
        var elements: [Expression] = []
        while true {
            while case .newline = current.kind { _ = advance() }
            if case .rightBracket = current.kind { break }
            if atEnd {
                throw unclosed("expected ']' to close the list from line \(open.range.line)",
                               note: .note("the list opened here", at: open.range))
            }
            let element = try parseArgument()
            if let text = element.bareText, text.hasSuffix(","), text.count > 1 {
                throw fail("list elements are separated by blanks, not commas", at: element.range,
                           hint: "write [a b c]; quote an element that ends in a comma")
            }
            elements.append(element)
        }
        let close = advance()
        return Expression(.list(elements), open.range.union(close.range))
    }

    /// Turns a lexed word into an expression, parsing each `$( … )` inside it.
    mutating func expression(from word: Word) throws -> Expression {
        var parts: [WordPart] = []
        for piece in word.pieces {
            switch piece {
            case .literal(let text, let quoted, let range):
                parts.append(WordPart(.literal(text, quoted: quoted), range))
            case .variable(let name, let fields, let range):
                parts.append(WordPart(.variable(name: name, fields: fields), range))
            case .substitution(let tokens, let range):
                parts.append(WordPart(.substitution(try parseSubstitution(tokens, range: range)), range))
            }
        }
        // `...$x`: a spread of a list into several arguments.
        if case .literal(let text, quoted: false) = parts.first?.kind, text.hasPrefix("...") {
            let rest = Array(parts.dropFirst())
            if text == "...", rest.count == 1, !isLiteral(rest[0]) {
                return Expression(.spread(Expression(.word(rest), rest[0].range)), word.range)
            }
            if text.count > 3 || rest.count > 1 {
                // `...` followed by plain text is just text (an ellipsis); only warn on near misses.
                if rest.count >= 1, !isLiteral(rest[0]), text == "..." {
                    throw fail("a spread takes exactly one value: ...$list or ...$(command)", at: word.range)
                }
            }
        }
        return Expression(.word(parts), word.range)
    }

    private func isLiteral(_ part: WordPart) -> Bool {
        if case .literal = part.kind { return true }
        return false
    }

    mutating func parseSubstitution(_ inner: [Token], range: SourceRange) throws -> Pipeline {
        try enterNesting(at: range)
        defer { leaveNesting() }
        var parser = Parser(tokens: inner)
        parser.nesting = nesting
        var skipped = 0
        while case .newline = parser.current.kind { _ = parser.advance(); skipped += 1 }
        if parser.atEnd {
            diagnostics.append(Diagnostic("empty command substitution '$()'", at: range))
            throw Bail()
        }
        let pipeline: Pipeline
        do {
            pipeline = try parser.parsePipeline()
            while case .newline = parser.current.kind { _ = parser.advance() }
            if !parser.atEnd {
                _ = parser.fail("expected ')' to end the command substitution, found \(parser.current.display)",
                                at: parser.current.range, hint: "a $( … ) holds one command")
                throw Bail()
            }
        } catch {
            diagnostics += parser.diagnostics
            if parser.isIncomplete { isIncomplete = true }
            throw Bail()
        }
        diagnostics += parser.diagnostics
        return pipeline
    }
}
