import Interpreter

/// Programs and child scripts: `run` and `run-script` (ProcessBuiltins).
/// A program is the family's own effect (`ProgramRun`); a child script is
/// still the host's (`Effect.runScript`), as the simulated host traces it
/// with a child wds and a plan plans it in the same run.
enum ProgramsFamily {
    static let name = "programs"

    static let family = HostFamily(
        name, builtins: ProcessBuiltins.specs.map(BuiltinRegistry.Entry.single),
        decoder: { kind, fields in ProgramRun.decode(kind, fields) },
        planNames: ["runProgram"],
        simulation: { ProgramSimulation() })
}
