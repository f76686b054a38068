import Interpreter
import Lexer

/// A compact, one-line print of the AST for parser tables.
///
///     statements  `(let x V)` `(set x V)` `(cmd NAME ARG…)` `(if C {…} elif C {…} else {…})`
///                 `(for x in V {…})` `(while C {…})` `(match V (PAT… {…}) else {…})`
///                 `(def f(a b) {…})` `(return V)` `(exit V)` `break` `continue`
///                 `(try {…} catch e {…})` `(lock P timeout T {…})` `(source P)`
///     conditions  `(! C)` `(&& A B)` `(|| A B)` `(== A B)` `(test V)`
///     values      literal `a`, quoted `"a"`, `$x.f`, `$(C)`, pieces joined with `+`,
///                 lists `[a b]`, spreads `...V`
///     blocks      `{S; S}`; statements of a program are joined with `; `
enum ASTDump {
    static func program(_ statements: [Statement]) -> String {
        statements.map(statement).joined(separator: "; ")
    }

    static func statement(_ statement: Statement) -> String {
        switch statement.kind {
        case .let(let name, let value): return "(let \(name.name) \(expression(value)))"
        case .assign(let name, let value): return "(set \(name.name) \(expression(value)))"
        case .pipeline(let pipeline): return self.pipeline(pipeline)
        case .if(let branches, let elseBlock):
            var parts = ["if"]
            for (index, branch) in branches.enumerated() {
                if index > 0 { parts.append("elif") }
                parts += [pipeline(branch.condition), block(branch.body)]
            }
            if let elseBlock { parts += ["else", block(elseBlock)] }
            return "(" + parts.joined(separator: " ") + ")"
        case .for(let name, let list, let body):
            return "(for \(name.name) in \(expression(list)) \(block(body)))"
        case .while(let condition, let body):
            return "(while \(pipeline(condition)) \(block(body)))"
        case .match(let subject, let arms, let elseBlock):
            var parts = ["match", expression(subject)]
            for arm in arms {
                parts.append("(" + (arm.patterns.map(expression) + [block(arm.body)]).joined(separator: " ") + ")")
            }
            if let elseBlock { parts += ["else", block(elseBlock)] }
            return "(" + parts.joined(separator: " ") + ")"
        case .function(let declaration):
            let parameters = declaration.parameters.map(\.name).joined(separator: " ")
            return "(def \(declaration.name.name)(\(parameters)) \(block(declaration.body)))"
        case .return(let value): return value.map { "(return \(expression($0)))" } ?? "(return)"
        case .exit(let value): return value.map { "(exit \(expression($0)))" } ?? "(exit)"
        case .break: return "break"
        case .continue: return "continue"
        case .try(let body, let name, let handler):
            return "(try \(block(body)) catch\(name.map { " " + $0.name } ?? "") \(block(handler)))"
        case .lock(let path, let timeout, let body):
            return "(lock \(expression(path))\(timeout.map { " timeout " + expression($0) } ?? "") \(block(body)))"
        case .source(let path, _):
            return "(source \(expression(path)))"
        case .cleanup(let body):
            return "(cleanup \(block(body)))"
        }
    }

    static func block(_ block: Block) -> String {
        "{" + block.statements.map(statement).joined(separator: "; ") + "}"
    }

    static func pipeline(_ pipeline: Pipeline) -> String {
        switch pipeline.kind {
        case .command(let command):
            return "(" + ([command.name.name] + command.arguments.map(expression)).joined(separator: " ") + ")"
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
            return parts.map { part in
                switch part.kind {
                case .literal(let text, let quoted): return quoted ? "\"\(text)\"" : text
                case .variable(let name, let fields): return "$" + ([name] + fields).joined(separator: ".")
                case .substitution(let pipeline): return "$" + self.pipeline(pipeline)
                }
            }.joined(separator: "+")
        case .list(let elements): return "[" + elements.map(self.expression).joined(separator: " ") + "]"
        case .spread(let inner): return "..." + self.expression(inner)
        }
    }
}
