import Lexer

/// A family of host state (iptables, files, links, nftables…) as the
/// standard library registers it: its builtins, the decoder of its effects
/// (for saved plans), and what each run needs of it (its model). Driver,
/// plan, verify, the REPL and the sandbox loop over the registered families
/// and name none of them: adding a family is one folder and one line in
/// `Builtins.standard`.
public struct HostFamily: Sendable {
    public var name: String
    public var builtins: [BuiltinRegistry.Entry]
    /// Reads the family's effects back from a saved plan; nil when it has no effects of its own.
    public var decoder: FamilyEffects.Decoder?
    /// Makes the family's per-run state in a new run: typically its model,
    /// registered with `context.register` as a `TransactionalFamily`.
    public var install: (@Sendable (_ context: RunContext, _ batch: Bool) -> Void)?

    public init(_ name: String, builtins: [BuiltinRegistry.Entry], decoder: FamilyEffects.Decoder? = nil,
                install: (@Sendable (_ context: RunContext, _ batch: Bool) -> Void)? = nil) {
        self.name = name
        self.builtins = builtins
        self.decoder = decoder
        self.install = install
    }
}

/// One line of a plan: `+` added, `-` removed, `~` changed, under an area heading.
public struct PlanLine: Equatable, Sendable {
    public enum Sign: String, Sendable { case add = "+", remove = "-", change = "~" }
    public var area: String
    public var sign: Sign
    public var text: String
    public init(area: String, sign: Sign, text: String) {
        self.area = area
        self.sign = sign
        self.text = text
    }
}

/// What a family would change, for `wds plan` and `wds verify`.
public struct FamilyPlan {
    public var lines: [PlanLine] = []
    /// What `verify --fix` performs to put back what is missing (never what is extra).
    public var fixes: [Effect] = []
    /// How many missing pieces `fixes` puts back.
    public var fixedCount = 0
    /// Effects to perform before checking the host and fixing, and after (a lock and its release).
    public var holdDuringFix: (take: Effect, release: Effect)?
    public init() {}
}

/// A family whose model can say, after a simulated run, what the run would change.
public protocol PlannableFamily: TransactionalFamily {
    /// Reads the live state through `context.host` (the plan's probes) and compares it with the model.
    func plan(_ context: RunContext, at location: SourceRange) throws -> FamilyPlan
}

extension BuiltinRegistry {
    /// Registers a family: its builtins, and the decoder of its effects.
    public mutating func add(_ family: HostFamily) {
        for entry in family.builtins {
            switch entry {
            case .single(let spec): add(spec)
            case .family(let builtins): add(builtins)
            }
        }
        if let decoder = family.decoder { FamilyEffects.register(family.name, decoder) }
        families.append(family)
    }

    /// Gives a new run each registered family's state.
    public func installFamilies(in context: RunContext, batch: Bool) {
        for family in families { family.install?(context, batch) }
    }
}
