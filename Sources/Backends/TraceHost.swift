import HostSystem
import Interpreter
import Lexer

/// The audit backend. It changes nothing: each mutation is printed as the
/// exact shell command that would perform it, with the script line, and is
/// remembered by a `SimulatedHost` so later probes see it; other probes are
/// answered by the read-only host (the live machine or a state file) and
/// listed as comments. Every line it prints is replayable by bash, which the
/// first line (`#!/bin/bash`) names: replayed, each does exactly what the run did.
public final class TraceHost: Host, SimulatedChanges {
    /// The first line of a text or restore trace: the shell its lines are written for.
    public static let header = "#!/bin/bash\n"
    /// The first line of an `nft` trace: an nft script.
    public static let nftHeader = "#!/usr/sbin/nft -f\n"

    /// `restore` is `text` with the iptables transaction shown as the exact
    /// payloads it commits (the staged changes become comments). `nft` is the
    /// run's nftables transactions as one nft script (`nft -f` reads it),
    /// every other effect a comment.
    public enum Format: String, Sendable { case text, json, restore, nft }

    let probes: SimulatedHost
    let format: Format
    let write: (String) -> Void
    /// Whether the header is still to be written, before the first line (not in JSON, nor in a
    /// child trace of `run-script`, whose lines continue its parent's).
    var headerPending: Bool

    public init(probes: Host, format: Format = .text, childTraceArguments: [String] = [], header: Bool = true,
                write: @escaping (String) -> Void = { Spawn.writeAll(1, Array($0.utf8)) }) {
        self.probes = SimulatedHost(probes: probes, childTraceArguments: ["--format", format.rawValue, "--no-header"] + childTraceArguments)
        self.format = format
        self.write = write
        self.headerPending = header && format != .json
    }

    /// A caught failure's rollback reaches the simulation behind the trace.
    public func savepoint() -> SimulatedSavepoint { probes.savepoint() }
    /// A caught failure: the lines that undo what its statement changed, as the run performs them.
    public func rollBack(to savepoint: SimulatedSavepoint, at location: SourceRange?) {
        if let location {
            for effect in probes.undoEffects(to: savepoint, at: location) {
                let line = TraceHost.line(for: effect, at: location, format: format, dependsOnProbe: true, undo: true)
                if !line.isEmpty { write(line + "\n") }
            }
        }
        probes.rollBack(to: savepoint, at: location)
    }

    /// A comment line of the trace's own (`# run-script: …`), after the header like every line.
    public func comment(_ text: String) {
        guard format != .json else { return }
        writeHeaderIfPending()
        write("# \(text)\n")
    }

    private func writeHeaderIfPending() {
        if headerPending {
            headerPending = false
            write(format == .nft ? TraceHost.nftHeader : TraceHost.header)
        }
    }

    public func perform(_ effect: Effect, at location: SourceRange) throws -> EffectResult {
        try perform(effect, in: EffectContext(location: location))
    }

    /// A mutation whose context says it came from reading the host is marked "after a probe".
    public func perform(_ effect: Effect, in context: EffectContext) throws -> EffectResult {
        writeHeaderIfPending()
        let location = context.location
        let dependsOnProbe = effect.isMutation && context.dependsOnProbe
        let line = TraceHost.line(for: effect, at: location, format: format, dependsOnProbe: dependsOnProbe)
        if !line.isEmpty { write(line + "\n") }
        return try probes.perform(effect, at: location)
    }

    /// One line per effect: `COMMAND  # file:line`, probes as `# probe: COMMAND  # file:line`,
    /// and `# file:line, after a probe` for a mutation whose presence or values came from one;
    /// `, point of no return` for one a failed run cannot undo (a program, an unmount, a removal).
    /// An `undo` line (what a caught failure takes back) is no point of no return of its own.
    public static func line(for effect: Effect, at location: SourceRange, format: Format, dependsOnProbe: Bool = false,
                            undo: Bool = false) -> String {
        // A file name is the user's: a newline in it must not end the comment and start a command.
        let place = String(String.UnicodeScalarView(location.shortLocation.unicodeScalars.map {
            $0.value < 0x20 || $0.value == 0x7F ? "?" : $0
        })) + (dependsOnProbe ? ", after a probe" : "") + (effect.isPointOfNoReturn && !undo ? ", point of no return" : "")
        if case .family(let wrapped) = effect, let line = wrapped.effect.traceLine(format: format.rawValue, place: place) {
            return line
        }
        if format == .nft {
            // An nft script: what is not nftables is shown, commented out, where it happens.
            let text = line(for: effect, at: location, format: .text, dependsOnProbe: dependsOnProbe, undo: undo)
            return text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.hasPrefix("#") ? String($0) : "# " + $0 }
                .joined(separator: "\n")
        }
        switch (format, effect) {
        case (.text, _), (.restore, _), (.nft, _):
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
