import Lexer

#if canImport(Glibc)
import Glibc
#endif

/// An effect of a host family that plugs in from its own folder (network
/// links, nftables, …). Every backend handles it through this protocol alone:
/// the system performs it, the journal asks it how to undo it, the trace and
/// plans print its command, saved plans carry its JSON, the sandbox asks what
/// it may do. A family's model of the host (what it decides statements on)
/// lives in its `TransactionalFamily` object or, for a family whose changes
/// the host's probes read back, its `SimulatedFamilyModel`: a simulated
/// host performs no mutation, and knows no family.
public protocol FamilyEffect: Sendable {
    /// The name of the family that decodes it again (`FamilyEffects.register`).
    var family: String { get }
    /// A short name for the kind of effect (JSON traces, plans).
    var kind: String { get }
    /// Reads answer questions; everything else changes the host.
    var isMutation: Bool { get }
    /// Whether a real run cannot undo it exactly (a removal): the trace marks it (default: false;
    /// an effect that finds out only when it runs, a copy over a file, says so in `undo`).
    var isPointOfNoReturn: Bool { get }
    /// Whether no model can foresee what it does (a program): a plan lists it as a change it
    /// cannot look into, and verify as one it cannot verify (default: false).
    var isOpaqueToPlans: Bool { get }
    /// Whether it is the lock its family's transaction takes before its first read and releases
    /// after its commit (iptables' `flock -w`): the same on every host, so it commits no other
    /// family's batch and never depends on a probe (default: false).
    var isTransactionLock: Bool { get }
    /// Whether a caught failure takes it back with the statement that failed, as a real run's
    /// journal (or its family's engine) does: a saved plan then drops it, so `wds apply` leaves
    /// what the run leaves (default: every mutation but a transaction lock; a lock block's
    /// lock and the run's own resource limits say no).
    var isTakenBackOnFailure: Bool { get }
    /// The equivalent command as an argument vector: replayed by bash, it does what the run did.
    var argv: [String] { get }
    /// The line the trace prints (default: `argv`, quoted).
    var shellCommand: String { get }
    /// Its fields for a saved plan; `FamilyEffects.decode` reads them back.
    var fields: JSON { get }
    /// The name a saved plan gives it at the top level (`{"effect": "writeSysctl", "key": …}`, its
    /// `fields` beside it), for an effect that was the host's own before its family moved into a
    /// folder: plans saved before read the same. nil: `{"effect": "family", "family": …, "fields": …}`.
    var planName: String? { get }
    /// A probe's answer without what changes on its own (the date in a listing, packet
    /// counters): what a saved plan fingerprints, so the plan holds while traffic flows
    /// (default: the answer as it is).
    func stableAnswer(_ answer: EffectResult) -> EffectResult
    /// Performs it on the real host (a system call, a netlink request, a program).
    func perform(at location: SourceRange) throws -> EffectResult
    /// Before a journaled run performs it: reads what it will change and says how to undo it.
    func undo(at location: SourceRange) throws -> FamilyUndo
    /// What `wds run --sandbox` does with it.
    var inSandbox: SandboxPolicy { get }
    /// Its trace line in a format (`text`, `restore`, `nft`, `json`) when it is not the usual
    /// one (a staged change as a comment, a lock as a comment); "" prints nothing; nil: the usual.
    func traceLine(format: String, place: String) -> String?
}

extension FamilyEffect {
    public var shellCommand: String { shellLine(argv) }
    public var planName: String? { nil }
    public var isPointOfNoReturn: Bool { false }
    public var isOpaqueToPlans: Bool { false }
    public var isTransactionLock: Bool { false }
    public var isTakenBackOnFailure: Bool { isMutation && !isTransactionLock }
    public var inSandbox: SandboxPolicy { .perform }
    public func traceLine(format: String, place: String) -> String? { nil }
    public func stableAnswer(_ answer: EffectResult) -> EffectResult { answer }
}

/// How a journaled run can put back what a family effect changed.
public enum FamilyUndo: Sendable {
    /// It changes nothing that needs undoing (a read, output).
    case nothing
    /// Undone by performing these effects, latest first, described by `description`.
    case effects([AnyFamilyEffect], description: String)
    /// Undone in steps of their own, recorded in this order (so undone latest first): a failed step
    /// does not keep the others from being undone, and each is named on its own (`rmdir` per directory).
    case steps([(effect: AnyFamilyEffect, description: String)])
    /// It cannot be undone exactly: what the run did before it stays.
    case pointOfNoReturn(String)
}

/// What the sandbox does with an effect: perform it inside its namespaces, or
/// report it as not simulated (a change a user-namespace sandbox cannot make).
public enum SandboxPolicy: Sendable, Equatable {
    case perform
    case notSimulated(reason: String)
    /// Performed; if the kernel refuses it as it refuses a user namespace (EPERM; with `alsoDenied`,
    /// EACCES too), noted as not simulated instead of failing the run (a hard resource limit raised).
    case notSimulatedIfRefused(reason: String, alsoDenied: Bool = false)
    /// A kernel parameter set: the sandbox notes its value before and after, and sets it only if
    /// it belongs to the sandbox's network namespace (`net.*`); the others are the machine's.
    case kernelParameter(key: String, value: String)
}

/// A family effect as a value: equal when it is the same family, kind and fields.
public struct AnyFamilyEffect: Sendable, Equatable {
    public let effect: any FamilyEffect

    public init(_ effect: any FamilyEffect) { self.effect = effect }

    public static func == (a: AnyFamilyEffect, b: AnyFamilyEffect) -> Bool {
        a.effect.family == b.effect.family && a.effect.kind == b.effect.kind && a.effect.fields == b.effect.fields
    }
}

/// Where saved plans find the decoder of each family's effects. Families
/// register when the standard library is built (`Builtins.standard`).
public enum FamilyEffects {
    public typealias Decoder = @Sendable (_ kind: String, _ fields: JSON) -> (any FamilyEffect)?

    nonisolated(unsafe) private static var decoders: [String: Decoder] = [:]
    /// The family that decodes each top-level name of a saved plan (`FamilyEffect.planName`).
    nonisolated(unsafe) private static var planNames: [String: String] = [:]
    /// In the order the families registered: a plan lists their changes in that order.
    nonisolated(unsafe) private static var simulations: [(family: String, make: @Sendable () -> SimulatedFamilyModel)] = []
    nonisolated(unsafe) private static var mutex = pthread_mutex_t()
    private static let initialized: Bool = {
        pthread_mutex_init(&mutex, nil)
        return true
    }()

    public static func register(_ family: String, _ decoder: @escaping Decoder) {
        _ = initialized
        pthread_mutex_lock(&mutex)
        decoders[family] = decoder
        pthread_mutex_unlock(&mutex)
    }

    /// Registers the top-level names of a saved plan that `family`'s decoder reads (as its `kind`).
    public static func register(_ family: String, planNames names: [String]) {
        _ = initialized
        pthread_mutex_lock(&mutex)
        for name in names { planNames[name] = family }
        pthread_mutex_unlock(&mutex)
    }

    /// Registers how a simulated run makes `family`'s model (see `SimulatedFamilyModel`).
    public static func register(_ family: String, simulation: @escaping @Sendable () -> SimulatedFamilyModel) {
        _ = initialized
        pthread_mutex_lock(&mutex)
        simulations.removeAll { $0.family == family }
        simulations.append((family, simulation))
        pthread_mutex_unlock(&mutex)
    }

    public static func decode(family: String, kind: String, fields: JSON) -> (any FamilyEffect)? {
        _ = initialized
        pthread_mutex_lock(&mutex)
        let decoder = decoders[family]
        pthread_mutex_unlock(&mutex)
        return decoder?(kind, fields)
    }

    /// An effect a saved plan names at the top level (`planName`): its family's decoder gets the name
    /// as the kind and the whole object as the fields. nil when no family claims the name.
    public static func decode(planName: String, object: JSON) -> (any FamilyEffect)? {
        _ = initialized
        pthread_mutex_lock(&mutex)
        let family = planNames[planName]
        pthread_mutex_unlock(&mutex)
        return family.flatMap { decode(family: $0, kind: planName, fields: object) }
    }

    /// A new model of each family's state that has one, for a simulated run, in registration order.
    public static func makeSimulations() -> [(family: String, model: SimulatedFamilyModel)] {
        _ = initialized
        pthread_mutex_lock(&mutex)
        let makers = simulations
        pthread_mutex_unlock(&mutex)
        return makers.map { ($0.family, $0.make()) }
    }
}
