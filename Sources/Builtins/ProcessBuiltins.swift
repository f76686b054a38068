import Interpreter
import Lexer

/// Running other programs: always an argv, never a shell in between.
enum ProcessBuiltins {
    static let specs: [BuiltinSpec] = [
        BuiltinSpec("run", summary: "Run PROGRAM with ARGS (each value one argument, no shell). A non-zero exit is a failure; inside $( … ) its standard output is the value. With --probe the program is declared read-only and the trace runs it too.",
                    parameters: [Parameter("program")], rest: Parameter("arg", .anyValue),
                    options: [OptionSpec("--probe", summary: "the program only reads the host; trace runs it"),
                              OptionSpec("--status", summary: "return the exit status as a number instead of failing on non-zero")],
                    optionsBeforePositionalsOnly: true,
                    example: "run quotaon -p $depot") { call in
            var argv: [String] = []
            for index in call.positionals.indices {
                guard let text = call.positionals[index].text else {
                    throw Diagnostic("a \(call.positionals[index].typeName) cannot be one argument of a program",
                                     at: call.range(ofPositional: index), hint: "spread a list with ...$list")
                }
                argv.append(text)
            }
            let capture = call.isCaptured
            let effect: Effect = call.has("--probe") ? .probeProgram(argv: argv) : .runProgram(argv: argv, captureOutput: capture)
            guard case .process(let status, let output, let errorOutput) = try call.perform(effect) else { return .empty }
            if call.has("--status") { return .integer(Int(status)) }
            if status != 0 {
                let detail = TextBuiltins.trim(errorOutput)
                throw call.fail("'\(argv[0])' exited with status \(status)" + (detail.isEmpty ? "" : ": \(detail)"),
                                status: status == 127 ? ExitStatus.missingProgram : ExitStatus.failure)
            }
            if capture {
                var text = output
                while text.hasSuffix("\n") { text.removeLast() }
                return .string(text)
            }
            return .empty
        },
    ]
}
