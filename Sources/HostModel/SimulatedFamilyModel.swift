import Lexer

/// A family's model of host state in a simulated run (trace, plan, the
/// REPL's `:trace on`), for a family whose changes the script reads back
/// through the host's own probes: `sysctl get` after `sysctl set`, a file
/// read after it was written. The simulated host performs none of the
/// family's mutations: it hands each to this model, and asks the models
/// about each probe before the live host, so a trace sees its own earlier
/// changes. A family that decides its statements on a `TransactionalFamily`
/// (iptables, links, nftables) answers its own questions and needs none.
/// Each simulated host makes its own model of every family that has one.
public protocol SimulatedFamilyModel: AnyObject {
    /// Remembers a change the run does not make; throws where the real one would fail.
    /// `simulated` is the simulated host: what the model reads through it sees every family's changes.
    func simulate(_ effect: any FamilyEffect, simulated: Host, at location: SourceRange) throws -> EffectResult
    /// A probe's answer as the run's changes left it; nil when they do not touch what it asks.
    /// `live` answers as the host is (read-only): what the model adds its changes to.
    func answer(_ probe: Effect, simulated: Host, live: Host, at location: SourceRange) throws -> EffectResult?
    /// What differs between the live host and the model, for `wds plan` and `wds verify`.
    func plannedChanges(simulated: Host, live: Host, at location: SourceRange) -> [PlannedChange]
    /// What the model remembers, as one value: a caught failure comes back to it
    /// (`rollBack(to:)`), as a real run's journal undoes what the statement changed.
    func savepoint() -> Any
    /// Forgets what it remembered since `savepoint`; nil: since the model was made.
    func rollBack(to savepoint: Any?)
    /// What a real run performs to come back to `savepoint` (nil: as the model was made), asked
    /// before `rollBack(to:)`: the trace prints it, so that a replay undoes what the run undoes.
    /// `live` answers as the host is (read-only).
    func undoEffects(to savepoint: Any?, live: Host, at location: SourceRange) -> [Effect]
}

/// A host that simulates changes instead of making them (trace, plan): where
/// a real run's journal undoes what a caught failure's statement changed, it
/// goes back to a savepoint — but never past the last point of no return
/// since, which a real run cannot undo either — so the probes after it, the
/// plan and `wds apply` of a saved plan see what the run leaves.
public protocol SimulatedChanges: AnyObject {
    func savepoint() -> SimulatedSavepoint
    /// `location`: the failing statement a caught failure takes back, where a trace prints the
    /// undo; nil for a failed run's end (whose undo no trace prints, in any family).
    func rollBack(to savepoint: SimulatedSavepoint, at location: SourceRange?)
}

/// Where a simulated host stood: how many changes it had simulated, and its
/// models' own savepoints (nil: made after it); a wrapper keeps its own mark beside.
public struct SimulatedSavepoint {
    public var changes: Int
    public var models: [Any]?
    public var wrapper: Int = 0
    public init(changes: Int, models: [Any]?) {
        self.changes = changes
        self.models = models
    }
}

/// A simulated host that can trace a script started with `run-script` in a
/// child wds, as it was made to (format, state file): what the programs
/// family's model asks of it where the child does not run in this process.
public protocol ChildScriptTracing: Host {
    /// The child trace's exit status (0 where this host shows no child).
    func traceChildScript(path: String, arguments: [String]) -> Int32
}

/// One change a simulated run would make outside the transactional families, for `wds plan`.
public struct PlannedChange: Equatable {
    public typealias Sign = PlanLine.Sign
    public var area: String
    public var sign: Sign
    public var text: String
    /// Marks a change a failed run could not undo (see `Effect.isPointOfNoReturn`).
    public static let noReturn = "  (point of no return)"
    /// The effect that makes it (what `wds verify --fix` performs when it is missing).
    public var effect: Effect?

    public init(area: String, sign: Sign, text: String, effect: Effect?) {
        self.area = area
        self.sign = sign
        self.text = text
        self.effect = effect
    }
}
