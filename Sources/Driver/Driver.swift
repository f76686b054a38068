import Backends
import Builtins
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
        /// iptables changes as one transaction per run (false: `--no-batch`, one `iptables -w` per change).
        public var batchIptables = true
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
        switch options.mode {
        case .run:
            // A run-script child of a sandbox run keeps the sandbox's guards.
            host = options.environment["WDS_SANDBOX"] == "1" ? SandboxHost(SystemHost(output: output)) : SystemHost(output: output)
        case .trace:
            var probes: Host = ReadOnlyHost(SystemHost(output: output))
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
                             childTraceArguments: options.statePath.map { ["--state", $0] } ?? [],
                             write: { output($0, false) })
        }
        let context = RunContext(host: host, environment: options.environment, arguments: options.arguments)
        (host as? TraceHost)?.tracker = context.probes
        IptablesEngine.install(in: context, batch: options.batchIptables)
        let interpreter = Interpreter(registry: Builtins.standard, context: context, scriptPath: path)
        let status = execute(script, with: interpreter, output: output)
        _ = (host as? SandboxHost)?.removeCgroupDirectories()
        if let recorder, let recordPath = options.recordStatePath {
            do {
                _ = try SystemHost().perform(.writeFile(path: recordPath, contents: recorder.serialized, append: false),
                                         at: SourceRange(file: script.file, start: 0, end: 0))
            } catch let failure as CommandFailure {
                output(failure.render(), true)
                return ExitStatus.failure
            } catch {
                return ExitStatus.failure
            }
        }
        return status
    }

    /// Runs a checked script, rendering any failure that ends it. The run's
    /// iptables transaction is committed when the script ends (also by `exit`)
    /// and dropped when a failure ends it.
    public static func execute(_ script: Script, with interpreter: Interpreter, output: Output) -> Int32 {
        do {
            let status = try interpreter.run(script)
            try IptablesEngine.commit(interpreter.context)
            return status
        } catch let failure as CommandFailure {
            IptablesEngine.abandon(interpreter.context)
            output(failure.render(), true)
            return failure.status
        } catch let diagnostic as Diagnostic {
            IptablesEngine.abandon(interpreter.context)
            output(diagnostic.render(), true)
            return ExitStatus.failure
        } catch {
            IptablesEngine.abandon(interpreter.context)
            output("wds: internal error: \(error)\n", true)
            return ExitStatus.failure
        }
    }
}
