import ArgumentParser
import Backends
import Builtins
import Driver
import Interpreter
import Lexer

#if canImport(Glibc)
import Glibc
#endif

struct ScriptArguments: ParsableArguments {
    @Argument(help: "The script to run.")
    var file: String

    @Argument(parsing: .captureForPassthrough, help: "Arguments for the script ($1, $2, … and $args).")
    var arguments: [String] = []
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a script, then run it for real on this host.",
        discussion: """
            With --sandbox it runs for real inside throwaway network and mount namespaces that copy the
            host's uplink, then prints the state it built and the change; nothing outside the sandbox changes.
            """)

    @Flag(help: "Run in throwaway namespaces and report the resulting state; the host does not change.")
    var sandbox = false

    @Flag(name: .customLong("no-batch"), help: "Apply each iptables change at once (one `iptables -w` each) instead of one commit per run.")
    var noBatch = false

    @OptionGroup var script: ScriptArguments

    func run() throws {
        if sandbox {
            throw ExitCode(Sandbox.run(path: script.file, arguments: script.arguments, output: Driver.standardOutput))
        }
        var options = Driver.Options()
        options.mode = .run
        options.batchIptables = !noBatch
        options.arguments = script.arguments
        options.environment = processEnvironment()
        options.handleSignals = true
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

    @Option(help: "Output format: text (replayable shell), json (one object per effect), or restore (text with the iptables commits as the exact iptables-restore input).")
    var format: String = "text"

    @Flag(name: .customLong("no-batch"), help: "Trace each iptables change as its own `iptables -w` command, with no commit.")
    var noBatch = false

    @Option(help: "Answer the script's probes from this state file (see `wds state`) instead of the live host.")
    var state: String?

    @Flag(name: .customLong("run-probes"), help: ArgumentHelp(runProbesHelp))
    var runProbes = false

    /// A run-script child's trace continues its parent's, which named the shell already.
    @Flag(name: .customLong("no-header"), help: .hidden)
    var noHeader = false

    @OptionGroup var script: ScriptArguments

    func validate() throws {
        guard TraceHost.Format(rawValue: format) != nil else {
            throw ValidationError("--format must be text, json or restore, not '\(format)'")
        }
    }

    func run() throws {
        var options = Driver.Options()
        options.mode = .trace
        options.traceFormat = TraceHost.Format(rawValue: format)!
        options.batchIptables = !noBatch
        options.statePath = state
        options.runProbes = runProbes
        options.traceHeader = !noHeader
        options.arguments = script.arguments
        options.environment = processEnvironment()
        options.handleSignals = true
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

    @Flag(name: .customLong("run-probes"), help: ArgumentHelp(runProbesHelp))
    var runProbes = false

    @OptionGroup var script: ScriptArguments

    func run() throws {
        var options = Driver.Options()
        options.mode = .trace
        options.recordStatePath = output
        options.runProbes = runProbes
        options.arguments = script.arguments
        options.environment = processEnvironment()
        throw ExitCode(Driver.run(path: script.file, options: options, output: { text, toError in
            if toError { Spawn.writeAll(2, Array(text.utf8)) }
        }))
    }
}

