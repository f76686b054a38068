import Interpreter
import Lexer

/// A simulated run starts no program: each answers status 0 and prints
/// nothing. A script started with `run-script` where the child is not run in
/// this process (the REPL's `:trace on`) is traced by a child wds, as the
/// simulated host was made to (`ChildScriptTracing`).
final class ProgramSimulation: SimulatedFamilyModel {
    /// It remembers nothing: a program is a point of no return.
    func savepoint() -> Any { () }
    func rollBack(to savepoint: Any?) {}
    func undoEffects(to savepoint: Any?, live: Host, at location: SourceRange) -> [Effect] { [] }

    func simulate(_ effect: any FamilyEffect, simulated: Host, at location: SourceRange) throws -> EffectResult {
        var status: Int32 = 0
        if let script = effect as? ScriptRun, let tracer = simulated as? ChildScriptTracing {
            status = tracer.traceChildScript(path: script.path, arguments: script.arguments)
        }
        return .process(status: status, standardOutput: "", standardError: "")
    }

    func answer(_ probe: Effect, simulated: Host, live: Host, at location: SourceRange) throws -> EffectResult? { nil }

    /// A plan lists programs itself, in the run's order, as changes it cannot look into (`isOpaqueToPlans`).
    func plannedChanges(simulated: Host, live: Host, at location: SourceRange) -> [PlannedChange] { [] }
}
