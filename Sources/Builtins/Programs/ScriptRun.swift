import HostSystem
import Interpreter
import Lexer

/// `run-script PATH ARGS…` in a real run: another wds script, run by this
/// same wds binary in a process of its own. Like a program, what it does is
/// a point of no return for the journal. Under trace and plan the child does
/// not reach the host at all: it runs in this process, continuing the
/// parent's model (`RunContext.runScriptInProcess`).
struct ScriptRun: FamilyEffect {
    var path: String
    var arguments: [String]

    var family: String { ProgramsFamily.name }
    var kind: String { "run-script" }
    var isMutation: Bool { true }
    var isPointOfNoReturn: Bool { true }
    var isOpaqueToPlans: Bool { true }
    var argv: [String] { ["wds", "run", path] + arguments }

    /// Saved plans name it `runScript`, as they did when it was the host's own effect.
    var planName: String? { "runScript" }
    var fields: JSON { .object([("path", .string(path)), ("arguments", .array(arguments.map(JSON.string)))]) }

    static func decode(_ kind: String, _ json: JSON) -> ScriptRun? {
        guard kind == "runScript", let path = json["path"]?.stringValue,
              let arguments = json["arguments"]?.arrayValue?.compactMap(\.stringValue) else { return nil }
        return ScriptRun(path: path, arguments: arguments)
    }

    func perform(at location: SourceRange) throws -> EffectResult {
        try Spawn.runProgram([Spawn.currentExecutable, "run", path] + arguments, capture: false,
                             setting: Spawn.scriptChildVariables, at: location)
    }

    func undo(at location: SourceRange) throws -> FamilyUndo {
        .pointOfNoReturn("the script \(path)")
    }
}
