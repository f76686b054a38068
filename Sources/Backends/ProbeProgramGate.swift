import Interpreter
import Lexer

/// Stands in front of the live host in the modes that must not act — trace,
/// plan, verify, state — unless the user passed `--run-probes`. A program
/// the script declares read-only (`run --probe`) is still a program: nothing
/// holds it to reading, so an audit of an untrusted script, or an Ansible
/// check-mode run, must not start it. Without an answer the run cannot go
/// on honestly (a guess would take a branch the host might not), so it
/// stops at the statement that asked, as it does when a state file has no
/// answer (`StateFileHost`): the probe's comment is already printed, then a
/// fatal diagnostic that no `try` or condition can read as "false".
/// wds's own typed reads (files, /proc, sysfs, iptables-save, routes) are
/// not programs and pass.
public final class ProbeProgramGate: Host {
    let inner: Host
    /// The command that stopped, for the message: `wds trace`, `wds plan`…
    let command: String
    let hint: String

    public init(_ inner: Host, command: String,
                hint: String = "to run the script's probe programs on this host, pass --run-probes: they then run for real, and nothing holds them to reading") {
        self.inner = inner
        self.command = command
        self.hint = hint
    }

    public func perform(_ effect: Effect, at location: SourceRange) throws -> EffectResult {
        if case .probeProgram = effect {
            // A `run` statement decides from the program's exit status (it fails on non-zero) or
            // hands it on as a value, so the statement that runs the probe is the first that needs it.
            throw Diagnostic("\(command) stops here: this statement needs the answer of `\(effect.shellCommand)`, "
                             + "a program (`run --probe`), and \(command) starts programs only with --run-probes",
                             at: location, hint: hint)
        }
        return try inner.perform(effect, at: location)
    }
}
