import Lexer

/// `wds fmt`: source → AST → source in the canonical layout (see `Printer`).
/// A file that does not parse is never formatted. The result is checked
/// before it is returned: it must parse to the same tree, with the same
/// comments, so formatting can never change what a script means.
public enum Formatter {
    public enum Outcome: Sendable {
        /// The canonical text (equal to the input when it was already formatted).
        case formatted(String)
        /// The file does not parse: its diagnostics, nothing formatted.
        case invalid([Diagnostic])
    }

    public static func format(_ file: SourceFile) -> Outcome {
        let (statements, comments, diagnostics) = Parser.parseKeepingComments(file)
        if !diagnostics.isEmpty { return .invalid(diagnostics) }
        var printer = Printer(file: file, comments: comments)
        let text = printer.program(statements)

        // The safety net: the output must mean exactly what the input meant.
        let output = SourceFile(name: file.name, path: file.path, text: text)
        let again = Parser.parseKeepingComments(output)
        if let first = again.diagnostics.first {
            return .invalid([Diagnostic("internal error: the formatted text does not parse (\(first.message)); the file was left as it was",
                                        at: nil)])
        }
        if syntaxTree(again.statements) != syntaxTree(statements) {
            return .invalid([Diagnostic("internal error: formatting would change the meaning; the file was left as it was",
                                        at: nil)])
        }
        // (A comment inside `$( … )` moves above its statement, ahead of others: compare them as a collection.)
        if again.comments.map(\.text).sorted() != comments.map(\.text).sorted() {
            return .invalid([Diagnostic("internal error: formatting would lose a comment; the file was left as it was",
                                        at: nil)])
        }
        return .formatted(text)
    }

    /// The format of text that is not a file (tests, the fuzzer).
    public static func format(_ text: String) -> Outcome {
        format(SourceFile(name: "<text>", text: text))
    }

    /// The AST as one line, without source ranges: two parses mean the same
    /// program exactly when their trees are equal.
    public static func syntaxTree(_ statements: [Statement]) -> String {
        SyntaxTree.statements(statements)
    }
}

/// A complete, range-free print of the AST (unlike the source printer, it
/// shows every literal's text and whether it was quoted).
enum SyntaxTree {
    static func statements(_ statements: [Statement]) -> String {
        statements.map(statement).joined(separator: "; ")
    }

    static func statement(_ statement: Statement) -> String {
        switch statement.kind {
        case .let(let name, let value): return "(let \(name.name) \(expression(value)))"
        case .assign(let name, let value): return "(set \(name.name) \(expression(value)))"
        case .pipeline(let pipeline): return self.pipeline(pipeline)
        case .if(let branches, let elseBlock):
            let parts = branches.map { "\(pipeline($0.condition)) \(block($0.body))" }
            return "(if " + parts.joined(separator: " elif ") + (elseBlock.map { " else " + block($0) } ?? "") + ")"
        case .for(let name, let list, let body): return "(for \(name.name) \(expression(list)) \(block(body)))"
        case .while(let condition, let body): return "(while \(pipeline(condition)) \(block(body)))"
        case .match(let subject, let arms, let elseBlock):
            let parts = arms.map { "(" + ($0.patterns.map(expression) + [block($0.body)]).joined(separator: " ") + ")" }
            return "(match \(expression(subject)) " + parts.joined(separator: " ") + (elseBlock.map { " else " + block($0) } ?? "") + ")"
        case .function(let declaration):
            return "(def \(declaration.name.name)(\(declaration.parameters.map(\.name).joined(separator: " "))) \(block(declaration.body)))"
        case .return(let value): return "(return" + (value.map { " " + expression($0) } ?? "") + ")"
        case .exit(let value): return "(exit" + (value.map { " " + expression($0) } ?? "") + ")"
        case .break: return "break"
        case .continue: return "continue"
        case .try(let body, let name, let handler):
            return "(try \(block(body)) catch \(name?.name ?? "-") \(block(handler)))"
        case .lock(let path, let timeout, let body):
            return "(lock \(expression(path)) \(timeout.map(expression) ?? "-") \(block(body)))"
        case .source(let path, _): return "(source \(expression(path)))"
        case .cleanup(let body): return "(cleanup \(block(body)))"
        }
    }

    static func block(_ block: Block) -> String {
        "{" + statements(block.statements) + "}"
    }

    static func pipeline(_ pipeline: Pipeline) -> String {
        switch pipeline.kind {
        case .command(let command):
            return "(cmd \(command.name.name.debugDescription) " + command.arguments.map(expression).joined(separator: " ") + ")"
        case .not(let inner): return "(! \(self.pipeline(inner)))"
        case .and(let a, let b): return "(&& \(self.pipeline(a)) \(self.pipeline(b)))"
        case .or(let a, let b): return "(|| \(self.pipeline(a)) \(self.pipeline(b)))"
        case .compare(let a, let op, let b): return "(\(op.rawValue) \(expression(a)) \(expression(b)))"
        case .test(let value): return "(test \(expression(value)))"
        }
    }

    static func expression(_ expression: Expression) -> String {
        switch expression.kind {
        case .word(let parts):
            return "(word " + parts.map { part in
                switch part.kind {
                case .literal(let text, let quoted): return (quoted ? "q" : "b") + text.debugDescription
                case .variable(let name, let fields): return "$" + ([name] + fields).joined(separator: ".")
                case .substitution(let pipeline): return "$" + self.pipeline(pipeline)
                }
            }.joined(separator: " ") + ")"
        case .list(let elements): return "[" + elements.map(self.expression).joined(separator: " ") + "]"
        case .spread(let inner): return "..." + self.expression(inner)
        }
    }
}
