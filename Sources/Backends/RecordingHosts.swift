import Interpreter
import Lexer

/// Records each probe that reaches the host it wraps, with the answer: the
/// live state a plan was made from, fingerprinted so `wds apply` can tell
/// whether the host still is as it was read.
public final class ProbeRecorder: Host {
    public struct Probe {
        public var effect: Effect
        public var answer: EffectResult
        public var location: String
    }

    let inner: Host
    public private(set) var probes: [Probe] = []

    public init(_ inner: Host) { self.inner = inner }

    public func perform(_ effect: Effect, at location: SourceRange) throws -> EffectResult {
        let answer = try inner.perform(effect, at: location)
        if !effect.isMutation, !probes.contains(where: { $0.effect == effect }) {
            probes.append(Probe(effect: effect, answer: answer, location: location.shortLocation))
        }
        return answer
    }

    /// The fingerprint of an answer: SHA-256 of its JSON form (the state-file coding), taken
    /// without what changes on its own (`FamilyEffect.stableAnswer`: an iptables-save listing's
    /// `# Generated … on DATE` comments and the packet counters of its chains).
    public static func fingerprint(_ effect: Effect, _ answer: EffectResult) -> String {
        if case .family(let wrapped) = effect { return SHA256.hex(StateCoding.encode(wrapped.effect.stableAnswer(answer)).serialized) }
        return SHA256.hex(StateCoding.encode(answer).serialized)
    }
}

/// Records every mutation in order, and passes everything on (to a simulation,
/// for a plan): what `wds apply` will perform.
/// A caught failure that the simulation rolls back takes back the changes made
/// since (`Effect.isTakenBackOnFailure`), so `wds apply` leaves what a run leaves.
public final class MutationRecorder: Host, SimulatedChanges {
    public struct Mutation {
        public var effect: Effect
        public var location: String
    }

    let inner: SimulatedHost
    public private(set) var mutations: [Mutation] = []
    /// How many mutations there were after the last point of no return: a rollback keeps them.
    private var noReturn = 0

    public init(_ inner: SimulatedHost) { self.inner = inner }

    public func perform(_ effect: Effect, at location: SourceRange) throws -> EffectResult {
        if effect.isMutation {
            mutations.append(Mutation(effect: effect, location: location.shortLocation))
            if effect.isPointOfNoReturn { noReturn = mutations.count }
        }
        return try inner.perform(effect, at: location)
    }

    public func savepoint() -> SimulatedSavepoint {
        var savepoint = inner.savepoint()
        savepoint.wrapper = mutations.count
        return savepoint
    }

    public func rollBack(to savepoint: SimulatedSavepoint, at location: SourceRange?) {
        let kept = max(savepoint.wrapper, noReturn)
        if mutations.count > kept {
            // Output and locks stay; every change goes, with what the families' rollbacks did about it
            // (a simulated commit's batch re-opens and commits later; a link's undo cancels the change).
            let later = mutations[kept...].filter { !$0.effect.isTakenBackOnFailure }
            mutations.removeSubrange(kept...)
            mutations += later
        }
        inner.rollBack(to: savepoint, at: location)
    }
}
