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

    /// Each key the run set since: its value then, or the host's.
    func undoEffects(to savepoint: Any?, live: Host, at location: SourceRange) -> [Effect] {
        let then = savepoint as? [String: String] ?? [:]
        return values.keys.sorted().compactMap { key -> Effect? in
            guard values[key] != then[key] else { return nil }
            var old = then[key]
            if old == nil, case .text(let text)? = try? live.perform(.readSysctl(key: key), at: location) { old = text }
            guard let old else { return nil }
            let value = old.hasSuffix("\n") ? String(old.dropLast()) : old
            return .family(AnyFamilyEffect(SysctlWrite(key: key, value: value)))
        }
    }

    func simulate(_ effect: any FamilyEffect, simulated: Host, at location: SourceRange) throws -> EffectResult {
        if let write = effect as? SysctlWrite { values[write.key] = write.value + "\n" }
        return .done
    }

    func answer(_ probe: Effect, simulated: Host, live: Host, at location: SourceRange) throws -> EffectResult? {
        let key: String
        switch probe {
        case .readSysctl(let name):
            key = name
        case .readFile(let path) where path.hasPrefix("/proc/sys/"):
            key = String(path.dropFirst(10)).replacingAll("/", with: ".")
        default:
            return nil
        }
        guard let value = values[key] else { return nil }
        // An integer key prints back what the kernel read (`010` is 8): the live value says which kind it is.
        if case .text(let current)? = try? live.perform(.readSysctl(key: key), at: location),
           let form = SysctlValue.kernelForm(of: value, current: current) {
            return .text(form + "\n")
        }
        return .text(value)
    }

    func plannedChanges(simulated: Host, live: Host, at location: SourceRange) -> [PlannedChange] {
        var changes: [PlannedChange] = []
        for (key, value) in values.sorted(by: { $0.key < $1.key }) {
            var old = ""
            if case .text(let text)? = try? live.perform(.readSysctl(key: key), at: location) { old = text }
            let trim: (String) -> String = { String($0.reversed().drop(while: { $0 == "\n" || $0 == " " }).reversed()) }
            if !SysctlValue.holds(old, written: value) {
                // What the key will print, as `sysctl get` would answer after the run.
                let new = SysctlValue.kernelForm(of: value, current: old) ?? trim(value)
                changes.append(PlannedChange(area: "sysctls", sign: .change, text: "\(key): \(trim(old)) -> \(new)",
                                             effect: .family(AnyFamilyEffect(SysctlWrite(key: key, value: trim(value))))))
            }
        }
        return changes
    }
}

extension SysctlSimulation {
    /// The key a write of `contents` to `path` sets, with the value as `sysctl set`
    /// would write it (without its one newline); nil for any other file.
    static func key(of path: String, writing contents: String) -> (key: String, value: String)? {
        guard path.hasPrefix("/proc/sys/") else { return nil }
        let key = String(path.dropFirst(10)).replacingAll("/", with: ".")
        let value = contents.hasSuffix("\n") ? String(contents.dropLast()) : contents
        guard !key.isEmpty, !value.contains("\n"), sysctlPath(key) == path,
              !key.split(separator: ".", omittingEmptySubsequences: false).contains(where: \.isEmpty) else { return nil }
        return (key, value)
    }
}
