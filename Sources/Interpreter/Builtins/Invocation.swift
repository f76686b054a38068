import Lexer

/// What a builtin's implementation receives: its evaluated arguments, the
/// statement's location, and the run's context (host, environment, state).
public struct Invocation {
    public var spec: BuiltinSpec
    /// The whole command, for errors that have no better place to point.
    public var range: SourceRange
    public var positionals: [Value]
    public var positionalRanges: [SourceRange]
    public var options: [String: [(value: Value, negated: Bool, range: SourceRange)]]
    /// True inside `$( … )`: the caller wants the value, not output.
    public var isCaptured: Bool
    public var context: RunContext
    /// How many probes the run had made when this builtin started.
    public var probesAtStart = 0

    public var host: Host { context.host }

    public init(spec: BuiltinSpec, range: SourceRange, positionals: [Value] = [], positionalRanges: [SourceRange] = [],
                options: [String: [(value: Value, negated: Bool, range: SourceRange)]] = [:], isCaptured: Bool = false,
                context: RunContext) {
        self.spec = spec
        self.range = range
        self.positionals = positionals
        self.positionalRanges = positionalRanges
        self.options = options
        self.isCaptured = isCaptured
        self.context = context
    }

    public func range(ofPositional index: Int) -> SourceRange {
        index < positionalRanges.count ? positionalRanges[index] : range
    }

    public func text(_ index: Int) throws -> String {
        guard index < positionals.count else { return "" }
        guard let text = positionals[index].text else {
            throw Diagnostic("expected text, got a \(positionals[index].typeName)", at: range(ofPositional: index))
        }
        return text
    }

    public func optionalText(_ index: Int) throws -> String? {
        index < positionals.count ? try text(index) : nil
    }

    public func integer(_ index: Int) throws -> Int {
        guard let n = positionals[index].integerValue else {
            throw Diagnostic("expected a whole number, got '\(positionals[index])'", at: range(ofPositional: index))
        }
        return n
    }

    public func list(_ index: Int) throws -> [Value] {
        guard case .list(let items) = positionals[index] else {
            throw Diagnostic("expected a list, got a \(positionals[index].typeName)", at: range(ofPositional: index),
                             hint: "make a list with [a b c] or $(split $text \" \")")
        }
        return items
    }

    public func has(_ option: String) -> Bool { options[option] != nil }

    public func option(_ name: String) throws -> String? {
        guard let entry = options[name]?.first else { return nil }
        guard let text = entry.value.text else {
            throw Diagnostic("option '\(name)' needs text, got a \(entry.value.typeName)", at: entry.range)
        }
        return text
    }

    /// Performs an effect at this statement's location. A mutation is marked
    /// as depending on a probe when the statement's values or the branch it
    /// is in came from reading the host, or this builtin read the host first.
    @discardableResult
    public func perform(_ effect: Effect) throws -> EffectResult {
        let probes = context.probes
        if case .iptablesLock = effect {
            probes.mutationDependsOnProbe = false  // taken before any read, on every host alike
        } else if case .iptablesUnlock = effect {
            probes.mutationDependsOnProbe = false
        } else if effect.isMutation {
            probes.mutationDependsOnProbe = probes.statementDependsOnProbe || probes.count > probesAtStart
                || probes.builtinConsultedHost
        } else {
            probes.count += 1
        }
        return try context.host.perform(effect, at: range)
    }

    public func fail(_ message: String, status: Int32 = ExitStatus.failure, hint: String? = nil) -> CommandFailure {
        CommandFailure(message, at: range, status: status, hint: hint)
    }

    /// A path as the script means it: relative paths are relative to the working directory.
    public func path(_ index: Int) throws -> String { try text(index) }
}

/// State shared by all builtins during one run.
public final class RunContext {
    public let host: Host
    public let environment: [String: String]
    /// The script's arguments (`$1`…); the REPL's `:load FILE ARGS` sets them.
    public var arguments: [String]
    /// Per-run state owned by builtin families (the iptables model, held locks), by key.
    public var storage: [String: AnyObject] = [:]
    /// What the run has read from the host, for marking mutations that depend on it.
    public let probes = ProbeTracker()

    public init(host: Host, environment: [String: String], arguments: [String]) {
        self.host = host
        self.environment = environment
        self.arguments = arguments
    }
}

/// Which mutations depend on what a probe answered: on another host, with
/// other answers, those lines of a trace could differ or be missing.
public final class ProbeTracker {
    /// Probes performed so far in this run.
    public var count = 0
    /// The statement now running takes values from probes, or runs in a branch chosen by one.
    public var statementDependsOnProbe = false
    /// Set for each mutation just before the host performs it; the trace reads it.
    public var mutationDependsOnProbe = false
    /// The builtin now running decided something from what it knows of the host
    /// (a cached answer counts: the iptables model read earlier).
    public var builtinConsultedHost = false
    public init() {}
}
