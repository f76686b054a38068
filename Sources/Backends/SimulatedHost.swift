import HostSystem
import Interpreter
import Lexer

/// What the host would look like after the mutations so far, for a run that
/// performs none of them (trace). Mutations update a model (each family's
/// `SimulatedFamilyModel`: files, programs, sysctls, mounts); probes are
/// answered from the models first and from the wrapped read-only host
/// otherwise — so a script that writes a file and reads it back, or creates a
/// directory and then tests for it, traces the way it would run.
public final class SimulatedHost: ChildScriptTracing, SimulatedChanges {
    let probes: Host
    /// Each family's model of what the run changed, in registration order (see `SimulatedFamilyModel`):
    /// made on first use, when a builtin has run and so the families have registered.
    var models: [(family: String, model: SimulatedFamilyModel)] {
        if let madeModels { return madeModels }
        let made = FamilyEffects.makeSimulations()
        madeModels = made
        return made
    }
    private var madeModels: [(family: String, model: SimulatedFamilyModel)]?
    /// How many changes the models simulated, and where they stood after the last point of
    /// no return: a caught failure's rollback goes back no further (a real run's journal cannot).
    private var changeCount = 0
    private var noReturn: (changes: Int, models: [Any])?

    /// How a script started with `run-script` is shown where it does not run in
    /// this process (the REPL's `:trace on`): traced by a child wds with these
    /// extra arguments (format, state file), or not at all (nil: a plan).
    let childTraceArguments: [String]?

    public init(probes: Host, childTraceArguments: [String]? = []) {
        self.probes = probes
        self.childTraceArguments = childTraceArguments
    }

    public func perform(_ effect: Effect, at location: SourceRange) throws -> EffectResult {
        switch effect {
        // The host's own mutations: nothing to remember (the trace prints them) and nothing performed.
        case .print:
            return .done

        // Probes: the families' models first (files, sysctls, mounts), then the live host.
        case .readFile, .readSysctl, .fileInfo, .listDirectory, .mountTable:
            if let answer = try modelsAnswer(effect, at: location) { return answer }
            return try probes.perform(effect, at: location)
        case .family(let wrapped) where wrapped.effect.isMutation:
            // The family's model remembers it (a file read back later; a program answers status 0);
            // a transactional family's model (iptables, links) has decided it already. Nothing is performed:
            // `.done` for a commit tells its engine (iptables') that no kernel saw it, so its model stays the truth.
            guard let model = model(of: wrapped.effect.family) else { return .done }
            let result = try model.simulate(wrapped.effect, simulated: self, at: location)
            changeCount += 1
            if wrapped.effect.isPointOfNoReturn { noReturn = (changeCount, models.map { $0.model.savepoint() }) }
            return result
        case .family:
            return try probes.perform(effect, at: location)
        case .route, .probeProgram, .canonicalPath, .processTable:
            return try probes.perform(effect, at: location)
        }
    }

    /// `run-script` where the child is not run in this process (the REPL's `:trace on`): traced by
    /// a child wds too (it changes nothing either), so the audit shows its effects; a plan does not.
    public func traceChildScript(path: String, arguments: [String]) -> Int32 {
        guard let extra = childTraceArguments else { return 0 }
        let outcome = try? Spawn.run([Spawn.currentExecutable, "trace"] + extra + [path] + arguments,
                                     capture: false, captureError: false, setting: Spawn.scriptChildVariables)
        return outcome?.status ?? 0
    }

    public func savepoint() -> SimulatedSavepoint {
        SimulatedSavepoint(changes: changeCount, models: madeModels?.map { $0.model.savepoint() })
    }

    public func rollBack(to savepoint: SimulatedSavepoint, at location: SourceRange?) {
        guard changeCount > savepoint.changes, let madeModels else { return }
        let states = target(of: savepoint)
        for (index, entry) in madeModels.enumerated() { entry.model.rollBack(to: states?[index]) }
        changeCount = max(savepoint.changes, noReturn?.changes ?? 0)
    }

    /// The models' states a rollback to `savepoint` comes back to: the last point of no return's, if later.
    private func target(of savepoint: SimulatedSavepoint) -> [Any]? {
        if let noReturn, noReturn.changes > savepoint.changes { return noReturn.models }
        return savepoint.models
    }

    /// What a real run performs to come back to `savepoint`, last family first (a mount before
    /// the directory under it), read from the models before `rollBack(to:at:)`.
    public func undoEffects(to savepoint: SimulatedSavepoint, at location: SourceRange) -> [Effect] {
        guard changeCount > savepoint.changes, let madeModels else { return [] }
        let states = target(of: savepoint)
        return madeModels.enumerated().reversed().flatMap { index, entry in
            entry.model.undoEffects(to: states?[index], live: probes, at: location)
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
    /// changes, as each family model lists it, in registration order: files,
    /// directories and cgroups, sysctls, mounts. Writing what is already there is no change.
    public func plannedChanges(live: Host, at location: SourceRange) -> [PlannedChange] {
        models.flatMap { $0.model.plannedChanges(simulated: self, live: live, at: location) }
    }
}
