import Lexer

/// The one seam between a script and the machine. Backends implement it and
/// wrap each other: the trace wraps a read-only host for its probes, tests wrap
/// a recorder around the system host. Every call carries the source range of
/// the statement that caused it, so a failure points at the script line.
public protocol Host: AnyObject {
    func perform(_ effect: Effect, at location: SourceRange) throws -> EffectResult
    /// The effect with what the run knows of where it comes from. Hosts that show it (the
    /// trace) or pass effects on to one that may (the REPL's switch) take this form; the
    /// others are asked `perform(_:at:)`.
    func perform(_ effect: Effect, in context: EffectContext) throws -> EffectResult
}

extension Host {
    public func perform(_ effect: Effect, in context: EffectContext) throws -> EffectResult {
        try perform(effect, at: context.location)
    }
}

/// What travels with each effect besides the effect: the statement it comes
/// from, and whether its presence or its values came from reading the host —
/// what the statement's values or branch were taken from, or what the builtin
/// read first. On another host, with other answers, such a trace line could
/// differ or be missing; the trace marks it "after a probe".
public struct EffectContext: Sendable {
    public var location: SourceRange
    public var dependsOnProbe: Bool

    public init(location: SourceRange, dependsOnProbe: Bool = false) {
        self.location = location
        self.dependsOnProbe = dependsOnProbe
    }
}

/// An operational failure (a program exited non-zero, the kernel said no, a
/// file is missing). Unlike a mistake in the script, it can be handled: a
/// condition reads it as false, `||` and `try` catch it.
public struct CommandFailure: Error, Sendable {
    public var diagnostic: Diagnostic
    /// The exit status of `wds run` if nothing handles it.
    public var status: Int32
    /// `fail "message"` prints just its message, as a shell script's `echo >&2; exit 1` did.
    public var plainMessage: Bool

    public init(_ message: String, at location: SourceRange?, status: Int32 = ExitStatus.failure,
                hint: String? = nil, plainMessage: Bool = false) {
        self.diagnostic = Diagnostic(message, at: location, hint: hint)
        self.status = status
        self.plainMessage = plainMessage
    }

    public var message: String { diagnostic.message }

    public func render() -> String {
        plainMessage ? Diagnostic.escaped(diagnostic.message) + "\n" : diagnostic.render()
    }
}

/// Exit statuses of `wds`, one per kind of ending, as documented in docs/language.md.
public enum ExitStatus {
    public static let success: Int32 = 0
    /// A failure while running: a command failed, `fail` was called.
    public static let failure: Int32 = 1
    /// Bad usage, or the script did not pass the check; nothing ran.
    public static let usage: Int32 = 2
    /// A lock could not be taken in time.
    public static let lockTimeout: Int32 = 3
    /// A program the script runs, or a tool a builtin needs, is not installed.
    public static let missingProgram: Int32 = 4
    /// The kernel refused an operation (mount, iptables rule, sysctl).
    public static let kernelRefused: Int32 = 5
    /// A write failed for lack of space or a read-only file system.
    public static let noSpace: Int32 = 6
    /// `wds plan` and `wds verify`: the host differs from what the script would make.
    public static let changesPending: Int32 = 10
}
