import Lexer

extension Interpreter {
    /// A pipeline as a statement: a failure that nothing handles stops the script.
    func run(_ pipeline: Pipeline, in scope: Scope) throws -> Value {
        switch pipeline.kind {
        case .command(let command):
            return try call(command, in: scope, captured: false)
        case .and(let left, let right):
            // As in `set -e` done right: a false left side is not a failure.
            let (truth, fromProbe) = try watchingProbes { try test(left, in: scope) }
            guard truth else { return .boolean(false) }
            return try dependingOnProbeValue(fromProbe) { try run(right, in: scope) }
        case .or(let left, let right):
            let (truth, fromProbe) = try watchingProbes { try test(left, in: scope) }
            if truth { return .boolean(true) }
            return try dependingOnProbeValue(fromProbe) { try run(right, in: scope) }
        case .test(let expression):
            // A bare value as a statement (`$(…)`, `$x`): a failure inside it stops the
            // script like any other; only a condition reads a failure as false.
            return try evaluate(expression, in: scope)
        case .not, .compare:
            return .boolean(try test(pipeline, in: scope))
        }
    }

    func dependingOnProbeValue(_ chosen: Bool, _ body: () throws -> Value) rethrows -> Value {
        if chosen { probeDepth += 1 }
        defer { if chosen { probeDepth -= 1 } }
        return try body()
    }

    /// A pipeline as a condition: failures read as false.
    func test(_ pipeline: Pipeline, in scope: Scope) throws -> Bool {
        switch pipeline.kind {
        case .command(let command):
            let savepoint = context.savepoint()
            do {
                let value = try call(command, in: scope, captured: false)
                if case .boolean(let b) = value { return b }
                return true
            } catch let failure as CommandFailure {
                try undoCaught(failure, to: savepoint)
                return false
            }
        case .not(let inner):
            return !(try test(inner, in: scope))
        case .and(let left, let right):
            return try test(left, in: scope) && test(right, in: scope)
        case .or(let left, let right):
            return try test(left, in: scope) || test(right, in: scope)
        case .compare(let left, let op, let right):
            return try compare(left, op, right, in: scope)
        case .test(let expression):
            let value: Value
            let savepoint = context.savepoint()
            do {
                value = try evaluate(expression, in: scope)
            } catch let failure as CommandFailure {
                try undoCaught(failure, to: savepoint)
                return false
            }
            guard let truth = value.booleanValue else {
                throw Diagnostic("a condition needs true or false, got a \(value.typeName) '\(value)'", at: expression.range,
                                 hint: "compare it: `if $x == \"value\" { … }`")
            }
            return truth
        }
    }

    /// A failure that a condition, `||` or `try` catches first undoes what the
    /// failing statement itself changed. An undo that fails ends the run: it
    /// is not the failure the script meant to handle.
    func undoCaught(_ failure: CommandFailure, to savepoint: Savepoint) throws {
        let failed = context.rollBack(to: savepoint, at: failure.diagnostic.range)
        guard let (step, error) = failed.first else { return }
        let reason = (error as? CommandFailure)?.message ?? "\(error)"
        throw Diagnostic("cannot undo what the failed statement changed (\(step.undoDescription)): \(reason)",
                         at: failure.diagnostic.range, hint: "the statement failed with: \(failure.message)")
    }

    func compare(_ leftExpression: Expression, _ op: ComparisonOperator, _ rightExpression: Expression, in scope: Scope) throws -> Bool {
        let left = try evaluate(leftExpression, in: scope)
        let right = try evaluate(rightExpression, in: scope)
        return try compare(left, op, right, leftRange: leftExpression.range, rightRange: rightExpression.range)
    }

    /// Two evaluated sides; the ranges are where a side that is no number is reported.
    func compare(_ left: Value, _ op: ComparisonOperator, _ right: Value, leftRange: SourceRange, rightRange: SourceRange) throws -> Bool {
        switch op {
        case .equal, .notEqual:
            let same: Bool
            if let a = left.text, let b = right.text {
                same = a == b
            } else {
                same = left == right
            }
            return op == .equal ? same : !same
        case .less, .lessOrEqual, .greater, .greaterOrEqual:
            guard let a = left.integerValue else {
                throw Diagnostic("'\(op.rawValue)' compares whole numbers, got '\(left)'", at: leftRange)
            }
            guard let b = right.integerValue else {
                throw Diagnostic("'\(op.rawValue)' compares whole numbers, got '\(right)'", at: rightRange)
            }
            switch op {
            case .less: return a < b
            case .lessOrEqual: return a <= b
            case .greater: return a > b
            default: return a >= b
            }
        }
    }

    /// Calls a function or a builtin.
    func call(_ command: Command, in scope: Scope, captured: Bool) throws -> Value {
        if functionsFixed, let function = resolvedFunction(at: command.range), function.name.name == command.name.name {
            return try call(function, command, in: scope)
        }
        let key = CallSite.Key(command)
        if let cached = callSites[key], cached.generation == functionsGeneration, cached.fits(command) {
            return try invoke(cached, in: scope, captured: captured)
        }
        if let function = functions[command.name.name] {
            functionLookupsByName += 1
            return try call(function, command, in: scope)
        }
        return try invoke(callSite(command, key: key), in: scope, captured: captured)
    }

    /// The call site kept for `command` while no function can have taken its name, or a new one.
    func currentCallSite(_ command: Command) throws -> CallSite {
        let key = CallSite.Key(command)
        if let cached = callSites[key], cached.generation == functionsGeneration, cached.fits(command) {
            return cached
        }
        return try callSite(command, key: key)
    }

    /// Runs the builtin of a resolved call site: evaluates and checks its
    /// arguments (with the closures compiled for them) and calls it.
    func invoke(_ site: CallSite, in scope: Scope, captured: Bool) throws -> Value {
        if site.isPure, site.positionalRanges != nil {
            return try invokePure(site, in: scope, captured: captured)
        }
        let probesBeforeArguments = context.probes.count
        let readBefore = readProbeDerivedValue
        readProbeDerivedValue = false
        var positionals: [Value] = []
        var positionalRanges: [SourceRange]
        var needsCheck: [Bool]?
        if let ranges = site.positionalRanges {
            positionals.reserveCapacity(ranges.count)
            for argument in site.positionalValues {
                positionals.append(try argument(self, scope))
            }
            positionalRanges = ranges
            needsCheck = site.positionalNeedsCheck
        } else {
            positionalRanges = []
            for (index, argument) in site.positionalLists.enumerated() {
                let values = try argument(self, scope)
                positionals += values
                positionalRanges += Array(repeating: site.bound.positionals[index].range, count: values.count)
            }
        }
        try check(positionals, ranges: positionalRanges, needsCheck: needsCheck, of: site)
        let options = try evaluateOptions(of: site, in: scope)
        var invocation = Invocation(spec: site.spec, range: site.range, positionals: positionals,
                                    positionalRanges: positionalRanges, options: options, isCaptured: captured,
                                    context: context)
        if site.isPure {
            let result = try site.implementation(&invocation)
            try Limits.check(result, at: site.range)
            return result
        }
        let argumentsFromProbe = readProbeDerivedValue || context.probes.count > probesBeforeArguments
        readProbeDerivedValue = readProbeDerivedValue || readBefore
        invocation.probesAtStart = context.probes.count
        // Nested calls (a builtin inside $( )) have their own answer; restore ours after.
        let (outer, outerConsulted) = (context.probes.statementDependsOnProbe, context.probes.builtinConsultedHost)
        context.probes.statementDependsOnProbe = argumentsFromProbe || probeDepth > 0
        context.probes.builtinConsultedHost = false
        defer { (context.probes.statementDependsOnProbe, context.probes.builtinConsultedHost) = (outer, outerConsulted) }
        let result = try site.implementation(&invocation)
        try Limits.check(result, at: site.range)
        return result
    }

    /// The count of positionals, then each one's type (`needsCheck`: which to check; nil, all).
    func check(_ positionals: [Value], ranges positionalRanges: [SourceRange], needsCheck: [Bool]?, of site: CallSite) throws {
        if positionals.count < site.requiredCount {
            let spec = site.spec
            throw Diagnostic("'\(spec.name)' needs \(spec.parameters[positionals.count].placeholder) (usage: \(spec.synopsis))",
                             at: site.range)
        }
        if site.restType == nil && positionals.count > site.parameterTypes.count {
            let spec = site.spec
            throw Diagnostic("too many arguments for '\(spec.name)' (usage: \(spec.synopsis))", at: site.range)
        }
        for index in positionals.indices where needsCheck?[index] ?? true {
            let type = index < site.parameterTypes.count ? site.parameterTypes[index] : site.restType
            if let problem = type?.problem(with: positionals[index]) {
                throw Diagnostic(problem, at: positionalRanges[index])
            }
        }
    }

    /// The options written at the site, evaluated and checked, by name.
    func evaluateOptions(of site: CallSite, in scope: Scope) throws -> OptionTable<Invocation.OptionUse> {
        var options = OptionTable<Invocation.OptionUse>()
        for (index, option) in site.bound.options.enumerated() {
            var value = Value.boolean(true)
            if let expression = option.value, let evaluateValue = site.optionValues[index] {
                value = try evaluateValue(self, scope)
                if option.omittedWhenEmpty && (value.text == "" || value == .list([])) { continue }
                if let problem = option.spec.valueType?.problem(with: value) {
                    throw Diagnostic("\(option.spec.name): \(problem)", at: expression.range)
                }
            }
            options.append((value, option.negated, option.value?.range ?? option.written.range), to: option.spec.name)
        }
        return options
    }

    /// The builtin a command resolves to and its bound words, kept for the command's next run.
    func callSite(_ command: Command, key: CallSite.Key) throws -> CallSite {
        guard let spec = try resolveBuiltin(command) else {
            throw Diagnostic("unknown command '\(command.name.name)'", at: command.name.range)
        }
        let arguments = spec.isSubcommand ? Array(command.arguments.dropFirst()) : command.arguments
        switch ArgumentBinder.bind(arguments, to: spec.spec, command: command.name) {
        case .success(let bound):
            let site = CallSite(command, spec: spec.spec, bound: bound, generation: functionsGeneration)
            callSites[key] = site
            return site
        case .failure(let failure):
            throw failure.first
        }
    }

    /// The builtin a command names: a single builtin, or a family's subcommand.
    func resolveBuiltin(_ command: Command) throws -> (spec: BuiltinSpec, isSubcommand: Bool)? {
        switch registry.entries[command.name.name] {
        case .single(let spec):
            return (spec, false)
        case .family(let family):
            guard let first = command.arguments.first, let name = first.bareText, let spec = family.subcommand(name) else {
                throw Diagnostic("'\(family.name)' needs a subcommand: \(family.subcommandNames.joined(separator: ", "))",
                                 at: command.arguments.first?.range ?? command.name.range)
            }
            return (spec, true)
        case nil:
            return nil
        }
    }

    func call(_ function: FunctionDeclaration, _ command: Command, in scope: Scope) throws -> Value {
        // Each parameter is marked by its own argument: one value read from the host taints only its parameter.
        var values: [Value] = []
        var fromProbe: [Bool] = []
        for argument in command.arguments {
            let (produced, derived) = try watchingProbes { try evaluateArguments([argument], in: scope) }
            values += produced
            fromProbe += Array(repeating: derived, count: produced.count)
        }
        guard values.count == function.parameters.count else {
            throw Diagnostic("'\(function.name.name)' takes \(function.parameters.count) argument(s), got \(values.count)",
                             at: command.range)
        }
        callDepth += 1
        defer { callDepth -= 1 }
        if callDepth > Interpreter.maximumCallDepth {
            throw Diagnostic("function calls nested too deeply (more than \(Interpreter.maximumCallDepth))", at: command.range)
        }
        let frame = Scope(parent: globals)
        for (index, parameter) in function.parameters.enumerated() {
            try frame.define(parameter.name, values[index], fromProbe: fromProbe[index], at: command.range)
        }
        do {
            for statement in compiledBody(of: function) {
                _ = try statement(self, frame)
            }
        } catch ControlFlow.returned(let value) {
            return value
        }
        return .empty
    }
}
