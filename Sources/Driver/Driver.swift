import Backends
import Builtins
import HostSystem
import Interpreter
import Lexer

/// The whole pipeline for one script: load (with sourced files) → check →
/// choose the backend → run. The command line and the tests both call it,
/// so what a test runs is exactly what an operator runs.
public enum Driver {
    public enum Mode: Sendable { case run, trace }

    public struct Options {
        public var mode: Mode = .run
        public var traceFormat: TraceHost.Format = .text
        /// Answer probes from this state file instead of the live host (trace only).
        public var statePath: String?
        /// Record the probes' answers here (trace only), for `wds state`.
        public var recordStatePath: String?
        public var arguments: [String] = []
        public var environment: [String: String] = [:]
        /// Each batching family's changes as one transaction per batch (false: `--no-batch`, one change per transaction).
        public var batch = true
        /// Trace and state start the script's `run --probe` programs only with this (`--run-probes`).
        public var runProbes = false
        /// Begin a text trace with the line naming its shell (false: a run-script child's trace).
        public var traceHeader = true
        /// SIGINT and SIGTERM end the script as a failure, then its cleanup blocks run
        /// (the command line; a test running scripts in its own process keeps its signals).
        public var handleSignals = false
        public init() {}
    }

    /// Where output goes: `(text, isStandardError)`.
    public typealias Output = @Sendable (String, Bool) -> Void
    public static let standardOutput: Output = { text, toError in Spawn.writeAll(toError ? 2 : 1, Array(text.utf8)) }

    /// Loads and checks a script; the diagnostics are empty when it may run.
    public static func load(path: String, registry: BuiltinRegistry = Builtins.standard) -> (Script?, [Diagnostic]) {
        var loader = Loader()
        guard let script = loader.load(path: path) else { return (nil, loader.diagnostics) }
        if !loader.diagnostics.isEmpty { return (script, loader.diagnostics) }
        return (script, Checker.check(script, registry: registry))
    }

    /// `wds check`: every diagnostic of every file, and the exit status.
    public static func check(paths: [String], output: Output = standardOutput) -> Int32 {
        var status = ExitStatus.success
        for path in paths {
            let (_, diagnostics) = load(path: path)
            for diagnostic in diagnostics { output(diagnostic.render(), true) }
            if !diagnostics.isEmpty { status = ExitStatus.usage }
        }
        return status
    }

    /// `wds run` and `wds trace`: check first, and stop before any effect if the check fails.
    public static func run(path: String, options: Options, output: @escaping Output = standardOutput) -> Int32 {
        let (script, diagnostics) = load(path: path)
        guard let script, diagnostics.isEmpty else {
            for diagnostic in diagnostics { output(diagnostic.render(), true) }
            return ExitStatus.usage
        }
        let host: Host
        var recorder: StateRecorder?
        let journal = Journal(enabled: options.mode == .run)
        switch options.mode {
        case .run:
            // A run-script child of a sandbox run keeps the sandbox's guards.
            let system: Host = options.environment["WDS_SANDBOX"] == "1" ? SandboxHost(SystemHost(output: output)) : SystemHost(output: output)
            host = JournalingHost(system, journal: journal)
        case .trace:
            var probes: Host = ReadOnlyHost(SystemHost(output: output))
            if !options.runProbes {
                probes = ProbeProgramGate(probes, command: options.recordStatePath != nil ? "wds state" : "wds trace")
            }
            if let statePath = options.statePath {
                let bytes: [UInt8]
                switch FileBytes.contents(of: statePath) {
                case .success(let contents): bytes = contents
                case .failure(let failure):
                    output(Diagnostic("cannot read state file '\(statePath)': \(failure)", at: nil).render(), true)
                    return ExitStatus.usage
                }
                do {
                    probes = try StateFileHost(text: String(decoding: bytes, as: UTF8.self), name: statePath)
                } catch let diagnostic as Diagnostic {
                    output(diagnostic.render(), true)
                    return ExitStatus.usage
                } catch {
                    output(Diagnostic("'\(statePath)' is not valid JSON: \(error)", at: nil).render(), true)
                    return ExitStatus.usage
                }
            }
            if options.recordStatePath != nil {
                recorder = StateRecorder(probes)
                probes = recorder!
            }
            // A script started with run-script is traced with the same state file.
            host = TraceHost(probes: probes, format: options.traceFormat,
                             childTraceArguments: (options.statePath.map { ["--state", $0] } ?? [])
                                + (options.runProbes ? ["--run-probes"] : []), header: options.traceHeader,
                             write: { output($0, false) })
        }
        let context = RunContext(host: host, environment: options.environment, arguments: options.arguments, journal: journal)
        Builtins.standard.installFamilies(in: context, batch: options.batch)
        if options.mode == .trace {
            let trace = host as? TraceHost
            context.runScriptInProcess = { childPath, arguments, call in
                trace?.comment("run-script: \(shellLine([Spawn.currentExecutable, "trace", childPath] + arguments))  # \(call.range.shortLocation), point of no return")
                return try runChild(path: childPath, arguments: arguments, call: call)
            }
        }
        let interpreter = Interpreter(registry: Builtins.standard, context: context, scriptPath: path)
        if options.handleSignals { Signals.install() }
        let status = execute(script, with: interpreter, output: output)
        if let recorder, let recordPath = options.recordStatePath {
            do {
                try SafePath.writeFile(recordPath, recorder.serialized, append: false, at: SourceRange(file: script.file, start: 0, end: 0))
            } catch let failure as CommandFailure {
                output(failure.render(), true)
                return ExitStatus.failure
            } catch {
                return ExitStatus.failure
            }
        }
        return status
    }

    /// A script started by `run-script` under trace or plan: loaded, checked
    /// and run in this process, continuing the parent's model of the host.
    static func runChild(path: String, arguments: [String], call: Invocation) throws -> Int32 {
        let (script, diagnostics) = load(path: path)
        guard let script, diagnostics.isEmpty else {
            throw CommandFailure("'\(Paths.base(path))' does not pass the check:\n" + diagnostics.map { $0.render() }.joined(),
                                 at: call.range, status: ExitStatus.usage)
        }
        call.context.inputs.noteLoaded(script)
        let context = call.context.child(arguments: arguments)
        let child = Interpreter(registry: Builtins.standard, context: context, scriptPath: path)
        let report: (String) -> Void = { _ = try? call.perform(.print(text: $0, toStandardError: true, newline: false)) }
        let start = context.savepoint()
        do {
            return child.runCleanups(after: try child.run(script), report: report)
        } catch {
            // A child wds that fails undoes what it changed before its cleanup blocks run: so does its simulation.
            _ = context.rollBack(to: start, at: call.range)
            _ = child.runCleanups(after: ExitStatus.failure, report: report)
            throw error
        }
    }

    /// Runs a checked script, rendering any failure that ends it. Open
    /// batches are committed when the script ends (also by `exit`); a failure
    /// (or SIGINT, SIGTERM) drops them and undoes what the run changed (see
    /// `rollBack`). Then the script's `cleanup` blocks run, whatever the ending.
    public static func execute(_ script: Script, with interpreter: Interpreter, output: Output) -> Int32 {
        let status = executeBody(script, with: interpreter, output: output)
        return interpreter.runCleanups(after: status) { output($0, true) }
    }

    static func executeBody(_ script: Script, with interpreter: Interpreter, output: Output) -> Int32 {
        let context = interpreter.context
        do {
            let status = try interpreter.run(script)
            try context.commitOpenBatches()
            return status
        } catch let failure as CommandFailure {
            output(failure.render(), true)
            rollBack(context, output: output)
            return failure.status
        } catch let diagnostic as Diagnostic {
            output(diagnostic.render(), true)
            rollBack(context, output: output)
            return ExitStatus.failure
        } catch let interruption as Interruption {
            output(interruption.diagnostic.render(), true)
            rollBack(context, output: output)
            return interruption.status
        } catch {
            output("wds: internal error: \(error)\n", true)
            rollBack(context, output: output)
            return ExitStatus.failure
        }
    }

    /// A failed run: drop the open batches, undo the journal latest first, and
    /// say what could not be undone (steps before a point of no return, undos that failed).
    static func rollBack(_ context: RunContext, output: Output) {
        context.abandonOpenBatches()
        // A trace forgets the run's files, sysctls and mounts as the run's journal undoes them
        // (never past a point of no return), so its cleanup blocks see what the run's would.
        context.rollBackSimulation()
        let journal = context.journal
        guard journal.enabled else { return }
        let undone = journal.steps.count
        let failed = journal.rollBack()
        var lines: [String] = []
        if undone > 0 && failed.isEmpty {
            lines.append("wds: undid the \(undone) change(s) this run had made")
        }
        for (step, error) in failed {
            let reason = (error as? CommandFailure)?.message ?? "\(error)"
            lines.append("wds: could not undo the change at \(step.location.shortLocation) (\(step.undoDescription)): \(reason)")
        }
        if let (what, location) = journal.pointOfNoReturn {
            lines.append("wds: changes made before \(what) at \(location.shortLocation) were not undone (a point of no return)")
        }
        if !lines.isEmpty { output(lines.joined(separator: "\n") + "\n", true) }
    }
}
