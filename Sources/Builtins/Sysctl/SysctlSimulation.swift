import Interpreter
import Lexer

/// The kernel parameters a simulated run set, by key: `sysctl get` and a
/// read of /proc/sys/KEY after `sysctl set` answer what the run set, and
/// `wds plan` lists the keys whose live value differs.
final class SysctlSimulation: SimulatedFamilyModel {
    /// The value as the kernel would print it back (with its newline).
    var values: [String: String] = [:]

    func savepoint() -> Any { values }
    func rollBack(to savepoint: Any?) { values = savepoint as? [String: String] ?? [:] }

    func simulate(_ effect: any FamilyEffect, simulated: Host, at location: SourceRange) throws -> EffectResult {
        if let write = effect as? SysctlWrite { values[write.key] = write.value + "\n" }
        return .done
    }

    func answer(_ probe: Effect, simulated: Host, live: Host, at location: SourceRange) throws -> EffectResult? {
        switch probe {
        case .readSysctl(let key):
            return values[key].map(EffectResult.text)
        case .readFile(let path) where path.hasPrefix("/proc/sys/"):
            return values[String(path.dropFirst(10)).replacingAll("/", with: ".")].map(EffectResult.text)
        default:
            return nil
        }
    }

    func plannedChanges(simulated: Host, live: Host, at location: SourceRange) -> [PlannedChange] {
        var changes: [PlannedChange] = []
        for (key, value) in values.sorted(by: { $0.key < $1.key }) {
            var old = ""
            if case .text(let text)? = try? live.perform(.readSysctl(key: key), at: location) { old = text }
            let trim: (String) -> String = { String($0.reversed().drop(while: { $0 == "\n" || $0 == " " }).reversed()) }
            if trim(old) != trim(value) {
                changes.append(PlannedChange(area: "sysctls", sign: .change, text: "\(key): \(trim(old)) -> \(trim(value))",
                                             effect: .family(AnyFamilyEffect(SysctlWrite(key: key, value: trim(value))))))
            }
        }
        return changes
    }
}
