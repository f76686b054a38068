import HostSystem
import Interpreter
import Lexer

/// What a simulated run mounted and unmounted: the mount table probe answers
/// the live table with the run's changes, so `is-mounted` after `mount`
/// traces the way it would run, and `wds plan` lists the `mounts` area.
final class MountSimulation: SimulatedFamilyModel {
    /// Mounts the run added, in order, each as the mountinfo line it would have.
    var addedMounts: [(target: String, line: String)] = []
    /// The mount each added mount came from, by target (what `verify --fix` performs).
    var mountEffects: [String: MountEffect] = [:]
    var removedMounts: Set<String> = []

    private typealias State = (added: [(target: String, line: String)], effects: [String: MountEffect], removed: Set<String>)
    func savepoint() -> Any { (addedMounts, mountEffects, removedMounts) as State }
    /// The mounts the run added since, latest first.
    func undoEffects(to savepoint: Any?, live: Host, at location: SourceRange) -> [Effect] {
        let kept = (savepoint as? State)?.added.count ?? 0
        guard addedMounts.count > kept else { return [] }
        return addedMounts[kept...].reversed().map { .mounts(.unmount(path: $0.target)) }
    }

    func rollBack(to savepoint: Any?) {
        let state = savepoint as? State ?? ([], [:], [])
        (addedMounts, mountEffects, removedMounts) = (state.added, state.effects, state.removed)
    }

    func simulate(_ effect: any FamilyEffect, simulated: Host, at location: SourceRange) throws -> EffectResult {
        switch effect as? MountEffect {
        case .mount(let request)?:
            let type = request.fileSystemType ?? (request.bind ? "none" : "unknown")
            let options = request.options.isEmpty ? "rw" : request.options.joined(separator: ",")
            addedMounts.append((request.target, "0 0 0:0 / \(request.target) rw - \(type) \(request.source) \(options)"))
            mountEffects[request.target] = .mount(request)
            removedMounts.remove(request.target)
        case .unmount(let path)?:
            if let index = addedMounts.lastIndex(where: { $0.target == path }) {
                addedMounts.remove(at: index)
            } else {
                removedMounts.insert(path)
            }
        case nil:
            break
        }
        return .done
    }

    func answer(_ probe: Effect, simulated: Host, live: Host, at location: SourceRange) throws -> EffectResult? {
        guard case .mountTable = probe, !addedMounts.isEmpty || !removedMounts.isEmpty else { return nil }
        guard case .text(let table) = try live.perform(probe, at: location) else { return .text("") }
        var lines = table.split(separator: "\n").map(String.init).filter { line in
            MountInfo.parseLine(Substring(line)).map { !removedMounts.contains($0.mountpoint) } ?? true
        }
        lines += addedMounts.map(\.line)
        return .text(lines.map { $0 + "\n" }.joined())
    }

    func plannedChanges(simulated: Host, live: Host, at location: SourceRange) -> [PlannedChange] {
        let liveMounts: [String: MountInfo]  // mount point → the mount on top there
        if case .text(let table)? = try? live.perform(.mountTable, at: location) {
            liveMounts = Dictionary(MountInfo.parse(table).map { ($0.mountpoint, $0) }, uniquingKeysWith: { _, last in last })
        } else {
            liveMounts = [:]
        }
        var changes: [PlannedChange] = []
        for (target, line) in addedMounts {
            let described = MountInfo.parseLine(Substring(line)).map { "\(target) \($0.type) \($0.source)" } ?? target
            let effect = mountEffects[target].map(Effect.mounts)
            guard let there = liveMounts[target] else {
                changes.append(PlannedChange(area: "mounts", sign: .add, text: described, effect: effect))
                continue
            }
            // Another file system on top of the mount point is not the script's mount (a bind or a
            // remount names no type of its own to compare).
            if case .mount(let request)? = mountEffects[target], !request.bind, !request.remount, let type = request.fileSystemType,
               there.type != type || there.source != request.source {
                changes.append(PlannedChange(area: "mounts", sign: .change,
                                             text: "\(target) \(there.type) \(there.source) -> \(type) \(request.source)", effect: effect))
            }
        }
        for target in removedMounts.sorted() where liveMounts[target] != nil {
            changes.append(PlannedChange(area: "mounts", sign: .remove, text: target + PlannedChange.noReturn,
                                         effect: .mounts(.unmount(path: target))))
        }
        return changes
    }
}
