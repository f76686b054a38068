import ArgumentParser
import Backends
import Builtins
import Driver
import HostSystem
import Interpreter
import Lexer

#if canImport(Glibc)
import Glibc
#endif

struct ScriptArguments: ParsableArguments {
    @Argument(help: "The script to run (`-` for standard input).")
    var file: String

    @Argument(parsing: .captureForPassthrough, help: "Arguments for the script ($1, $2, … and $args).")
    var arguments: [String] = []
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a script, then run it for real on this host.",
        discussion: """
            With --sandbox it runs for real inside a throwaway container (user, PID, UTS, IPC, mount, network and \
            cgroup namespaces, read-only locked mounts, a copy of the host's uplink), then prints everything it \
            changed; nothing outside the sandbox changes.
            """)

    @Flag(help: "Run in a throwaway container and report everything the script changed; the host does not change.")
    var sandbox = false

    @Flag(name: .customLong("no-batch"), help: "Apply each iptables change at once (one `iptables -w` each) instead of one commit per run.")
    var noBatch = false

    @OptionGroup var color: ColorOptions

    @OptionGroup var script: ScriptArguments

    func run() throws {
        color.apply()
        if sandbox {
            throw ExitCode(Sandbox.run(path: script.file, arguments: script.arguments, output: Driver.standardOutput))
        }
        var options = Driver.Options()
        options.mode = .run
        options.batch = !noBatch
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
            Each mutation is printed as the equivalent shell command followed by `# FILE:LINE`; probes \
            (reads of the host) are printed as `# probe: …` comments, so the output replays in bash.
            """)

    @Option(help: "Output format: text (replayable shell), json (one object per effect), restore (text with the iptables commits as the exact iptables-restore input), or nft (the nftables transactions as one nft script, everything else as comments).")
    var format: String = "text"

    @Flag(name: .customLong("no-batch"), help: "Trace each iptables change as its own `iptables -w` command, with no commit (and each nftables change as its own transaction).")
    var noBatch = false

    @Option(help: "Answer the script's probes from this state file (see `wds state`) instead of the live host.")
    var state: String?

    @Flag(name: .customLong("run-probes"), help: ArgumentHelp(runProbesHelp))
    var runProbes = false

    /// A run-script child's trace continues its parent's, which named the shell already.
    @Flag(name: .customLong("no-header"), help: .hidden)
    var noHeader = false

    @OptionGroup var color: ColorOptions

    @OptionGroup var script: ScriptArguments

    func validate() throws {
        guard TraceHost.Format(rawValue: format) != nil else {
            throw ValidationError("--format must be text, json, restore or nft, not '\(format)'")
        }
    }

    func run() throws {
        color.apply()
        var options = Driver.Options()
        options.mode = .trace
        options.traceFormat = TraceHost.Format(rawValue: format)!
        options.batch = !noBatch
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

    @OptionGroup var color: ColorOptions

    @Option(help: ArgumentHelp("Output format: text (rendered diagnostics on standard error), json, or sarif (SARIF 2.1.0, "
                               + "for code scanning); json and sarif go to standard output.", valueName: "format"))
    var format: ReportFormat = .text

    @Argument(help: "The scripts to check (`-` for standard input).")
    var files: [String]

    func run() throws {
        color.apply()
        switch format {
        case .text:
            throw ExitCode(Driver.check(paths: files))
        case .json, .sarif:
            let diagnostics = Driver.checkDiagnostics(paths: files)
            let document: JSON = format == .json
                ? .object([("diagnostics", .array(diagnostics.map(\.json))),
                           ("errors", .number(Double(diagnostics.filter { $0.severity == .error }.count)))])
                : Diagnostic.sarif(diagnostics, version: WDS.version)
            Spawn.writeAll(1, Array((document.serialized + "\n").utf8))
            throw ExitCode(diagnostics.isEmpty ? ExitStatus.success : ExitStatus.usage)
        }
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

    @OptionGroup var color: ColorOptions

    @OptionGroup var script: ScriptArguments

    func run() throws {
        color.apply()
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

