import Lexer

extension Parser {
    static let keywords: Set<String> = [
        "let", "if", "elif", "else", "for", "in", "while", "match", "def", "return", "exit",
        "break", "continue", "try", "catch", "lock", "source",
    ]

    /// statement = let | assign | if | for | while | match | def | return | exit
    ///           | "break" | "continue" | try | lock | source | cleanup | pipeline ;
    mutating func parseStatement() throws -> Statement {
        let token = current
        if case .error = token.kind { throw lexError(token) }
        if let keyword = token.word?.bareText {
            switch keyword {
            case "let": return try parseLet()
            case "if": return try parseIf()
            case "for": return try parseFor()
            case "while": return try parseWhile()
            case "match": return try parseMatch()
            case "def": return try parseFunction()
            case "return", "exit": return try parseReturnOrExit(keyword)
            case "break", "continue":
                _ = advance()
                return Statement(keyword == "break" ? .break : .continue, token.range, keyword: token.range)
            case "try": return try parseTry()
            case "lock": return try parseLock()
            case "source": return try parseSource()
            case "cleanup" where peek().kind.isLeftBrace: return try parseCleanup()
            case "elif", "else", "catch", "in":
                throw fail("'\(keyword)' without a matching '\(keyword == "catch" ? "try" : keyword == "in" ? "for" : "if")'",
                           at: token.range)
            default: break
            }
            if case .word(let next) = peek().kind, next.bareText == "=" {
                return try parseAssignment()
            }
            try rejectShellHabits(keyword, at: token.range)
        }
        let pipeline = try parsePipeline()
        return Statement(.pipeline(pipeline), pipeline.range, keyword: pipeline.range)
    }

    /// Shell idioms that would silently mean something else get a diagnostic that says the wds way.
    mutating func rejectShellHabits(_ word: String, at range: SourceRange) throws {
        if let equals = word.firstIndex(of: "="), equals != word.startIndex,
           word[..<equals].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) {
            let name = String(word[..<equals])
            throw fail("'\(word)' looks like a shell assignment", at: range,
                       hint: "write `let \(name) = …` to define a variable, or `\(name) = …` to change one")
        }
        let habits: [String: String] = [
            "[[": "write the condition directly: `if $a == $b { … }`, `if exists $path { … }`",
            "[": "write the condition directly: `if $a == $b { … }`, `if exists $path { … }`",
            "test": "write the condition directly: `if $a == $b { … }`, `if is-dir $path { … }`",
            "function": "functions are written `def name(params) { … }`",
            "case": "wds writes `match $value { pattern { … } else { … } }`",
            "then": "wds writes `if condition { … }`", "fi": "wds writes `if condition { … }`",
            "do": "wds writes `for x in $list { … }`", "done": "wds writes `for x in $list { … }`",
            "export": "wds scripts do not change the environment: programs started with `run` get the environment wds was started with",
            "local": "`let` inside a function already makes a local variable",
            "set": "wds has no shell options: a failing command always stops the script unless it is a condition",
            ".": "write `source FILE`",
            "eval": "wds never evaluates text as code",
        ]
        if let hint = habits[word] {
            throw fail("'\(word)' is shell syntax, not wds", at: range, hint: hint)
        }
    }

    mutating func parseIdentifier(_ what: String) throws -> Identifier {
        let token = current
        guard let text = token.word?.bareText, Parser.isIdentifier(text) else {
            if case .error = token.kind { throw lexError(token) }
            throw fail("expected \(what), found \(token.display)", at: token.range,
                       hint: "names start with a letter or '_' and hold letters, digits and '_'")
        }
        if Parser.keywords.contains(text) {
            throw fail("'\(text)' is a keyword and cannot be used as \(what)", at: token.range)
        }
        _ = advance()
        return Identifier(text, token.range)
    }

    static func isIdentifier(_ text: String) -> Bool {
        guard let first = text.utf8.first, first == UInt8(ascii: "_") || (first | 0x20 >= UInt8(ascii: "a") && first | 0x20 <= UInt8(ascii: "z")) else {
            return false
        }
        return text.utf8.allSatisfy { ($0 | 0x20 >= UInt8(ascii: "a") && $0 | 0x20 <= UInt8(ascii: "z")) || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || $0 == UInt8(ascii: "_") }
    }

    mutating func expectEquals(after what: String) throws {
        guard current.word?.bareText == "=" else {
            throw fail("expected '=' after \(what), found \(current.display)", at: current.range)
        }
        _ = advance()
    }

    /// let = "let" NAME "=" value ;
    mutating func parseLet() throws -> Statement {
        let keyword = advance()
        let name = try parseIdentifier("a variable name")
        try expectEquals(after: "'let \(name.name)'")
        let value = try parseValue(for: name.name)
        return Statement(.let(name, value), keyword.range.union(value.range), keyword: keyword.range)
    }

    /// assign = NAME "=" value ;
    mutating func parseAssignment() throws -> Statement {
        let name = try parseIdentifier("a variable name")
        try expectEquals(after: "'\(name.name)'")
        let value = try parseValue(for: name.name)
        return Statement(.assign(name, value), name.range.union(value.range), keyword: name.range)
    }

    /// value = word | list ;   (exactly one, then the end of the statement)
    mutating func parseValue(for name: String) throws -> Expression {
        if isEndOfCommand(current) {
            throw fail("expected a value after '='", at: current.range,
                       hint: "write `\"\"` for an empty string")
        }
        let value = try parseArgument()
        if !isEndOfCommand(current) {
            if case .error = current.kind { throw lexError(current) }
            switch name {
            case "return":
                throw fail("'return' takes one value, found another word", at: current.range,
                           hint: "quote text that has spaces, or return a list: `return [a b]`")
            case "exit":
                throw fail("'exit' takes one status, found another word", at: current.range,
                           hint: "a message goes to `fail MESSAGE` (or `fail --status N MESSAGE`)")
            default:
                throw fail("expected one value after '=', found another word", at: current.range,
                           hint: "quote text that has spaces, or write $(command …) for a command's value")
            }
        }
        if case .spread = value.kind {
            throw fail("a spread '...' only makes sense among a command's arguments or in a list", at: value.range)
        }
        return value
    }

    /// if = "if" pipeline block { "elif" pipeline block } [ "else" block ] ;
    mutating func parseIf() throws -> Statement {
        let keyword = advance()
        var branches: [(condition: Pipeline, body: Block)] = []
        let condition = try parsePipeline()
        var body = try parseBlock(after: "if", keywordRange: keyword.range)
        branches.append((condition, body))
        var elseBlock: Block?
        while true {
            let save = index
            skipNewlines()
            if isKeyword(current, "elif") {
                let elif = advance()
                let condition = try parsePipeline()
                body = try parseBlock(after: "elif", keywordRange: elif.range)
                branches.append((condition, body))
            } else if isKeyword(current, "else") {
                let elseToken = advance()
                if isKeyword(current, "if") {
                    throw fail("write 'elif', not 'else if'", at: elseToken.range.union(current.range))
                }
                elseBlock = try parseBlock(after: "else", keywordRange: elseToken.range)
                break
            } else {
                index = save
                break
            }
        }
        let end = elseBlock?.range ?? branches.last!.body.range
        return Statement(.if(branches, else: elseBlock), keyword.range.union(end), keyword: keyword.range)
    }

    /// for = "for" NAME "in" value block ;
    mutating func parseFor() throws -> Statement {
        let keyword = advance()
        let name = try parseIdentifier("a loop variable name")
        guard isKeyword(current, "in") else {
            throw fail("expected 'in' after 'for \(name.name)', found \(current.display)", at: current.range)
        }
        _ = advance()
        if case .leftBrace = current.kind {
            throw fail("expected a list to loop over before '{'", at: current.range)
        }
        let list = try parseArgument()
        if case .word = current.kind {
            throw fail("'for' loops over one list value, found another word", at: current.range,
                       hint: "write a list as [a b c], or use a list variable: `for x in $list { … }`")
        }
        let body = try parseBlock(after: "for", keywordRange: keyword.range)
        return Statement(.for(name, list, body), keyword.range.union(body.range), keyword: keyword.range)
    }

    /// while = "while" pipeline block ;
    mutating func parseWhile() throws -> Statement {
        let keyword = advance()
        let condition = try parsePipeline()
        let body = try parseBlock(after: "while", keywordRange: keyword.range)
        return Statement(.while(condition, body), keyword.range.union(body.range), keyword: keyword.range)
    }

    /// match = "match" value "{" { arm } [ "else" block ] "}" ;  arm = pattern { pattern } block ;
    mutating func parseMatch() throws -> Statement {
        let keyword = advance()
        let subject = try parseArgument()
        guard case .leftBrace = current.kind else {
            throw fail("expected '{' after the value of 'match', found \(current.display)", at: current.range)
        }
        let open = advance()
        try enterNesting(at: open.range)
        defer { leaveNesting() }
        var arms: [MatchArm] = []
        var elseBlock: Block?
        skipNewlines()
        while true {
            if case .rightBrace = current.kind { break }
            if atEnd {
                throw unclosed("expected '}' to close 'match' from line \(open.range.line)",
                               note: .note("the block opened here", at: open.range))
            }
            if isKeyword(current, "else") {
                let elseToken = advance()
                if elseBlock != nil { throw fail("'match' has two 'else' arms", at: elseToken.range) }
                elseBlock = try parseBlock(after: "else", keywordRange: elseToken.range)
            } else {
                var patterns: [Expression] = []
                while case .word = current.kind {
                    let pattern = try parseArgument()
                    guard pattern.literalText != nil else {
                        throw fail("a match pattern must be literal text", at: pattern.range,
                                   hint: "use `if $value == $other { … }` to compare with a variable")
                    }
                    patterns.append(pattern)
                }
                if patterns.isEmpty {
                    if case .error = current.kind { throw lexError(current) }
                    throw fail("expected a pattern or 'else' in 'match', found \(current.display)", at: current.range)
                }
                let body = try parseBlock(after: "match", keywordRange: patterns[0].range)
                arms.append(MatchArm(patterns: patterns, body: body))
            }
            skipNewlines()
        }
        let close = advance()
        return Statement(.match(subject, arms, else: elseBlock), keyword.range.union(close.range), keyword: keyword.range)
    }

    /// def = "def" NAME "(" [ NAME { [","] NAME } ] ")" block ;
    mutating func parseFunction() throws -> Statement {
        let keyword = advance()
        let name = try parseIdentifier("a function name")
        guard case .leftParen = current.kind else {
            throw fail("expected '(' after the function name, found \(current.display)", at: current.range,
                       hint: "write `def \(name.name)() { … }` or `def \(name.name)(a, b) { … }`")
        }
        _ = advance()
        var parameters: [Identifier] = []
        while true {
            if case .rightParen = current.kind { break }
            guard let text = current.word?.bareText else {
                throw fail("expected a parameter name or ')', found \(current.display)", at: current.range)
            }
            // Commas are optional separators: `(a, b)`, `(a,b)` and `(a b)` are the same.
            for name in text.split(separator: ",").map(String.init) {
                guard Parser.isIdentifier(name), !Parser.keywords.contains(name) else {
                    throw fail("'\(name)' is not a valid parameter name", at: current.range)
                }
                if parameters.contains(where: { $0.name == name }) {
                    throw fail("parameter '\(name)' is declared twice", at: current.range)
                }
                parameters.append(Identifier(name, current.range))
            }
            _ = advance()
        }
        _ = advance()
        let body = try parseBlock(after: "def", keywordRange: keyword.range)
        let declaration = FunctionDeclaration(name: name, parameters: parameters, body: body,
                                              range: keyword.range.union(body.range))
        return Statement(.function(declaration), declaration.range, keyword: keyword.range)
    }

    /// return = "return" [ value ] ;  exit = "exit" [ value ] ;
    mutating func parseReturnOrExit(_ keyword: String) throws -> Statement {
        let token = advance()
        var value: Expression?
        if !isEndOfCommand(current) {
            value = try parseValue(for: keyword)
        }
        let range = value.map { token.range.union($0.range) } ?? token.range
        return Statement(keyword == "return" ? .return(value) : .exit(value), range, keyword: token.range)
    }

    /// try = "try" block "catch" [ NAME ] block ;
    mutating func parseTry() throws -> Statement {
        let keyword = advance()
        let body = try parseBlock(after: "try", keywordRange: keyword.range)
        let save = index
        skipNewlines()
        guard isKeyword(current, "catch") else {
            index = save
            throw fail("expected 'catch' after the 'try' block", at: current.range,
                       hint: "write `try { … } catch err { … }`; $err.message holds the error")
        }
        _ = advance()
        var name: Identifier?
        if case .word = current.kind { name = try parseIdentifier("a name for the error") }
        let handler = try parseBlock(after: "catch", keywordRange: keyword.range)
        return Statement(.try(body, catchName: name, handler), keyword.range.union(handler.range), keyword: keyword.range)
    }

    /// lock = "lock" value [ "timeout" value ] block ;
    mutating func parseLock() throws -> Statement {
        let keyword = advance()
        if current.kind.isLeftBrace { throw fail("expected the path of the lock file after 'lock'", at: current.range) }
        let path = try parseArgument()
        var timeout: Expression?
        if isKeyword(current, "timeout") {
            _ = advance()
            timeout = try parseArgument()
        }
        let body = try parseBlock(after: "lock", keywordRange: keyword.range)
        return Statement(.lock(path: path, timeout: timeout, body), keyword.range.union(body.range), keyword: keyword.range)
    }

    /// cleanup = "cleanup" block ;   (`cleanup` is special only before `{`)
    mutating func parseCleanup() throws -> Statement {
        let keyword = advance()
        let body = try parseBlock(after: "cleanup", keywordRange: keyword.range)
        return Statement(.cleanup(body), keyword.range.union(body.range), keyword: keyword.range)
    }

    /// source = "source" word ;   (a literal path, resolved against the script's folder)
    mutating func parseSource() throws -> Statement {
        let keyword = advance()
        if isEndOfCommand(current) { throw fail("expected a file after 'source'", at: current.range) }
        let path = try parseArgument()
        guard path.literalText != nil else {
            throw fail("the file of 'source' must be written literally", at: path.range,
                       hint: "wds checks sourced files before running anything, so their names cannot come from values")
        }
        return Statement(.source(path: path, resolvedPath: nil), keyword.range.union(path.range), keyword: keyword.range)
    }
}

extension Token.Kind {
    var isLeftBrace: Bool {
        if case .leftBrace = self { return true }
        return false
    }
}
