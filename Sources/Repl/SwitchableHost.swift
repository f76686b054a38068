import Backends
import Interpreter
import Lexer

/// The REPL's host: tracing or executing, switched by `:trace on|off`
/// without losing the session's variables.
final class SwitchableHost: Host {
    var tracing: Bool
    let system: Host
    let trace: Host

    init(tracing: Bool, write: @escaping (String, Bool) -> Void) {
        self.tracing = tracing
        self.system = SystemHost(output: write)
        // As `wds trace` without --run-probes: a `run --probe` program is not started while tracing.
        let probes = ProbeProgramGate(ReadOnlyHost(SystemHost(output: write)), command: "the trace",
                                      hint: "`:trace off` runs statements for real, probe programs included")
        self.trace = TraceHost(probes: probes, header: false, write: { write($0, false) })
    }

    func perform(_ effect: Effect, at location: SourceRange) throws -> EffectResult {
        try (tracing ? trace : system).perform(effect, at: location)
    }

    func perform(_ effect: Effect, in context: EffectContext) throws -> EffectResult {
        try (tracing ? trace : system).perform(effect, in: context)
    }
}
