import Lexer

/// A family of host state (iptables, files, links, nftables…) as the
/// standard library registers it: its builtins, the decoder of its effects
/// (for saved plans), and what each run needs of it (its model). Driver,
/// plan, verify, the REPL and the sandbox loop over the registered families
/// and name none of them: adding a family is one folder and one line in
/// `Builtins.standard`.
public struct HostFamily: Sendable {
    public var name: String
    /// Its builtins, made when the registry is first read (see `BuiltinRegistry`).
    public var builtins: [BuiltinRegistry.Entry] { makeBuiltins() }
    private let makeBuiltins: @Sendable () -> [BuiltinRegistry.Entry]
    /// Reads the family's effects back from a saved plan; nil when it has no effects of its own.
    public var decoder: FamilyEffects.Decoder?
    /// Makes the family's per-run state in a new run: typically its model,
    /// registered with `context.register` as a `TransactionalFamily`.
    public var install: (@Sendable (_ context: RunContext, _ batch: Bool) -> Void)?
    /// What `wds run --sandbox` shows of the family's state, read before and after the run (nil: nothing).
    public var snapshot: (@Sendable () -> FamilySnapshot?)?
    /// Names read from the live host for REPL completion of a parameter (by name and type; the
    /// options already given, such as `--table nat`, say where to look).
    public var liveNames: (@Sendable (_ parameter: String, _ type: ArgumentType, _ options: [String: String], _ host: Host) -> [String])?
    /// The top-level names its effects have in saved plans (`FamilyEffect.planName`), which `decoder` reads.
    public var planNames: [String]
    /// The makers of the `lock PATH { … }` block's effects, for the one family that performs them (see `LockBlockEffects`).
    public var lockBlocks: LockBlockEffects?
    /// Its model in a simulated run, for a family whose changes the host's probes read back (see `SimulatedFamilyModel`).
    public var simulation: (@Sendable () -> SimulatedFamilyModel)?

    public init(_ name: String, builtins: @autoclosure @escaping @Sendable () -> [BuiltinRegistry.Entry], decoder: FamilyEffects.Decoder? = nil,
                planNames: [String] = [], lockBlocks: LockBlockEffects? = nil,
                install: (@Sendable (_ context: RunContext, _ batch: Bool) -> Void)? = nil,
                simulation: (@Sendable () -> SimulatedFamilyModel)? = nil,
                snapshot: (@Sendable () -> FamilySnapshot?)? = nil,
                liveNames: (@Sendable (_ parameter: String, _ type: ArgumentType, _ options: [String: String], _ host: Host) -> [String])? = nil) {
        self.name = name
        self.makeBuiltins = builtins
        self.decoder = decoder
        self.planNames = planNames
        self.lockBlocks = lockBlocks
        self.install = install
        self.simulation = simulation
        self.snapshot = snapshot
        self.liveNames = liveNames
    }
}

/// A family whose model can say, after a simulated run, what the run would change.
public protocol PlannableFamily: TransactionalFamily {
    /// Reads the live state through `context.host` (the plan's probes) and compares it with the model.
    func plan(_ context: RunContext, at location: SourceRange) throws -> FamilyPlan
}

extension BuiltinRegistry {
    /// Registers a family: its builtins, and the decoder of its effects.
    public mutating func add(_ family: HostFamily) {
        addLazily { family.builtins }
        if let decoder = family.decoder { FamilyEffects.register(family.name, decoder) }
        if !family.planNames.isEmpty { FamilyEffects.register(family.name, planNames: family.planNames) }
        if let simulation = family.simulation { FamilyEffects.register(family.name, simulation: simulation) }
        if let lockBlocks = family.lockBlocks { LockBlockEffects.register(lockBlocks) }
        families.append(family)
    }

    /// Gives a new run each registered family's state.
    public func installFamilies(in context: RunContext, batch: Bool) {
        for family in families { family.install?(context, batch) }
    }
}
