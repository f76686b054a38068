import Backends
import Builtins
import Driver
import HostSystem
import Interpreter
import Lexer

#if canImport(Glibc)
import Glibc
#endif

/// A script and its own arguments (`Commands.script`).
struct ScriptArguments {
    var file: String
    var arguments: [String]

    init(_ arguments: ParsedArguments) {
        file = arguments.positional("file")!
        self.arguments = arguments.positionalList("arguments")
    }
}

struct Run: RunnableCommand {
    var sandbox: Bool
    var noBatch: Bool
    var color: ColorOptions
    var script: ScriptArguments

    init(_ arguments: ParsedArguments) {
        sandbox = arguments.flag("sandbox")
        noBatch = arguments.flag("no-batch")
        color = ColorOptions(arguments)
        script = ScriptArguments(arguments)
    }

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

struct Trace: RunnableCommand {
    var format: String
    var noBatch: Bool
    var state: String?
    var runProbes: Bool
    /// A run-script child's trace continues its parent's, which named the shell already.
    var noHeader: Bool
    var color: ColorOptions
    var script: ScriptArguments

    init(_ arguments: ParsedArguments) {
        format = arguments.value("format")!
        noBatch = arguments.flag("no-batch")
        state = arguments.value("state")
        runProbes = arguments.flag("run-probes")
        noHeader = arguments.flag("no-header")
        color = ColorOptions(arguments)
        script = ScriptArguments(arguments)
    }

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

struct Check: RunnableCommand {
    var color: ColorOptions
    var format: ReportFormat
    var files: [String]

    init(_ arguments: ParsedArguments) {
        color = ColorOptions(arguments)
        format = ReportFormat(rawValue: arguments.value("format")!)!  // one of the table's choices
        files = arguments.positionalList("files")
    }

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

struct State: RunnableCommand {
    var output: String
    var runProbes: Bool
    var color: ColorOptions
    var script: ScriptArguments

    init(_ arguments: ParsedArguments) {
        output = arguments.value("output")!
        runProbes = arguments.flag("run-probes")
        color = ColorOptions(arguments)
        script = ScriptArguments(arguments)
    }

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

