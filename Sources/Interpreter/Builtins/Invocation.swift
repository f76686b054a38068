import Lexer

/// What a builtin's implementation receives: its evaluated arguments, the
/// statement's location, and the run's context (host, environment, state).
public struct Invocation {
    /// One use of an option: its value (`true` for a flag), whether `!` came before it, where it is written.
    public typealias OptionUse = (value: Value, negated: Bool, range: SourceRange)

    public var spec: BuiltinSpec
    /// The whole command, for errors that have no better place to point.
    public var range: SourceRange
    public var positionals: [Value]
    public var positionalRanges: [SourceRange]
    public var options: OptionTable<OptionUse>
    /// True inside `$( … )`: the caller wants the value, not output.
    public var isCaptured: Bool
    public var context: RunContext
    /// How many probes the run had made when this builtin started.
    public var probesAtStart = 0

    public var host: Host { context.host }

    public init(spec: BuiltinSpec, range: SourceRange, positionals: [Value] = [], positionalRanges: [SourceRange] = [],
                options: OptionTable<OptionUse> = [:], isCaptured: Bool = false,
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

    public func has(_ option: String) -> Bool { options.contains(option) }

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
        var dependsOnProbe = false
        if effect.isTransactionLock {
            // Taken before any read, on every host alike.
        } else if effect.isMutation {
            // In script order: an open batch (iptables) reaches the kernel before anything else changes.
            if effect.commitsOpenBatches { try context.commitOpenBatches(except: effect.batchFamily) }
            dependsOnProbe = probes.statementDependsOnProbe || probes.count > probesAtStart || probes.builtinConsultedHost
            probes.lastMutationDependedOnProbe = dependsOnProbe
        } else {
            probes.count += 1
        }
        let result = try context.host.perform(effect, in: EffectContext(location: range, dependsOnProbe: dependsOnProbe))
        if effect.isPointOfNoReturn { context.notePointOfNoReturn() }
        return result
    }

    /// Refuses, before it is made, a value of about `bytes` this builtin would
    /// return beyond wds's limit on a value's size (Limits): for builtins whose
    /// result can be much larger than their arguments.
    public func checkValueSize(_ bytes: Int) throws {
        try Limits.checkValue(bytes: bytes, at: range)
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
    /// What the run changed and how to undo it (filled where changes are real: `wds run`).
    public let journal: Journal
    /// The families that hold their changes in a batch (see `TransactionalFamily`).
    public internal(set) var transactionalFamilies: [TransactionalFamily] = []
    /// Runs another script in this process, continuing this run's model of the
    /// host (trace and plan); nil where `run-script` starts a real `wds run`.
    public var runScriptInProcess: ((_ path: String, _ arguments: [String], _ call: Invocation) throws -> Int32)?
    /// How many `run-script` children this run is inside of, in this process.
    public private(set) var scriptDepth = 0
    /// What the run learns as it goes that a saved plan must pin: the environment
    /// variables it read and the scripts it loaded (shared with child scripts).
    public private(set) var inputs = RunInputs()
    /// Where the run stood after its last point of no return (see `notePointOfNoReturn`).
    var noReturn: Savepoint?
    /// Orders savepoints and points of no return.
    var savepointSerial = 0

    public init(host: Host, environment: [String: String], arguments: [String], journal: Journal = Journal()) {
        self.host = host
        self.environment = environment
        self.arguments = arguments
        self.journal = journal
    }

    /// The context of a child script run in this process: its own arguments, the same host, model and journal.
    public func child(arguments: [String]) -> RunContext {
        let child = RunContext(host: host, environment: environment, arguments: arguments, journal: journal)
        child.storage = storage
        child.transactionalFamilies = transactionalFamilies
        child.runScriptInProcess = runScriptInProcess
        child.scriptDepth = scriptDepth + 1
        child.inputs = inputs
        return child
    }

    /// Where an environment records that NAME is set to bytes that are not
    /// UTF-8 (`env NAME` refuses it): `NAME=`, a key no real variable can
    /// have, since a name ends at its first `=`. The variable itself is left
    /// out, so nothing reads a changed value by mistake.
    public static func invalidEnvironmentKey(_ name: String) -> String { name + "=" }
}

/// The inputs of a run beyond the host: what a saved plan pins, so that `wds
/// apply` re-derives the same effects or refuses.
public final class RunInputs {
    /// Each variable the run read, with its value then (nil: unset), in the order first read.
    public private(set) var environment: [(name: String, value: String?)] = []
    /// Every script file the run loaded (the script, what it sources, its run-script children).
    public private(set) var scripts: [Script] = []
    public init() {}

    func noteEnvironment(_ name: String, _ value: String?) {
        if !environment.contains(where: { $0.name == name }) { environment.append((name, value)) }
    }

    public func noteLoaded(_ script: Script) {
        if !scripts.contains(where: { $0 === script }) { scripts.append(script) }
    }
}

extension RunContext {
    /// An environment variable as the script sees it; every read is noted for saved plans.
    public func environmentValue(_ name: String) -> String? {
        let value = environment[name]
        inputs.noteEnvironment(name, value)
        return value
    }
}

/// Which mutations depend on what a probe answered: on another host, with
/// other answers, those lines of a trace could differ or be missing.
public final class ProbeTracker {
    /// Probes performed so far in this run.
    public var count: Int {
        get { probesMade }
        set { probesMade = newValue }
    }
    /// `count`'s storage, internal so that every access to it is in this
    /// module: the optimizer can then see that none overlaps another and drop
    /// the run-time exclusivity check from the reads the evaluator makes
    /// around each statement (a public stored property keeps the check).
    var probesMade = 0
    /// The statement now running takes values from probes, or runs in a branch chosen by one.
    public var statementDependsOnProbe = false
    /// Whether the last mutation a builtin made depended on a probe (what its
    /// `EffectContext` said): a batching family keeps it with the change it staged,
    /// so that the batch's commit carries it too.
    public var lastMutationDependedOnProbe = false
    /// The builtin now running decided something from what it knows of the host
    /// (a cached answer counts: the iptables model read earlier).
    public var builtinConsultedHost = false
    public init() {}
}
