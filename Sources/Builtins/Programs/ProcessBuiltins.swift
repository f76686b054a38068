import Interpreter
import Lexer
import Netlink

/// Running other programs: always an argv, never a shell in between.
enum ProcessBuiltins {
    static let specs: [BuiltinSpec] = [
        BuiltinSpec("run", summary: "Run PROGRAM with ARGS (each value one argument, no shell). A non-zero exit is a failure; inside $( … ) its standard output, without its final newlines, is the value (UTF-8 text of at most 16 MiB, or a failure; standard error is not captured). With --probe the program is declared read-only: `wds run` runs it as any other; trace, plan, verify and state start it only with --run-probes, and stop at it otherwise. Values reach the program as they are: one starting with '-' is an option to it, so put `--` before values when the program accepts it.",
                    parameters: [Parameter("program")], rest: Parameter("arg", .anyValue),
                    options: [OptionSpec("--probe", summary: "the program only reads the host; trace, plan, verify and state run it with --run-probes"),
                              OptionSpec("--status", summary: "return the exit status as a number instead of failing on non-zero"),
                              OptionSpec("--stdin", .text, summary: "feed TEXT to the program's standard input (`prog <<< TEXT`, without the newline bash adds)"),
                              OptionSpec("--no-stdout", summary: "discard its standard output (`>/dev/null`)"),
                              OptionSpec("--no-stderr", summary: "discard its standard error (`2>/dev/null`)"),
                              OptionSpec("--quiet", summary: "discard both (`>/dev/null 2>&1`)"),
                              OptionSpec("--result", summary: "return a record {status, stdout, stderr}, both streams captured apart, instead of failing on non-zero"),
                              OptionSpec("--netns", NetworkValues.namespace,
                                         summary: "run it in this network namespace (a name under /run/netns, or a path such as /proc/PID/ns/net), through nsenter --net")],
                    optionsBeforePositionalsOnly: true,
                    example: "run quotaon -p $depot", argumentCheck: { arguments in
                        if arguments.has("--result"), let status = arguments.option("--status") {
                            throw Diagnostic("give --result or --status, not both (--result has the status too)", at: status.range)
                        }
                    }) { call in
            var argv: [String] = []
            for index in call.positionals.indices {
                guard let text = call.positionals[index].text else {
                    throw Diagnostic("a \(call.positionals[index].typeName) cannot be one argument of a program",
                                     at: call.range(ofPositional: index), hint: "spread a list with ...$list")
                }
                // A C string ends at NUL: the program would get a shorter argument than the one named.
                if text.utf8.contains(0) {
                    throw Diagnostic("a value cannot contain a NUL byte", at: call.range(ofPositional: index),
                                     hint: "a program's argument ends at the first NUL byte")
                }
                argv.append(text)
            }
            try call.spec.argumentCheck?(StaticArguments(call))
            let program = argv[0]
            if let namespace = try call.option("--netns") {
                // nsenter joins the namespace and starts the program: what the trace prints is what runs.
                argv = ["nsenter", "--net=\(NetworkNamespaces.path(of: namespace))", "--"] + argv
            }
            let wantsRecord = call.has("--result")
            let quiet = call.has("--quiet")
            let streams = ProgramStreams(
                input: try call.option("--stdin"),
                output: wantsRecord ? .capture : quiet || call.has("--no-stdout") ? .discard : .inherit,
                error: wantsRecord ? .capture : quiet || call.has("--no-stderr") ? .discard : .inherit)
            let capture = call.isCaptured && streams.output == .inherit
            // The program sees the host as the script has left it so far, and may change it in ways wds cannot see.
            try call.context.commitOpenBatches()
            let effect: Effect = call.has("--probe") ? .probeProgram(argv: argv, streams: streams)
                : .family(AnyFamilyEffect(ProgramRun(argv: argv, captureOutput: capture, streams: streams)))
            let result = try call.perform(effect)
            if !call.has("--probe") { call.context.forgetHost() }
            guard case .process(let status, let output, let errorOutput) = result else {
                return wantsRecord ? .record(Record([("status", .integer(0)), ("stdout", .empty), ("stderr", .empty)])) : .empty
            }
            if wantsRecord {
                return .record(Record([("status", .integer(Int(status))), ("stdout", .string(trimNewlines(output))),
                                       ("stderr", .string(trimNewlines(errorOutput)))]))
            }
            if call.has("--status") { return .integer(Int(status)) }
            if status != 0 {
                let detail = TextBuiltins.trim(errorOutput)
                throw call.fail("'\(program)' exited with status \(status)" + (detail.isEmpty ? "" : ": \(detail)"),
                                status: status == 127 ? ExitStatus.missingProgram : ExitStatus.failure)
            }
            if call.has("--probe") && !capture {
                // A probe's output is captured to run it read-only; show it as a plain run would.
                if !output.isEmpty && streams.output == .inherit {
                    try call.perform(.print(text: output, toStandardError: false, newline: false))
                }
                return .empty
            }
            return capture ? .string(trimNewlines(output)) : .empty
        },
        BuiltinSpec("run-script", summary: "Run another wds script with ARGS in its own process, with this same wds and in the same mode (traced when tracing). A non-zero exit is a failure. A SCRIPT written as a literal or \"$script_dir/…\" is loaded and checked with this script, before anything runs; a computed one only when it starts (its check failing is then status 1). Scripts may start one another 16 deep.",
                    parameters: [Parameter("script", .path)], rest: Parameter("arg"),
                    example: "run-script \"$script_dir/net.wds\" setup") { call in
            var arguments: [String] = []
            for index in call.positionals.indices.dropFirst() { arguments.append(try call.text(index)) }
            // Absolute, so a saved plan runs this script and not one that happens to sit in another folder.
            let path = Paths.absolute(try call.text(0))
            // Each spawned child learns its depth from the environment (the host sets it); a child run in
            // this process (trace, plan) from its context.
            let depth = max(Int(call.context.environmentValue(Limits.scriptDepthVariable) ?? "") ?? 0, call.context.scriptDepth)
            if depth >= Limits.maximumScriptDepth {
                throw Diagnostic("run-script nested too deeply (more than \(Limits.maximumScriptDepth) scripts inside one another)",
                                 at: call.range, hint: "does a script start itself without end?")
            }
            try call.context.commitOpenBatches()
            let status: Int32
            if let inProcess = call.context.runScriptInProcess {
                // trace and plan: the child continues this run's model of the host, in the same journal.
                // Like a child wds, it is a point of no return, whether it ends well or not.
                do {
                    status = try inProcess(path, arguments, call)
                } catch {
                    call.context.notePointOfNoReturn()
                    throw error
                }
                call.context.notePointOfNoReturn()
            } else {
                let result = try call.perform(.family(AnyFamilyEffect(ScriptRun(path: path, arguments: arguments))))
                call.context.forgetHost()
                guard case .process(let code, _, _) = result else { return .empty }
                status = code
            }
            if status == ExitStatus.usage {
                // Status 2 promises that nothing ran; this script has run up to here.
                throw call.fail("'\(Paths.base(path))' did not pass its check (status 2); it ran nothing, but this script ran until here",
                                hint: "a path written as a literal or \"$script_dir/…\" is checked with this script, before anything runs")
            }
            if status != 0 {
                throw call.fail("'\(Paths.base(path))' exited with status \(status)", status: status)
            }
            return .empty
        },
    ]

    static func trimNewlines(_ text: String) -> String {
        var text = text
        while text.hasSuffix("\n") { text.removeLast() }
        return text
    }
}
