import Interpreter
import Lexer

/// echo, fail and env: a script's own output and inputs.
enum OutputBuiltins {
    static let specs: [BuiltinSpec] = [
        BuiltinSpec("echo", summary: "Print the values, separated by blanks, and a newline. Inside $( … ) it returns the text instead.",
                    rest: Parameter("value", .anyValue),
                    options: [OptionSpec("--stderr", summary: "print to standard error"),
                              OptionSpec("--no-newline", summary: "leave out the final newline")],
                    optionsBeforePositionalsOnly: true,
                    example: "echo \"uplink is\" $uplink") { call in
            let parts = call.positionals.map { $0.description }
            let text = parts.joined(separator: " ")
            if call.isCaptured { return .string(text) }
            try call.perform(.print(text: text, toStandardError: call.has("--stderr"), newline: !call.has("--no-newline")))
            return .empty
        },
        BuiltinSpec("fail", summary: "Print the message to standard error and stop the script with status 1 (or --status N). `try` can catch it.",
                    parameters: [Parameter("message")],
                    options: [OptionSpec("--status", .integer, summary: "the exit status (1 to 255)")],
                    example: "fail \"unknown command: $cmd\"") { call in
            var status: Int32 = ExitStatus.failure
            if let text = try call.option("--status") {
                guard let n = Int(text), (1...255).contains(n) else {
                    throw call.fail("'fail --status' needs 1 to 255, got '\(text)'")
                }
                status = Int32(n)
            }
            throw CommandFailure(try call.text(0), at: call.range, status: status, plainMessage: true)
        },
        BuiltinSpec("env", summary: "The value of an environment variable, or DEFAULT when it is not set. Without a default, a missing variable is a failure; a value that is not UTF-8 is always one (wds would have to change its bytes).",
                    parameters: [Parameter("name", .name), Parameter("default", .anyValue, optional: true)],
                    example: "let allow = $(env ALLOW_NETWORKS \"\")") { call in
            let name = try call.text(0)
            // Not a default either: the variable is set, to bytes wds cannot hold without changing them.
            if call.context.environment[RunContext.invalidEnvironmentKey(name)] != nil {
                throw call.fail("environment variable \(name) is not valid UTF-8 text", status: ExitStatus.failure,
                                hint: "wds refuses a value it would have to change (a different file, a different network)")
            }
            if let value = call.context.environmentValue(name) { return .string(value) }
            if call.positionals.count > 1 { return call.positionals[1] }
            throw call.fail("environment variable \(name) is not set", hint: "give a default: $(env \(name) \"\")")
        },
    ]
}
