#if canImport(Glibc)
import Glibc
#endif

/// How the evaluator makes the effects of the language's `lock PATH { … }`
/// block. They are a family's (the host family's `LockBlock`, which holds the
/// flock in the process's table shared with the iptables transaction lock),
/// and the evaluator sits below every family: the family registers its makers
/// (`HostFamily.lockBlocks`), and `Effect.lock`/`.unlock` call them.
public struct LockBlockEffects: Sendable {
    /// An flock on `path` held through descriptor `slot`; no timeout waits as long as it takes.
    public var lock: @Sendable (_ path: String, _ timeoutSeconds: Int?, _ slot: Int) -> any FamilyEffect
    /// Lets go of the lock held through `slot`.
    public var unlock: @Sendable (_ path: String, _ slot: Int) -> any FamilyEffect

    public init(lock: @escaping @Sendable (String, Int?, Int) -> any FamilyEffect,
                unlock: @escaping @Sendable (String, Int) -> any FamilyEffect) {
        self.lock = lock
        self.unlock = unlock
    }

    nonisolated(unsafe) private static var registered: LockBlockEffects?
    nonisolated(unsafe) private static var mutex = pthread_mutex_t()
    private static let initialized: Bool = {
        pthread_mutex_init(&mutex, nil)
        return true
    }()

    public static func register(_ effects: LockBlockEffects) {
        _ = initialized
        pthread_mutex_lock(&mutex)
        registered = effects
        pthread_mutex_unlock(&mutex)
    }

    static var current: LockBlockEffects {
        _ = initialized
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        guard let registered else { preconditionFailure("no registered family performs `lock` blocks (HostFamily.lockBlocks)") }
        return registered
    }
}

extension Effect {
    /// The effect of entering `lock PATH { … }` (see `LockBlockEffects`).
    public static func lock(path: String, timeoutSeconds: Int?, slot: Int) -> Effect {
        .family(AnyFamilyEffect(LockBlockEffects.current.lock(path, timeoutSeconds, slot)))
    }

    /// The effect of leaving it.
    public static func unlock(path: String, slot: Int) -> Effect {
        .family(AnyFamilyEffect(LockBlockEffects.current.unlock(path, slot)))
    }
}
