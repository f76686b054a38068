import HostSystem
import Interpreter
import Lexer

/// The effects of the language's `lock PATH { … }` block, the host family's:
/// an flock on the file, held through a descriptor slot (its replay line is
/// `exec 9>>PATH && flock 9`) until the block ends. The lock is held in the
/// process's table (`HeldLocks.shared`), where the iptables transaction lock
/// is held too: the same file taken again, however spelled, is re-entrant.
/// Nothing to undo (a run lets go of its locks however it ends), and in the
/// sandbox it is taken as on the host.
struct LockBlock: FamilyEffect {
    /// The lock each slot holds while its block runs.
    nonisolated(unsafe) static var held: [Int: HeldLocks.Identity] = [:]

    /// What the evaluator makes for a `lock` block (`Effect.lock`, `Effect.unlock`).
    static let effects = LockBlockEffects(lock: { LockBlock(path: $0, timeoutSeconds: $1, slot: $2) },
                                          unlock: { LockBlock(path: $0, timeoutSeconds: nil, slot: $1, isRelease: true) })

    var path: String
    var timeoutSeconds: Int?
    var slot: Int
    /// Leaving the block: the slot's lock is let go.
    var isRelease = false

    var family: String { HostBuiltins.familyName }
    var kind: String { isRelease ? "unlock" : "lock" }
    var planName: String? { kind }
    var isMutation: Bool { true }
    /// Held and let go of by the block, whatever fails inside it.
    var isTakenBackOnFailure: Bool { false }
    var argv: [String] {
        if isRelease { return ["exec", "\(slot)>&-"] }
        return ["exec", "\(slot)>>\(path)", "&&", "flock"] + (timeoutSeconds.map { ["-w", String($0)] } ?? []) + [String(slot)]
    }
    var shellCommand: String {
        if isRelease { return "exec \(slot)>&-" }
        return "exec \(slot)>>\(shellQuote(path)) && flock \(timeoutSeconds.map { "-w \($0) " } ?? "")\(slot)"
    }
    var fields: JSON {
        if isRelease { return .object([("path", .string(path)), ("slot", .number(Double(slot)))]) }
        return .object([("path", .string(path)), ("timeout", timeoutSeconds.map { .number(Double($0)) } ?? .null),
                        ("slot", .number(Double(slot)))])
    }

    func perform(at location: SourceRange) throws -> EffectResult {
        if isRelease {
            if let identity = LockBlock.held.removeValue(forKey: slot) { HeldLocks.shared.release(identity) }
        } else {
            LockBlock.held[slot] = try HeldLocks.shared.acquire(path, timeoutSeconds: timeoutSeconds, at: location)
        }
        return .done
    }

    func undo(at location: SourceRange) throws -> FamilyUndo { .nothing }

    /// Reads one back from a saved plan (`{"effect": "lock", …}`, `{"effect": "unlock", …}`).
    static func decode(_ kind: String, _ fields: JSON) -> LockBlock? {
        func int(_ key: String) -> Int? { if case .number(let n)? = fields[key] { return Int(n) } else { return nil } }
        guard kind == "lock" || kind == "unlock", let path = fields["path"]?.stringValue, let slot = int("slot") else { return nil }
        return LockBlock(path: path, timeoutSeconds: kind == "lock" ? int("timeout") : nil, slot: slot, isRelease: kind == "unlock")
    }
}
