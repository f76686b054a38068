import Interpreter
import Lexer
import Netlink

/// Running other programs: always an argv, never a shell in between.
enum ProcessBuiltins {
    static let specs: [BuiltinSpec] = [
        BuiltinSpec("run", summary: "Run PROGRAM with ARGS (each value one argument, no shell). A non-zero exit is a failure; inside $( … ) its standard output is the value. With --probe the program is declared read-only: `wds run` runs it as any other; trace, plan, verify and state start it only with --run-probes, and stop at it otherwise. Values reach the program as they are: one starting with '-' is an option to it, so put `--` before values when the program accepts it.",
                    parameters: [Parameter("program")], rest: Parameter("arg", .anyValue),
                    options: [OptionSpec("--probe", summary: "the program only reads the host; trace, plan, verify and state run it with --run-probes"),
                              OptionSpec("--status", summary: "return the exit status as a number instead of failing on non-zero"),
                              OptionSpec("--netns", NetworkValues.namespace,
                                         summary: "run it in this network namespace (a name under /run/netns, or a path such as /proc/PID/ns/net), through nsenter --net")],
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
            let program = argv[0]
            if let namespace = try call.option("--netns") {
                // nsenter joins the namespace and starts the program: what the trace prints is what runs.
                argv = ["nsenter", "--net=\(NetworkNamespaces.path(of: namespace))", "--"] + argv
            }
            let capture = call.isCaptured
            // The program sees the host as the script has left it so far, and may change it in ways wds cannot see.
            try call.context.commitOpenBatches()
            let effect: Effect = call.has("--probe") ? .probeProgram(argv: argv) : .runProgram(argv: argv, captureOutput: capture)
            let result = try call.perform(effect)
            if !call.has("--probe") { call.context.forgetHost() }
            guard case .process(let status, let output, let errorOutput) = result else { return .empty }
            if call.has("--status") { return .integer(Int(status)) }
            if status != 0 {
                let detail = TextBuiltins.trim(errorOutput)
                throw call.fail("'\(program)' exited with status \(status)" + (detail.isEmpty ? "" : ": \(detail)"),
                                status: status == 127 ? ExitStatus.missingProgram : ExitStatus.failure)
            }
            if call.has("--probe") && !capture {
                // A probe's output is captured to run it read-only; show it as a plain run would.
                if !output.isEmpty { try call.perform(.print(text: output, toStandardError: false, newline: false)) }
                return .empty
            }
            if capture {
                var text = output
                while text.hasSuffix("\n") { text.removeLast() }
                return .string(text)
            }
            return .empty
        },
        BuiltinSpec("run-script", summary: "Run another wds script with ARGS in its own process, with this same wds and in the same mode (traced when tracing). A non-zero exit is a failure.",
                    parameters: [Parameter("script", .path)], rest: Parameter("arg"),
                    example: "run-script \"$script_dir/net.wds\" setup") { call in
            var arguments: [String] = []
            for index in call.positionals.indices.dropFirst() { arguments.append(try call.text(index)) }
            // Absolute, so a saved plan runs this script and not one that happens to sit in another folder.
            let path = Paths.absolute(try call.text(0))
            try call.context.commitOpenBatches()
            let status: Int32
            if let inProcess = call.context.runScriptInProcess {
                // trace and plan: the child continues this run's model of the host, in the same journal.
                status = try inProcess(path, arguments, call)
            } else {
                let result = try call.perform(.runScript(path: path, arguments: arguments))
                call.context.forgetHost()
                guard case .process(let code, _, _) = result else { return .empty }
                status = code
            }
            if status != 0 {
                throw call.fail("'\(Paths.base(path))' exited with status \(status)", status: status)
            }
            return .empty
        },
    ]
}
