import Lexer

/// Expressions, pipelines and commands compiled: the closures of what
/// `evaluate`, `run`, `test` and `call` do for each kind of node.
extension Compiler {
    static func expression(_ expression: Expression) -> Compiled.Expression {
        let range = expression.range
        switch expression.kind {
        case .word(let parts):
            return word(parts, range: range)
        case .list(let elements):
            let values = arguments(elements)
            return { interpreter, scope in
                let list = Value.list(try values(interpreter, scope))
                try Limits.check(list, at: range)
                return list
            }
        case .spread:
            return { _, _ in
                throw Diagnostic("a spread '...' only makes sense among a command's arguments or in a list", at: range)
            }
        }
    }

    /// What `evaluateArguments` does: a spread contributes each item of its list.
    static func arguments(_ expressions: [Expression]) -> Compiled.Arguments {
        enum Element {
            case one(Compiled.Expression)
            case spread(Compiled.Expression, SourceRange)
        }
        let elements = expressions.map { expression -> Element in
            if case .spread(let inner) = expression.kind { return .spread(self.expression(inner), inner.range) }
            return .one(self.expression(expression))
        }
        return { interpreter, scope in
            var values: [Value] = []
            for element in elements {
                switch element {
                case .one(let value):
                    values.append(try value(interpreter, scope))
                case .spread(let inner, let range):
                    let value = try inner(interpreter, scope)
                    guard case .list(let items) = value else {
                        throw Diagnostic("only a list can be spread, got a \(value.typeName)", at: range)
                    }
                    values += items
                }
            }
            return values
        }
    }

    /// The value of a word that is one literal, as `evaluateWord` makes it
    /// (`true`, `42` unquoted are a boolean and a number); nil for any other word.
    static func constant(_ parts: [WordPart]) -> Value? {
        guard parts.count == 1, case .literal(let text, let quoted) = parts[0].kind else { return nil }
        if !quoted && text == "true" { return .boolean(true) }
        if !quoted && text == "false" { return .boolean(false) }
        if !quoted, let n = Interpreter.canonicalInteger(text) { return .integer(n) }
        return .string(text)
    }

    static func constant(_ expression: Expression) -> Value? {
        guard case .word(let parts) = expression.kind else { return nil }
        return constant(parts)
    }

    /// What `evaluateWord` does; a lone literal is made into its value here, once.
    static func word(_ parts: [WordPart], range: SourceRange) -> Compiled.Expression {
        if parts.count == 1 {
            let part = parts[0]
            switch part.kind {
            case .literal:
                let value = constant(parts)!
                return { _, _ in value }
            case .variable(let name, let fields):
                return variable(name, fields: fields, range: part.range)
            case .substitution(let pipeline):
                return capture(pipeline)
            }
        }
        enum Piece {
            case literal(String)
            case value(Compiled.Expression, SourceRange)
        }
        let pieces = parts.map { part -> Piece in
            switch part.kind {
            case .literal(let literal, _):
                return .literal(literal)
            case .variable(let name, let fields):
                return .value(variable(name, fields: fields, range: part.range), part.range)
            case .substitution(let pipeline):
                return .value(capture(pipeline), part.range)
            }
        }
        return { interpreter, scope in
            var text = ""
            for piece in pieces {
                switch piece {
                case .literal(let literal):
                    try Limits.checkValue(bytes: text.utf8.count + literal.utf8.count, at: range)
                    text += literal
                case .value(let compiled, let partRange):
                    let value = try compiled(interpreter, scope)
                    guard let piece = value.text else {
                        throw Diagnostic("a \(value.typeName) cannot be joined into text", at: partRange,
                                         hint: value.typeName == "list" ? "use $(join $list \" \")" : "pick a field, such as ${name.field}")
                    }
                    // Checked before the text is made: "$s$s" in a loop doubles until it cannot be allocated.
                    try Limits.checkValue(bytes: text.utf8.count + piece.utf8.count, at: range)
                    text += piece
                }
            }
            return .string(text)
        }
    }

    /// What `capture` does: `$( … )`, the value of the command.
    static func capture(_ pipeline: Pipeline) -> Compiled.Expression {
        if case .command(let command) = pipeline.kind {
            return call(command, captured: true)
        }
        let condition = test(pipeline)
        return { interpreter, scope in .boolean(try condition(interpreter, scope)) }
    }

    /// What `run` does: a pipeline as a statement.
    static func run(_ pipeline: Pipeline) -> Compiled.Expression {
        switch pipeline.kind {
        case .command(let command):
            return call(command, captured: false)
        case .and(let left, let right):
            let condition = test(left)
            let rest = run(right)
            return { interpreter, scope in
                // As in `set -e` done right: a false left side is not a failure.
                let (truth, fromProbe) = try interpreter.watchingProbes { try condition(interpreter, scope) }
                guard truth else { return .boolean(false) }
                return try interpreter.dependingOnProbeValue(fromProbe) { try rest(interpreter, scope) }
            }
        case .or(let left, let right):
            let condition = test(left)
            let rest = run(right)
            return { interpreter, scope in
                let (truth, fromProbe) = try interpreter.watchingProbes { try condition(interpreter, scope) }
                if truth { return .boolean(true) }
                return try interpreter.dependingOnProbeValue(fromProbe) { try rest(interpreter, scope) }
            }
        case .test(let expression):
            return self.expression(expression)
        case .not, .compare:
            let condition = test(pipeline)
            return { interpreter, scope in .boolean(try condition(interpreter, scope)) }
        }
    }

    /// What `test` does: a pipeline as a condition, failures read as false.
    static func test(_ pipeline: Pipeline) -> Compiled.Condition {
        switch pipeline.kind {
        case .command(let command):
            let call = self.call(command, captured: false)
            return { interpreter, scope in
                let savepoint = interpreter.context.savepoint()
                do {
                    let value = try call(interpreter, scope)
                    if case .boolean(let b) = value { return b }
                    return true
                } catch let failure as CommandFailure {
                    try interpreter.undoCaught(failure, to: savepoint)
                    return false
                }
            }
        case .not(let inner):
            let condition = test(inner)
            return { interpreter, scope in !(try condition(interpreter, scope)) }
        case .and(let left, let right):
            let first = test(left)
            let second = test(right)
            return { interpreter, scope in try first(interpreter, scope) && second(interpreter, scope) }
        case .or(let left, let right):
            let first = test(left)
            let second = test(right)
            return { interpreter, scope in try first(interpreter, scope) || second(interpreter, scope) }
        case .compare(let leftExpression, let op, let rightExpression):
            let left = expression(leftExpression)
            let right = expression(rightExpression)
            let leftRange = leftExpression.range
            let rightRange = rightExpression.range
            return { interpreter, scope in
                let a = try left(interpreter, scope)
                let b = try right(interpreter, scope)
                return try interpreter.compare(a, op, b, leftRange: leftRange, rightRange: rightRange)
            }
        case .test(let expression):
            let value = self.expression(expression)
            let range = expression.range
            return { interpreter, scope in
                let result: Value
                let savepoint = interpreter.context.savepoint()
                do {
                    result = try value(interpreter, scope)
                } catch let failure as CommandFailure {
                    try interpreter.undoCaught(failure, to: savepoint)
                    return false
                }
                guard let truth = result.booleanValue else {
                    throw Diagnostic("a condition needs true or false, got a \(result.typeName) '\(result)'", at: range,
                                     hint: "compare it: `if $x == \"value\" { … }`")
                }
                return truth
            }
        }
    }

    /// What `call` does: a function, or a builtin through the call site this
    /// command keeps (resolved on its first run, again when a function may
    /// have taken its name since).
    static func call(_ command: Command, captured: Bool) -> Compiled.Expression {
        final class Site {
            var resolved: CallSite?
            /// The function the checker found the call names (Resolutions), read on the first run.
            var function: FunctionDeclaration?
            var functionRead = false
        }
        let site = Site()
        let name = command.name.name
        return { interpreter, scope in
            if let resolved = site.resolved, resolved.generation == interpreter.functionsGeneration {
                return try interpreter.invoke(resolved, in: scope, captured: captured)
            }
            if !site.functionRead {
                site.functionRead = true
                site.function = interpreter.resolvedFunction(at: command.range).flatMap { $0.name.name == name ? $0 : nil }
            }
            // Only while the run's functions are those the checker saw (`functionsFixed`).
            if interpreter.functionsFixed, let function = site.function {
                return try interpreter.call(function, command, in: scope)
            }
            if let function = interpreter.functions[name] {
                interpreter.functionLookupsByName += 1
                return try interpreter.call(function, command, in: scope)
            }
            let resolved = try interpreter.currentCallSite(command)
            site.resolved = resolved
            return try interpreter.invoke(resolved, in: scope, captured: captured)
        }
    }
}
