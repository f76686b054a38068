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
public final class MutationRecorder: Host {
    public struct Mutation {
        public var effect: Effect
        public var location: String
    }

    let inner: Host
    public private(set) var mutations: [Mutation] = []

    public init(_ inner: Host) { self.inner = inner }

    public func perform(_ effect: Effect, at location: SourceRange) throws -> EffectResult {
        if effect.isMutation { mutations.append(Mutation(effect: effect, location: location.shortLocation)) }
        return try inner.perform(effect, at: location)
    }
}
