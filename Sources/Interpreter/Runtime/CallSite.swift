import Lexer

/// What a builtin call written at one place in a script resolves to: the
/// builtin (or family subcommand) and its words sorted into positionals and
/// options. Both depend only on what is written, so the interpreter works
/// them out the first time the command runs and reuses them in every later
/// run of the same command (a loop's body), instead of looking the name up
/// and binding the words again. Only a success is kept: a call that fails to
/// resolve or bind is worked out, and reported, afresh each time.
final class CallSite {
    let spec: BuiltinSpec
    let bound: BoundArguments
    /// The evaluated positionals' ranges when no positional is a spread (the common case).
    let positionalRanges: [SourceRange]?
    /// `spec.requiredCount`, counted once.
    let requiredCount: Int
    /// What each call reads of the spec, copied out of it once: the type each
    /// positional is checked against (`restType` past `parameterTypes`; no
    /// more positionals allowed when it is nil), purity and the implementation.
    let parameterTypes: [ArgumentType]
    let restType: ArgumentType?
    let isPure: Bool
    let implementation: BuiltinSpec.Implementation
    /// For each positional (when none is a spread): whether its value must be
    /// checked against its type at each call. A literal that passes the check
    /// once passes it every time (it is the same value), so it is checked here.
    let positionalNeedsCheck: [Bool]
    /// Without a spread, a call has as many positionals every time: whether
    /// their count fits the builtin, and whether any needs a check, is known
    /// here. When both say so, a call has nothing to check (Interpreter.check).
    let checksNothing: Bool

    /// The command's range: where a call's own errors point.
    let range: SourceRange
    /// The positionals compiled (Compiler): one value each when none is a
    /// spread, else each one's values; and each option's value, if it has one.
    let positionalValues: [Compiled.Expression]
    let positionalLists: [Compiled.Arguments]
    let optionValues: [Compiled.Expression?]

    /// The `Invocation` of the site's last call of a pure builtin, ready for
    /// its next (Interpreter.invokePure); nil while a call has it.
    var spareInvocation: Invocation?

    func takeSpareInvocation() -> Invocation? {
        var taken: Invocation?
        swap(&taken, &spareInvocation)
        return taken
    }

    /// What the command wrote, checked at each use so two commands can never share a site.
    let name: String
    let argumentCount: Int
    /// `Interpreter.functionsGeneration` when the site was resolved: no function had the name then.
    let generation: Int

    init(_ command: Command, spec: BuiltinSpec, bound: BoundArguments, generation: Int) {
        self.generation = generation
        name = command.name.name
        argumentCount = command.arguments.count
        self.spec = spec
        requiredCount = spec.requiredCount
        parameterTypes = spec.parameters.map(\.type)
        restType = spec.rest?.type
        isPure = spec.isPure
        implementation = spec.implementation
        self.bound = bound
        range = command.range
        let hasSpread = bound.positionals.contains { if case .spread = $0.kind { return true } else { return false } }
        positionalRanges = hasSpread ? nil : bound.positionals.map(\.range)
        positionalValues = hasSpread ? [] : bound.positionals.map(Compiler.expression)
        positionalLists = hasSpread ? bound.positionals.map { Compiler.arguments([$0]) } : []
        optionValues = bound.options.map { $0.value.map(Compiler.expression) }
        positionalNeedsCheck = hasSpread ? [] : bound.positionals.indices.map { [spec] index in
            guard let type = ArgumentBinder.parameter(at: index, in: spec)?.type else { return false }
            guard let constant = Compiler.constant(bound.positionals[index]) else { return true }
            return type.problem(with: constant) != nil
        }
        let count = bound.positionals.count
        let countFits = count >= requiredCount && (spec.rest != nil || count <= spec.parameters.count)
        checksNothing = !hasSpread && countFits && !positionalNeedsCheck.contains(true)
    }

    func fits(_ command: Command) -> Bool {
        command.arguments.count == argumentCount && command.name.name == name
    }

    /// A command's place: its file (held, so the identity is never reused) and its first byte.
    struct Key: Hashable {
        let file: SourceFile
        let start: Int
        let end: Int

        init(_ command: Command) {
            self.init(command.range)
        }

        init(_ range: SourceRange) {
            file = range.file
            start = range.start
            end = range.end
        }

        static func == (a: Key, b: Key) -> Bool {
            a.file === b.file && a.start == b.start && a.end == b.end
        }

        func hash(into hasher: inout Hasher) {
            hasher.combine(ObjectIdentifier(file))
            hasher.combine(start)
            hasher.combine(end)
        }
    }
}
