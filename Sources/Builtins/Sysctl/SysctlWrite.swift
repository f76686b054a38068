#if canImport(Glibc)
import Glibc
#endif
import HostSystem
import Interpreter
import Lexer

/// `sysctl set KEY VALUE` (and `hostname set`): the value and a newline
/// written to /proc/sys/KEY. Reading a key stays the host's own probe
/// (`Effect.readSysctl`), which the simulated model answers in a trace.
/// A journaled run puts the old value back, unless someone else set the key
/// after the run: their value stays, and the undo says so.
struct SysctlWrite: FamilyEffect {
    var key: String
    var value: String
    /// Set on the undo of a run's write: the value the run left, which must still be there.
    var ifStill: String? = nil

    var family: String { SysctlFamily.name }
    var kind: String { "sysctl" }
    var isMutation: Bool { true }
    var argv: [String] { ["sh", "-c", "printf '%s\\n' \"$1\" > \"$2\"", "sh", value, sysctlPath(key)] }
    var shellCommand: String { "\(ReplayLine.printf(value, newline: true)) > \(shellQuote(sysctlPath(key)))" }
    /// Saved plans name it `writeSysctl`, as they did when it was the host's own effect.
    var planName: String? { "writeSysctl" }
    var fields: JSON {
        .object([("key", .string(key)), ("value", .string(value))] + (ifStill.map { [("ifStill", JSON.string($0))] } ?? []))
    }
    var inSandbox: SandboxPolicy { .kernelParameter(key: key, value: value) }

    func perform(at location: SourceRange) throws -> EffectResult {
        if let expected = ifStill, let now = SysctlWrite.read(key), !SysctlValue.holds(now, written: expected) {
            throw CommandFailure("\(key) is \(SysctlValue.words(now).joined(separator: " ")) now, not what the run set: left as it is",
                                 at: location)
        }
        try SafePath.write(sysctlPath(key), value + "\n", flags: O_WRONLY | O_CLOEXEC, at: location)
        return .done
    }

    func undo(at location: SourceRange) throws -> FamilyUndo {
        guard let old = SysctlWrite.read(key) else { return .pointOfNoReturn("sysctl \(key), whose old value could not be read") }
        let value = String(old.reversed().drop(while: { $0 == "\n" }).reversed())
        return .effects([AnyFamilyEffect(SysctlWrite(key: key, value: value, ifStill: self.value))],
                        description: "sysctl -w \(key)=\(value)")
    }

    /// The key's value as the kernel prints it; nil when it cannot be read.
    static func read(_ key: String) -> String? {
        guard case .success(let bytes) = FileBytes.contents(of: sysctlPath(key)) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }
}
