#if canImport(Glibc)
import Glibc
#endif
import HostSystem
import Interpreter
import Lexer

/// `rlimit set`: setrlimit(2) on wds itself, which every program it runs
/// afterwards inherits. Nothing to undo: the limits are the run's own and end
/// with it. A simulated run changes nothing (`rlimit get` reads the live limits).
struct ResourceLimitSet: FamilyEffect {
    var resource: ResourceLimit
    var soft: UInt64
    var hard: UInt64

    var family: String { RlimitFamily.name }
    var kind: String { "rlimit" }
    var isMutation: Bool { true }
    /// The run's own limits stay when a statement fails (the programs it starts later have them).
    var isTakenBackOnFailure: Bool { false }

    /// setrlimit(2) in one call, in the kernel's own units (bytes, seconds):
    /// bash's `ulimit` counts some limits in 512-byte blocks or KiB, and sets
    /// soft and hard in two steps that can fail where the one call does not.
    var argv: [String] {
        let value: (UInt64) -> String = { $0 == UInt64.max ? "unlimited" : String($0) }
        return ["prlimit", "--pid", "$$", "--\(resource.prlimitName)=\(value(soft)):\(value(hard))"]
    }

    /// `$$` unquoted: the replaying shell's own limits, as the run set wds's.
    var shellCommand: String { argv.map { $0 == "$$" ? $0 : shellQuote($0) }.joined(separator: " ") }

    /// Saved plans name it `setResourceLimit`, as they did when it was the host's own effect.
    var planName: String? { "setResourceLimit" }
    var fields: JSON {
        .object([("resource", .string(resource.rawValue)), ("soft", .string(String(soft))), ("hard", .string(String(hard)))])
    }

    var inSandbox: SandboxPolicy { .notSimulatedIfRefused(reason: "a user namespace cannot raise a hard limit") }

    func perform(at location: SourceRange) throws -> EffectResult {
        var limit = rlimit(rlim_cur: rlim_t(soft), rlim_max: rlim_t(hard))
        guard setrlimit(resource.systemResource, &limit) == 0 else {
            let code = errno
            throw CommandFailure("cannot set the \(resource.rawValue) limit to \(soft):\(hard): \(errnoMessage(code))", at: location,
                                 status: exitStatus(forErrno: code))
        }
        return .done
    }

    func undo(at location: SourceRange) throws -> FamilyUndo { .nothing }
}
