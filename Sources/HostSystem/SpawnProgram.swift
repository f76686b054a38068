import Interpreter
import Lexer

extension Spawn {
    /// Runs a program as a script's step: its status, and what it printed where captured, as
    /// `.process`; a program that is missing or cannot start is a failure at `location`. What
    /// the `run` builtin (the programs family) and the system host's tools and probes share.
    public static func runProgram(_ argv: [String], capture: Bool, captureError: Bool = false, input: String? = nil,
                                  discardOutput: Bool = false, discardError: Bool = false,
                                  ownSession: Bool = false, keep: Int32? = nil, setting variables: [String: String] = [:],
                                  at location: SourceRange) throws -> EffectResult {
        do {
            let outcome = try run(argv, input: input, capture: capture, captureError: captureError,
                                        discardOutput: discardOutput, discardError: discardError,
                                        ownSession: ownSession, keep: keep, setting: variables)
            if outcome.outputTooLarge { throw outputTooLarge(argv, at: location) }
            if capture && !outcome.standardOutputIsUTF8 {
                throw CommandFailure("the output of '\(argv.first ?? "")' is not UTF-8 text", at: location,
                                     hint: "a captured output is a value, and wds refuses bytes it would have to change")
            }
            return .process(status: outcome.status, standardOutput: outcome.standardOutput, standardError: outcome.standardError)
        } catch Spawn.Failure.notFound(let program) {
            throw CommandFailure("program '\(program)' not found", at: location, status: ExitStatus.missingProgram,
                                 hint: "install it, or check PATH")
        } catch Spawn.Failure.failed(let program, let code) {
            throw CommandFailure("cannot run '\(program)': \(errnoMessage(code))", at: location)
        }
    }

    /// Runs a tool a builtin depends on (iptables, iptables-save); a non-zero exit is a failure
    /// carrying its stderr. What the system host's probes and the iptables family's effects share.
    public static func runTool(_ argv: [String], input: String? = nil, at location: SourceRange) throws -> Spawn.Outcome {
        let outcome: Spawn.Outcome
        do {
            outcome = try Spawn.run(argv, input: input, capture: true)
            if outcome.outputTooLarge { throw Spawn.outputTooLarge(argv, at: location) }
        } catch Spawn.Failure.notFound(let program) {
            throw CommandFailure("'\(program)' is not installed", at: location, status: ExitStatus.missingProgram,
                                 hint: program.contains("tables") ? "install the iptables package" : nil)
        } catch Spawn.Failure.failed(let program, let code) {
            throw CommandFailure("cannot run '\(program)': \(errnoMessage(code))", at: location)
        }
        guard outcome.status == 0 else {
            let message = outcome.standardError.split(separator: "\n").first.map(String.init) ?? "no message"
            throw CommandFailure("\(shellLine(Array(argv.prefix(argv.count)))) failed (status \(outcome.status)): \(message)",
                                 at: location, status: ExitStatus.kernelRefused)
        }
        return outcome
    }

    /// A program's captured output is a value: past the limit, the run stops (Limits).
    public static func outputTooLarge(_ argv: [String], at location: SourceRange) -> Diagnostic {
        Diagnostic("the output of '\(argv.first ?? "")' is larger than wds's limit on a value (\(Spawn.maximumCapture >> 20) MiB)",
                   at: location, hint: "have the program write to a file, and read what you need of it")
    }
}
