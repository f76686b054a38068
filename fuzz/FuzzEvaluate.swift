// Evaluation, fuzzed: a script that passes the check is run in trace mode
// against a host made of memory — the trace's `SimulatedHost` over probes
// answered here (no file, an empty mount table, bare iptables tables), with
// `run-script` children not started. Nothing reaches the real machine: no
// SystemHost is made, and SimulatedHost starts a child only when given trace
// arguments, which it is not. It asserts, for every input:
//
//  - no crash, no trap, no stack overflow, no failed allocation (libFuzzer);
//  - a run ends normally, with a CommandFailure or with a Diagnostic: never
//    another error (which `wds run` reports as an internal error);
//  - every diagnostic of the run points inside its file and renders as
//    `name:line:col: error: …`;
//  - every effect is one trace line, and survives the JSON coding a saved
//    plan uses (Effect(json:) gives it back);
//  - a mutation never reaches the probes' host.
//
// A run is bounded to `maximumStatements`, since a script may loop for ever,
// and its values to 64 KiB each and 256 KiB in all: a loop that doubles a
// text up to wds's real limits, then runs `replace` over it 2,000 times, is
// minutes of honest work, which libFuzzer would report as a hang.
import Backends
import Builtins
import Interpreter
import Lexer

/// The read-only side: answers every probe from memory.
final class FuzzProbes: Host {
    let bytes: [UInt8]
    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func perform(_ effect: Effect, at location: SourceRange) throws -> EffectResult {
        if effect.isMutation { violated("a mutation (\(effect.kind)) reached the probes' host", bytes) }
        switch effect {
        case .readFile(let path): throw CommandFailure("cannot read '\(path)': No such file or directory", at: location)
        case .fileInfo: return .fileInfo(nil)
        case .listDirectory(let path): throw CommandFailure("cannot list '\(path)': No such file or directory", at: location)
        case .readSysctl: return .text("0\n")
        case .mountTable: return .text("1 0 0:1 / / rw - rootfs none rw\n")
        case .route: return .route(Route(device: "eth0", gateway: "10.0.2.2", source: "10.0.2.15"))
        // iptables' probes are its family's effects, known here by kind and fields.
        case .family(let wrapped) where wrapped.effect.kind == "iptables-save":
            let table = wrapped.effect.fields["table"]?.stringValue ?? "filter"
            let chains = ["filter": ["INPUT", "FORWARD", "OUTPUT"], "nat": ["PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"]][table] ?? []
            return .text("*\(table)\n" + chains.map { ":\($0) ACCEPT [0:0]\n" }.joined() + "COMMIT\n")
        case .family(let wrapped) where wrapped.effect.kind == "iptables-list":
            return .process(status: 1, standardOutput: "", standardError: "iptables: No chain/target/match by that name.\n")
        case .probeProgram: return .process(status: 0, standardOutput: "", standardError: "")
        case .canonicalPath(let path): return .text(path)
        default: return .done
        }
    }
}

/// The trace's side: checks each effect's line and coding, then simulates it.
final class FuzzTraceHost: Host {
    let simulated: SimulatedHost
    let bytes: [UInt8]
    var effects = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        simulated = SimulatedHost(probes: FuzzProbes(bytes), childTraceArguments: nil)
    }

    func perform(_ effect: Effect, at location: SourceRange) throws -> EffectResult {
        effects += 1
        let line = TraceHost.line(for: effect, at: location, format: .text)
        if line.contains("\n") { violated("a trace line of \(effect.kind) spans lines: \(line)", bytes) }
        if Effect(json: effect.json) != effect { violated("\(effect.kind) does not survive its JSON coding", bytes) }
        if location.start < 0 || location.end > location.file.bytes.count {
            violated("effect location \(location.start)..<\(location.end) outside its file", bytes)
        }
        return try simulated.perform(effect, at: location)
    }
}

func fuzzEvaluate(_ script: Script, _ bytes: [UInt8]) {
    let host = FuzzTraceHost(bytes)
    let context = RunContext(host: host, environment: ["HOME": "/root", "WDS_FUZZ": "1"], arguments: ["a", "/tmp/fuzz"])
    Builtins.standard.installFamilies(in: context, batch: true)
    let interpreter = Interpreter(registry: Builtins.standard, context: context, scriptPath: "./fuzz.wds")
    interpreter.maximumStatements = 2_000
    Limits.maximumValueBytes = 64 << 10
    Limits.maximumTotalBytes = 256 << 10
    do {
        _ = try interpreter.run(script)
        try context.commitOpenBatches()
    } catch let failure as CommandFailure {
        checkRendering(failure.diagnostic, bytes)
    } catch let diagnostic as Diagnostic {
        checkRendering(diagnostic, bytes)
    } catch {
        violated("the run ended with an error that is neither a failure nor a diagnostic: \(error)", bytes)
    }
}
