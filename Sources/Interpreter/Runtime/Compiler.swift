import Lexer

/// The shapes of compiled code: closures that take the interpreter and the
/// scope they run in (they never hold the interpreter, so a kept closure makes
/// no cycle with it).
enum Compiled {
    typealias Statement = (Interpreter, Scope) throws -> Value
    typealias Expression = (Interpreter, Scope) throws -> Value
    /// Values of a command's arguments or a list's elements, spreads opened.
    typealias Arguments = (Interpreter, Scope) throws -> [Value]
    typealias Condition = (Interpreter, Scope) throws -> Bool

    /// A block's statements, and whether it needs a scope of its own.
    struct Block {
        let statements: [Statement]
        /// `Block.definesVariables`: the rule the tree walk and the checker follow too.
        let needsScope: Bool

        func run(_ interpreter: Interpreter, in scope: Scope) throws {
            let inner = needsScope ? Scope(parent: scope) : scope
            for statement in statements {
                _ = try statement(interpreter, inner)
            }
        }
    }
}

/// Turns the statements of a loop, or of a function, into closures once, so
/// that each iteration or call runs them without walking the tree again
/// (the rest of a script runs once): no `switch` over the AST and no copy
/// of its payloads per statement, literals made into values once, each
/// builtin call holding its own resolved call site. Each closure does exactly
/// what the tree walk (Interpreter+Statements, +Expressions, +Commands) does
/// for its node, in the same order, with the same diagnostics at the same
/// ranges; statements it has no closure of its own for run through the tree
/// walk. Compiling never fails: every error is found, as before, when the
/// code runs.
enum Compiler {
    static func statements(_ statements: [Statement]) -> [Compiled.Statement] {
        statements.map(statement)
    }

    static func block(_ block: Block) -> Compiled.Block {
        Compiled.Block(statements: statements(block.statements), needsScope: block.definesVariables)
    }

    /// A statement with what `executeForValue` does first: count its depth, check the limits.
    static func statement(_ statement: Statement) -> Compiled.Statement {
        let keyword = statement.keywordRange
        let body = self.body(of: statement)
        return { interpreter, scope in
            interpreter.evaluationDepth += 1
            defer { interpreter.evaluationDepth -= 1 }
            try interpreter.checkLimits(at: keyword)
            return try body(interpreter, scope)
        }
    }

    /// What `executeStatement` does for one statement.
    static func body(of statement: Statement) -> Compiled.Statement {
        let range = statement.range
        switch statement.kind {
        case .let(let name, let expression):
            let value = self.expression(expression)
            let variable = name.name
            return { interpreter, scope in
                let (result, fromProbe) = try interpreter.watchingProbes { try value(interpreter, scope) }
                try scope.define(variable, result, fromProbe: fromProbe || interpreter.probeDepth > 0, at: range)
                return .empty
            }
        case .assign(let name, let expression):
            return assignment(name, expression, range: range)
        case .pipeline(let pipeline):
            return run(pipeline)
        case .if(let branches, let elseBlock):
            let compiled = branches.map { (condition: test($0.condition), body: block($0.body)) }
            let otherwise = elseBlock.map(block)
            return { interpreter, scope in
                // Reaching a branch depends on every condition tested before it.
                var chosenByProbe = false
                for branch in compiled {
                    let (truth, fromProbe) = try interpreter.watchingProbes { try branch.condition(interpreter, scope) }
                    chosenByProbe = chosenByProbe || fromProbe
                    if truth {
                        try interpreter.dependingOnProbe(chosenByProbe) { try branch.body.run(interpreter, in: scope) }
                        return .empty
                    }
                }
                if let otherwise {
                    try interpreter.dependingOnProbe(chosenByProbe) { try otherwise.run(interpreter, in: scope) }
                }
                return .empty
            }
        case .for(let name, let expression, let body):
            return forLoop(name, expression, body)
        case .while(let condition, let body):
            return whileLoop(condition, body)
        case .return(let expression):
            let value = expression.map(self.expression)
            return { interpreter, scope in
                throw ControlFlow.returned(try value.map { try $0(interpreter, scope) } ?? .empty)
            }
        case .break:
            return { _, _ in throw ControlFlow.breakLoop }
        case .continue:
            return { _, _ in throw ControlFlow.continueLoop }
        case .match, .function, .exit, .try, .lock, .cleanup, .source:
            // Rare in a loop's body, or cheap beside what they do: the tree walk runs them.
            return { interpreter, scope in try interpreter.executeStatement(statement, in: scope) }
        }
    }

    static func forLoop(_ name: Identifier, _ expression: Expression, _ body: Block) -> Compiled.Statement {
        let list = self.expression(expression)
        let listRange = expression.range
        let statements = self.statements(body.statements)
        return { interpreter, scope in
            let (value, fromProbe) = try interpreter.watchingProbes { try list(interpreter, scope) }
            guard case .list(let items) = value else {
                throw Diagnostic("'for' needs a list, got a \(value.typeName)", at: listRange,
                                 hint: value.typeName == "string" ? "wds never splits text by itself: loop over $(split $text \" \")" : nil)
            }
            try interpreter.dependingOnProbe(fromProbe) {
                loop: for item in items {
                    let inner = Scope(parent: scope)
                    try inner.define(name.name, item, fromProbe: fromProbe, at: name.range)
                    do {
                        for statement in statements {
                            _ = try statement(interpreter, inner)
                        }
                    } catch ControlFlow.breakLoop {
                        break loop
                    } catch ControlFlow.continueLoop {
                        continue loop
                    }
                }
            }
            return .empty
        }
    }

    static func whileLoop(_ condition: Pipeline, _ body: Block) -> Compiled.Statement {
        let test = self.test(condition)
        let body = block(body)
        return { interpreter, scope in
            var chosenByProbe = false
            loop: while true {
                let (truth, fromProbe) = try interpreter.watchingProbes { try test(interpreter, scope) }
                chosenByProbe = chosenByProbe || fromProbe
                guard truth else { break loop }
                do {
                    try interpreter.dependingOnProbe(chosenByProbe) { try body.run(interpreter, in: scope) }
                } catch ControlFlow.breakLoop {
                    break loop
                } catch ControlFlow.continueLoop {
                    continue loop
                }
            }
            return .empty
        }
    }
}

extension Interpreter {
    /// A function's statements compiled, kept for its next call by where the function is written.
    func compiledBody(of function: FunctionDeclaration) -> [Compiled.Statement] {
        let key = CallSite.Key(function.range)
        if let compiled = compiledFunctions[key] { return compiled }
        let compiled = Compiler.statements(function.body.statements)
        compiledFunctions[key] = compiled
        return compiled
    }

    /// A `while` or `for` statement compiled, kept for its next run by where it is written.
    func compiledLoop(_ statement: Statement) -> Compiled.Statement {
        let key = CallSite.Key(statement.range)
        if let compiled = compiledLoops[key] { return compiled }
        let compiled = Compiler.body(of: statement)
        compiledLoops[key] = compiled
        return compiled
    }
}
