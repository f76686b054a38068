import Interpreter
import Lexer

/// The audit backend. It changes nothing: each mutation is printed as the
/// exact shell command that would perform it, with the script line, and is
/// remembered by a `SimulatedHost` so later probes see it; other probes are
/// answered by the read-only host (the live machine or a state file) and
/// listed as comments. Every line it prints is replayable by bash.
public final class TraceHost: Host {
    /// `restore` is `text` with the iptables transaction shown as the exact
    /// payloads it commits (the staged changes become comments).
    public enum Format: String, Sendable { case text, json, restore }

    let probes: Host
    let format: Format
    let write: (String) -> Void
    /// The run's record of what it read from the host: mutations that depend on
    /// a probe's answer are marked, since on another host they could differ.
    public var tracker: ProbeTracker?

    public init(probes: Host, format: Format = .text, childTraceArguments: [String] = [],
                write: @escaping (String) -> Void = { Spawn.writeAll(1, Array($0.utf8)) }) {
        self.probes = SimulatedHost(probes: probes, childTraceArguments: ["--format", format.rawValue] + childTraceArguments)
        self.format = format
        self.write = write
    }

    public func perform(_ effect: Effect, at location: SourceRange) throws -> EffectResult {
        let dependsOnProbe = effect.isMutation && tracker?.mutationDependsOnProbe == true
        write(TraceHost.line(for: effect, at: location, format: format, dependsOnProbe: dependsOnProbe) + "\n")
        return try probes.perform(effect, at: location)
    }

    /// One line per effect: `COMMAND  # file:line`, probes as `# probe: COMMAND  # file:line`,
    /// and `# file:line, after a probe` for a mutation whose presence or values came from one.
    public static func line(for effect: Effect, at location: SourceRange, format: Format, dependsOnProbe: Bool = false) -> String {
        let place = location.shortLocation + (dependsOnProbe ? ", after a probe" : "")
        switch (format, effect) {
        case (.text, .iptablesRestore(let family, let payload)):
            let changes = payload.split(separator: "\n").filter { !$0.hasPrefix("*") && $0 != "COMMIT" }.count
            return "# commit: \(family.restoreCommand) --noflush, the \(changes) change(s) above  # \(place)"
        case (.restore, .iptablesRestore(let family, let payload)):
            return "\(family.restoreCommand) --noflush <<'WDS_RESTORE'  # \(place)\n\(payload)WDS_RESTORE"
        case (.restore, .iptablesStaged):
            return "# \(effect.shellCommand)  # \(place)"
        case (.text, .iptablesLock), (.text, .iptablesUnlock), (.restore, .iptablesLock), (.restore, .iptablesUnlock):
            return "# \(effect.kind): \(effect.shellCommand)  # \(place)"
        case (.text, _), (.restore, _):
            let command = effect.shellCommand
            return effect.isMutation ? "\(command)  # \(place)" : "# probe: \(command)  # \(place)"
        case (.json, _):
            return JSON.object([
                ("location", .string(location.shortLocation)),
                ("kind", .string(effect.kind)),
                ("mutates", .bool(effect.isMutation)),
                ("dependsOnProbe", .bool(dependsOnProbe)),
                ("argv", .array(effect.argv.map(JSON.string))),
                ("command", .string(effect.shellCommand)),
            ]).serialized
        }
    }
}

/// The live host, for questions only: a mutation reaching it is a bug in wds,
/// refused rather than performed.
public final class ReadOnlyHost: Host {
    let inner: Host
    public init(_ inner: Host = SystemHost()) { self.inner = inner }

    public func perform(_ effect: Effect, at location: SourceRange) throws -> EffectResult {
        guard !effect.isMutation else {
            throw Diagnostic("internal error: a mutation (\(effect.kind)) reached the read-only host", at: location)
        }
        return try inner.perform(effect, at: location)
    }
}
