import Lexer

extension Interpreter {
    func execute(_ statement: Statement, in scope: Scope) throws {
        _ = try executeForValue(statement, in: scope)
    }

    /// Executes a statement; a pipeline's value comes back (the REPL shows it).
    /// Statements running inside one another are counted, and stop at wds's
    /// limit (or when the stack is nearly full) with a diagnostic, not a crash.
    func executeForValue(_ statement: Statement, in scope: Scope) throws -> Value {
        evaluationDepth += 1
        defer { evaluationDepth -= 1 }
        try checkLimits(at: statement.keywordRange)
        return try executeStatement(statement, in: scope)
    }

    /// What every statement checks as it starts (`evaluationDepth` already
    /// counts it), in the tree walk and in compiled code alike.
    func checkLimits(at keywordRange: SourceRange) throws {
        if evaluationDepth > Limits.maximumEvaluationDepth || stack.isNearlyFull() {
            throw Diagnostic("evaluation nested too deeply (more than \(min(evaluationDepth - 1, Limits.maximumEvaluationDepth)) statements inside one another)",
                             at: keywordRange, hint: "does a function call itself without end? blocks and calls may nest \(Limits.maximumEvaluationDepth) deep")
        }
        if let maximumStatements {
            statementsRun += 1
            if statementsRun > maximumStatements {
                throw Diagnostic("the run took more than \(maximumStatements) statements", at: keywordRange)
            }
        }
        try checkInterruption(at: keywordRange)
    }

    func executeStatement(_ statement: Statement, in scope: Scope) throws -> Value {
        switch statement.kind {
        case .let(let name, let expression):
            let (value, fromProbe) = try watchingProbes { try evaluate(expression, in: scope) }
            try scope.define(name.name, value, fromProbe: fromProbe || probeDepth > 0, at: statement.range)
        case .assign(let name, let expression):
            let (value, fromProbe) = try watchingProbes { try evaluate(expression, in: scope) }
            if let (hops, index) = resolvedVariable(at: name.range), let holder = scope.resolved(name.name, hops: hops, index: index) {
                try holder.replace(at: index, value, fromProbe: fromProbe || probeDepth > 0, at: statement.range)
                return .empty
            }
            variableLookupsByName += 1
            if try !scope.assign(name.name, value, fromProbe: fromProbe || probeDepth > 0, at: statement.range) {
                throw Diagnostic("assignment to undefined variable '\(name.name)'", at: name.range,
                                 hint: "define it first with `let \(name.name) = …`")
            }
        case .pipeline(let pipeline):
            return try run(pipeline, in: scope)
        case .if(let branches, let elseBlock):
            // Reaching a branch depends on every condition tested before it.
            var chosenByProbe = false
            for branch in branches {
                let (truth, fromProbe) = try watchingProbes { try test(branch.condition, in: scope) }
                chosenByProbe = chosenByProbe || fromProbe
                if truth {
                    try dependingOnProbe(chosenByProbe) { try execute(branch.body, in: scope) }
                    return .empty
                }
            }
            if let elseBlock { try dependingOnProbe(chosenByProbe) { try execute(elseBlock, in: scope) } }
        case .for, .while:
            // The statements a loop repeats run compiled: each iteration skips the walk of the tree.
            return try compiledLoop(statement)(self, scope)
        case .match(let subject, let arms, let elseBlock):
            let (value, fromProbe) = try watchingProbes { try evaluate(subject, in: scope) }
            guard let text = value.text else {
                throw Diagnostic("'match' needs text, got a \(value.typeName)", at: subject.range)
            }
            for arm in arms where arm.patterns.contains(where: { Glob.matches(Glob.pattern(of: $0), text) }) {
                try dependingOnProbe(fromProbe) { try execute(arm.body, in: scope) }
                return .empty
            }
            if let elseBlock { try dependingOnProbe(fromProbe) { try execute(elseBlock, in: scope) } }
        case .function:
            break  // hoisted by `register`
        case .return(let expression):
            throw ControlFlow.returned(try expression.map { try evaluate($0, in: scope) } ?? .empty)
        case .exit(let expression):
            var status: Int32 = 0
            if let expression {
                let value = try evaluate(expression, in: scope)
                guard let n = value.integerValue, (0...255).contains(n) else {
                    throw Diagnostic("'exit' needs a status from 0 to 255, got '\(value)'", at: expression.range)
                }
                status = Int32(n)
            }
            throw ControlFlow.exit(status)
        case .break:
            throw ControlFlow.breakLoop
        case .continue:
            throw ControlFlow.continueLoop
        case .try(let body, let name, let handler):
            let savepoint = context.savepoint()
            do {
                try execute(body, in: scope)
            } catch let failure as CommandFailure {
                try undoCaught(failure, to: savepoint)
                let inner = Scope(parent: scope)
                if let name {
                    try inner.define(name.name, .record(Record([
                        ("message", .string(failure.message)),
                        ("status", .integer(Int(failure.status))),
                        ("line", .integer(failure.diagnostic.range?.line ?? 0)),
                    ])))
                }
                try execute(handler.statements, in: inner)
            }
        case .lock(let pathExpression, let timeoutExpression, let body):
            let (path, pathFromProbe) = try watchingProbes { try evaluateText(pathExpression, in: scope, what: "lock path") }
            // The path reaches open(2) as a C string, which would end at the NUL: a different file.
            if path.utf8.contains(0) {
                throw Diagnostic("a value cannot contain a NUL byte", at: pathExpression.range, hint: "a lock path ends at the first NUL byte")
            }
            var seconds: Int?
            if let timeoutExpression {
                let text = try evaluateText(timeoutExpression, in: scope, what: "lock timeout")
                guard let parsed = Validation.durationSeconds(text) else {
                    throw Diagnostic("'\(text)' is not a duration (write 10s, 500ms or 2m)", at: timeoutExpression.range)
                }
                seconds = parsed
            }
            // The same file again inside its own block: re-entrant, no second flock (which
            // would wait for the first for ever). The host also knows a file however it is spelled.
            let key = Paths.lexicallySame(path)
            if heldLockPaths.contains(key) {
                try execute(body, in: scope)
                return .empty
            }
            let slot = 9 - lockDepth
            guard slot >= 3 else {
                throw Diagnostic("locks nested too deeply (at most 7)", at: statement.keywordRange)
            }
            // The lock is an effect of the statement itself, not of a builtin: mark it here.
            let lockDependsOnProbe = pathFromProbe || probeDepth > 0
            // What the script did before the lock reaches the host before it; what it does inside, before it is released.
            try context.commitOpenBatches()
            let lockContext = EffectContext(location: statement.keywordRange, dependsOnProbe: lockDependsOnProbe)
            _ = try context.host.perform(.lock(path: path, timeoutSeconds: seconds, slot: slot), in: lockContext)
            lockDepth += 1
            heldLockPaths.append(key)
            defer {
                lockDepth -= 1
                heldLockPaths.removeLast()
                _ = try? context.host.perform(.unlock(path: path, slot: slot), in: lockContext)
            }
            try execute(body, in: scope)
            try context.commitOpenBatches()
        case .cleanup(let body):
            cleanups.append((body, scope))
        case .source(let path, _):
            let key = path.literalText ?? ""
            guard let sourced = scriptStack.last?.sourced[key] else {
                throw Diagnostic("'\(key)' was not loaded", at: path.range)
            }
            try execute(sourced, in: scope)
        }
        return .empty
    }

    /// Runs `body` and says whether it read the host: a probe, or a variable whose value came from one.
    func watchingProbes<T>(_ body: () throws -> T) rethrows -> (T, Bool) {
        let probesBefore = context.probes.count
        let readBefore = readProbeDerivedValue
        readProbeDerivedValue = false
        defer { readProbeDerivedValue = readProbeDerivedValue || readBefore }
        let value = try body()
        return (value, readProbeDerivedValue || context.probes.count > probesBefore)
    }

    /// Runs `body` as a branch chosen by a probe's answer when `chosen`.
    func dependingOnProbe(_ chosen: Bool, _ body: () throws -> Void) rethrows {
        if chosen { probeDepth += 1 }
        defer { if chosen { probeDepth -= 1 } }
        try body()
    }

    /// A block's statements, in a scope of their own when they can define a variable (Block.definesVariables).
    func execute(_ block: Block, in scope: Scope) throws {
        try execute(block.statements, in: block.definesVariables ? Scope(parent: scope) : scope)
    }

    func execute(_ statements: [Statement], in scope: Scope) throws {
        for statement in statements {
            try execute(statement, in: scope)
        }
    }
}

/// Shell `case` patterns: `*` any text, `?` one character, everything else literal.
public enum Glob {
    public enum Element: Equatable {
        case anyText, oneCharacter
        case character(Unicode.Scalar)
    }

    public static func matches(_ pattern: String, _ text: String) -> Bool {
        matches(elements(pattern, wild: true)[...], Array(text.unicodeScalars)[...])
    }

    public static func matches(_ pattern: [Element], _ text: String) -> Bool {
        matches(pattern[...], Array(text.unicodeScalars)[...])
    }

    static func elements(_ text: String, wild: Bool) -> [Element] {
        text.unicodeScalars.map { wild && $0 == "*" ? .anyText : wild && $0 == "?" ? .oneCharacter : .character($0) }
    }

    /// A `match` pattern as written: as in sh's `case`, `*` and `?` are wild
    /// only where they are bare; quoted or escaped (`"*"`, `\*`) they are themselves.
    public static func pattern(of expression: Expression) -> [Element] {
        guard case .word(let parts) = expression.kind else { return [] }
        return parts.flatMap { part -> [Element] in
            guard case .literal(let text, let quoted) = part.kind else { return [] }
            return elements(text, wild: !quoted)
        }
    }

    private static func matches(_ pattern: ArraySlice<Element>, _ text: ArraySlice<Unicode.Scalar>) -> Bool {
        var p = pattern.startIndex, t = text.startIndex
        var star: Int?, resume = 0
        while t < text.endIndex {
            if p < pattern.endIndex && (pattern[p] == .oneCharacter || pattern[p] == .character(text[t])) {
                p += 1
                t += 1
            } else if p < pattern.endIndex && pattern[p] == .anyText {
                star = p
                resume = t
                p += 1
            } else if let s = star {
                p = s + 1
                resume += 1
                t = resume
            } else {
                return false
            }
        }
        while p < pattern.endIndex && pattern[p] == .anyText { p += 1 }
        return p == pattern.endIndex
    }
}
