import Interpreter

/// Programs and child scripts: `run` and `run-script` (ProcessBuiltins), the
/// effects they make (`ProgramRun`, `ScriptRun`: points of no return that a
/// plan cannot look into), and their model in a simulated run
/// (`ProgramSimulation`). `run --probe` is a probe (`Effect.probeProgram`).
enum ProgramsFamily {
    static let name = "programs"

    static let family = HostFamily(
        name, builtins: ProcessBuiltins.specs.map(BuiltinRegistry.Entry.single),
        decoder: { kind, fields in ProgramRun.decode(kind, fields) ?? ScriptRun.decode(kind, fields) },
        planNames: ["runProgram", "runScript"],
        simulation: { ProgramSimulation() })
}
