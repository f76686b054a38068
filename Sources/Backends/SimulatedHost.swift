import HostSystem
import Interpreter
import Lexer

/// What the host would look like after the mutations so far, for a run that
/// performs none of them (trace). Mutations update a model (each family's
/// `SimulatedFamilyModel`, and the host's own overlay of mounts); probes are
/// answered from the models first and from the wrapped read-only host
/// otherwise — so a script that writes a file and reads it back, or creates a
/// directory and then tests for it, traces the way it would run.
public final class SimulatedHost: Host {
    let probes: Host
    var addedMounts: [(target: String, line: String)] = []
    /// The mount(2) each added mount came from, by target.
    var mountEffects: [String: Effect] = [:]
    var removedMounts: Set<String> = []
    /// Each family's model of what the run changed, in registration order (see `SimulatedFamilyModel`):
    /// made on first use, when a builtin has run and so the families have registered.
    lazy var models = FamilyEffects.makeSimulations()

    /// How a script started with `run-script` is shown: traced by a child wds
    /// with these extra arguments (format, state file), or not at all (a plan,
    /// which lists it as a change it cannot look into).
    let childTraceArguments: [String]?

    public init(probes: Host, childTraceArguments: [String]? = []) {
        self.probes = probes
        self.childTraceArguments = childTraceArguments
    }

    public func perform(_ effect: Effect, at location: SourceRange) throws -> EffectResult {
        switch effect {
        // Mutations: remember, perform nothing.
        case .signal:
            return .done
        case .mount(let request):
            let type = request.fileSystemType ?? (request.bind ? "none" : "unknown")
            let options = request.options.isEmpty ? "rw" : request.options.joined(separator: ",")
            addedMounts.append((request.target, "0 0 0:0 / \(request.target) rw - \(type) \(request.source) \(options)"))
            mountEffects[request.target] = effect
            removedMounts.remove(request.target)
            return .done
        case .unmount(let path):
            if let index = addedMounts.lastIndex(where: { $0.target == path }) {
                addedMounts.remove(at: index)
            } else {
                removedMounts.insert(path)
            }
            return .done
        case .runProgram:
            return .process(status: 0, standardOutput: "", standardError: "")
        case .runScript(let path, let arguments):
            // The other script is traced too (it changes nothing either), so the audit shows its effects.
            guard let extra = childTraceArguments else { return .process(status: 0, standardOutput: "", standardError: "") }
            let outcome = try? Spawn.run([SystemHost.currentExecutable, "trace"] + extra + [path] + arguments,
                                         capture: false, captureError: false, setting: Spawn.scriptChildVariables)
            return .process(status: outcome?.status ?? 0, standardOutput: "", standardError: "")
        case .print, .lock, .unlock, .iptables, .iptablesRestore, .iptablesStaged, .iptablesLock, .iptablesUnlock:
            // `.done` for a restore tells the iptables engine that no kernel saw it: its model stays the truth.
            return .done

        // Probes: the families' models first (files, sysctls), then the live host.
        case .readFile, .readSysctl, .fileInfo, .listDirectory:
            if let answer = try modelsAnswer(effect, at: location) { return answer }
            return try probes.perform(effect, at: location)
        case .mountTable:
            guard case .text(let live) = try probes.perform(effect, at: location) else { return .text("") }
            var lines = live.split(separator: "\n").map(String.init).filter { line in
                MountInfo.parseLine(Substring(line)).map { !removedMounts.contains($0.mountpoint) } ?? true
            }
            lines += addedMounts.map(\.line)
            return .text(lines.map { $0 + "\n" }.joined())
        case .family(let wrapped) where wrapped.effect.isMutation:
            // The family's model remembers it (a sysctl read back later); a transactional family's
            // model (iptables, links) has decided it already. Nothing is performed.
            return try model(of: wrapped.effect.family)?.simulate(wrapped.effect, simulated: self, at: location) ?? .done
        case .family:
            return try probes.perform(effect, at: location)
        case .route, .iptablesSave, .iptablesList, .probeProgram, .canonicalPath, .iptablesCanonical, .processTable:
            return try probes.perform(effect, at: location)
        }
    }

    /// The simulated model of `family`; nil if it has none.
    func model(of family: String) -> SimulatedFamilyModel? {
        models.first(where: { $0.family == family })?.model
    }

    /// A probe's answer from the first family model the run's changes concern; nil: none does.
    func modelsAnswer(_ probe: Effect, at location: SourceRange) throws -> EffectResult? {
        for (_, model) in models {
            if let answer = try model.answer(probe, simulated: self, live: probes, at: location) { return answer }
        }
        return nil
    }

}

extension SimulatedHost {
    /// What differs between the live host (`live`, read-only) and the run's
    /// changes: what each family model lists (files, directories, cgroups,
    /// sysctls), then the mounts. Writing what is already there is no change.
    public func plannedChanges(live: Host, at location: SourceRange) -> [PlannedChange] {
        var changes: [PlannedChange] = []
        for (_, model) in models { changes += model.plannedChanges(simulated: self, live: live, at: location) }
        let liveMounts: [String: String]  // mount point → type
        if case .text(let table)? = try? live.perform(.mountTable, at: location) {
            liveMounts = Dictionary(MountInfo.parse(table).map { ($0.mountpoint, $0.type) }, uniquingKeysWith: { _, last in last })
        } else {
            liveMounts = [:]
        }
        for (target, line) in addedMounts where liveMounts[target] == nil {
            let described = MountInfo.parseLine(Substring(line)).map { "\(target) \($0.type) \($0.source)" } ?? target
            changes.append(PlannedChange(area: "mounts", sign: .add, text: described, effect: mountEffects[target]))
        }
        for target in removedMounts.sorted() where liveMounts[target] != nil {
            changes.append(PlannedChange(area: "mounts", sign: .remove, text: target + PlannedChange.noReturn, effect: .unmount(path: target)))
        }
        return changes
    }
}
