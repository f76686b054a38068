import ArgumentParser
import Backends
import Builtins
import Lexer
import Driver
import Interpreter
import Repl

#if canImport(Glibc)
import Glibc
#endif

/// The `wds` command line: thin wrappers over `Driver`.
struct WDS: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "wds",
        abstract: "Prepare container hosts with checked, traceable scripts.",
        discussion: """
            `wds FILE [ARGS…]` is `wds run FILE [ARGS…]`, so a script may start with `#!/usr/bin/env wds`.
            Exit status: 0 success, 1 a failure while running, 2 a usage or check error (nothing ran),
            3 a lock timed out, 4 a program is missing, 5 the kernel refused, 6 no space; `exit N` gives N.
            """,
        version: version,
        subcommands: [Run.self, Trace.self, Check.self, State.self, ReplCommand.self, Help.self],
        defaultSubcommand: Run.self
    )
}

func processEnvironment() -> [String: String] {
    var result: [String: String] = [:]
    var pointer = environ
    while let entry = pointer.pointee {
        let text = String(cString: entry)
        if let equals = text.firstIndex(of: "=") {
            result[String(text[..<equals])] = String(text[text.index(after: equals)...])
        }
        pointer += 1
    }
    return result
}

struct ScriptArguments: ParsableArguments {
    @Argument(help: "The script to run.")
    var file: String

    @Argument(parsing: .captureForPassthrough, help: "Arguments for the script ($1, $2, … and $args).")
    var arguments: [String] = []
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a script, then run it for real on this host.")

    @OptionGroup var script: ScriptArguments

    func run() throws {
        var options = Driver.Options()
        options.mode = .run
        options.arguments = script.arguments
        options.environment = processEnvironment()
        throw ExitCode(Driver.run(path: script.file, options: options))
    }
}

struct Trace: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a script, then print every effect it would have, changing nothing.",
        discussion: """
            Each mutation is printed as the equivalent shell command followed by `# FILE:LINE`; probes
            (reads of the host) are printed as `# probe: …` comments, so the output replays in bash.
            """)

    @Option(help: "Output format: text (replayable shell) or json (one object per effect).")
    var format: String = "text"

    @Option(help: "Answer the script's probes from this state file (see `wds state`) instead of the live host.")
    var state: String?

    @OptionGroup var script: ScriptArguments

    func validate() throws {
        guard TraceHost.Format(rawValue: format) != nil else {
            throw ValidationError("--format must be text or json, not '\(format)'")
        }
    }

    func run() throws {
        var options = Driver.Options()
        options.mode = .trace
        options.traceFormat = TraceHost.Format(rawValue: format)!
        options.statePath = state
        options.arguments = script.arguments
        options.environment = processEnvironment()
        throw ExitCode(Driver.run(path: script.file, options: options))
    }
}

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Parse and check scripts, and everything they source, without running anything.")

    @Argument(help: "The scripts to check.")
    var files: [String]

    func run() throws {
        throw ExitCode(Driver.check(paths: files))
    }
}

struct State: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Record the live host's answers to a script's probes in a state file, for `wds trace --state`.",
        discussion: "The script is traced (nothing changes); every read of the host it makes is saved with its answer.")

    @Option(name: .shortAndLong, help: "The state file to write.")
    var output: String

    @OptionGroup var script: ScriptArguments

    func run() throws {
        var options = Driver.Options()
        options.mode = .trace
        options.recordStatePath = output
        options.arguments = script.arguments
        options.environment = processEnvironment()
        throw ExitCode(Driver.run(path: script.file, options: options, output: { text, toError in
            if toError { Spawn.writeAll(2, Array(text.utf8)) }
        }))
    }
}

struct Help: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "builtins",
        abstract: "Describe the builtins: all of them in one line each, or one in full.")

    @Argument(help: "A builtin or family name, such as `rule` or `mkdir`.")
    var name: String?

    @Flag(help: "Print the reference as Markdown (the Builtins section of docs/language.md).")
    var markdown = false

    func run() throws {
        let registry = Builtins.standard
        if markdown {
            print(BuiltinReference.markdown(registry), terminator: "")
        } else if let name {
            guard let text = BuiltinReference.text(for: name, in: registry) else {
                let hint = Suggestions.didYouMean(name, in: registry.names).map { " (\($0))" } ?? ""
                throw ValidationError("no builtin named '\(name)'\(hint)")
            }
            print(text, terminator: "")
        } else {
            print(BuiltinReference.overview(registry), terminator: "")
        }
    }
}

struct ReplCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repl",
        abstract: "An interactive console: statements are checked and run as you type them.",
        discussion: """
            On a terminal it uses GNU readline (your ~/.inputrc, history in ~/.wds_history or $WDS_HISTORY).
            It traces by default unless run as root; `:trace on|off` switches. Without a terminal it
            reads statements from standard input, without prompts.
            """)

    @Flag(name: .customLong("trace"), help: "Start tracing (nothing changes).")
    var startTracing = false

    @Flag(name: .customLong("run"), help: "Start executing for real.")
    var startRunning = false

    func validate() throws {
        if startTracing && startRunning { throw ValidationError("choose one of --trace and --run") }
    }

    func run() throws {
        let environment = processEnvironment()
        let tracing = startTracing || (!startRunning && getuid() != 0)
        let history = environment["WDS_HISTORY"] ?? environment["HOME"].map { $0 + "/.wds_history" }
        let repl = Repl(interactive: isatty(0) != 0, tracing: tracing, environment: environment, historyPath: history)
        throw ExitCode(repl.loop())
    }
}

/// Parses and runs like `ParsableCommand.main()`, except that a usage error
/// exits with wds's status 2 (ArgumentParser's own is 64).
func runCommandLine(_ arguments: [String]) -> Never {
    do {
        var command = try WDS.parseAsRoot(arguments)
        try command.run()
        exit(0)
    } catch let code as ExitCode {
        exit(code.rawValue)
    } catch {
        if WDS.exitCode(for: error) == .validationFailure {
            Spawn.writeAll(2, Array((WDS.fullMessage(for: error) + "\n").utf8))
            exit(ExitStatus.usage)
        }
        WDS.exit(withError: error)
    }
}

// `wds` alone: the REPL on a terminal, the usage otherwise.
let commandLine = Array(CommandLine.arguments.dropFirst())
if commandLine.isEmpty && isatty(0) != 0 {
    runCommandLine(["repl"])
}
if commandLine.isEmpty {
    Spawn.writeAll(2, Array("wds: missing script (wds run FILE [ARGS…], wds repl, wds --help)\n".utf8))
    exit(ExitStatus.usage)
}
runCommandLine(commandLine)
