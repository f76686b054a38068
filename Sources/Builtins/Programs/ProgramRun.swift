import HostSystem
import Interpreter
import Lexer

/// `run PROGRAM ARGS…`: a program started with an argv, no shell between.
/// What it does, no model can know: it is a point of no return for the
/// journal, a plan lists it as a change it cannot look into, and a
/// simulated run starts nothing and answers status 0 (`ProgramSimulation`).
/// `run --probe` is not this effect: it is a probe (`Effect.probeProgram`),
/// which the host runs where the script declared it read-only.
struct ProgramRun: FamilyEffect {
    var argv: [String]
    /// Whether its standard output is the value of a `$( … )`.
    var captureOutput: Bool
    var streams: ProgramStreams = .inherit

    var family: String { ProgramsFamily.name }
    var kind: String { "run" }
    var isMutation: Bool { true }
    var isPointOfNoReturn: Bool { true }
    var isOpaqueToPlans: Bool { true }
    var shellCommand: String { ReplayLine.program(argv, capturedOutput: captureOutput, streams: streams) }

    /// Saved plans name it `runProgram`, as they did when it was the host's own effect.
    var planName: String? { "runProgram" }
    var fields: JSON {
        let streamFields: [(String, JSON)] = streams == .inherit ? [] : [
            ("stdin", streams.input.map(JSON.string) ?? .null), ("stdout", .string(streams.output.rawValue)),
            ("stderr", .string(streams.error.rawValue)),
        ]
        return .object([("argv", .array(argv.map(JSON.string))), ("capture", .bool(captureOutput))] + streamFields)
    }

    static func decode(_ kind: String, _ json: JSON) -> ProgramRun? {
        guard kind == "runProgram", let argv = json["argv"]?.arrayValue?.compactMap(\.stringValue),
              case .bool(let capture)? = json["capture"] else { return nil }
        let destination: (String) -> ProgramStreams.Destination = { key in
            json[key]?.stringValue.flatMap(ProgramStreams.Destination.init(rawValue:)) ?? .inherit
        }
        return ProgramRun(argv: argv, captureOutput: capture,
                          streams: ProgramStreams(input: json["stdin"]?.stringValue, output: destination("stdout"), error: destination("stderr")))
    }

    func perform(at location: SourceRange) throws -> EffectResult {
        try Spawn.runProgram(argv, capture: captureOutput || streams.output == .capture, captureError: streams.error == .capture,
                             input: streams.input, discardOutput: streams.output == .discard,
                             discardError: streams.error == .discard, at: location)
    }

    func undo(at location: SourceRange) throws -> FamilyUndo {
        .pointOfNoReturn("`\(shellLine(argv))`")
    }
}
