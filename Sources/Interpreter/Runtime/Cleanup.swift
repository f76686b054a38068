import Lexer
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// SIGINT and SIGTERM while a script runs: the handler only notes the
/// signal, and the interpreter ends the script before its next statement as a
/// failure (`Interruption`), so the run is rolled back and its `cleanup`
/// blocks run, as `trap cleanup EXIT INT TERM` did in bash.
public enum Signals {
    static let received = Atomic<Int32>(0)

    /// Installs the handlers (for a whole run; the REPL keeps the default). A
    /// signal ignored when wds starts stays ignored, as in sh (nohup, a
    /// background job of a non-interactive shell).
    public static func install() {
        for number in [SIGINT, SIGTERM] {
            var current = sigaction()
            sigaction(number, nil, &current)
            if unsafeBitCast(current.__sigaction_handler.sa_handler, to: Int.self) == 1 { continue }  // SIG_IGN
            signal(number) { Signals.received.store($0, ordering: .relaxed) }
        }
    }

    /// The signal received and not yet acted on, if any.
    static func take() -> Int32? {
        // Nearly always none: a plain load is cheaper than the exchange that takes one.
        guard received.load(ordering: .relaxed) != 0 else { return nil }
        let signal = received.exchange(0, ordering: .relaxed)
        return signal == 0 ? nil : signal
    }

    public static func name(_ signal: Int32) -> String { signal == SIGINT ? "SIGINT" : signal == SIGTERM ? "SIGTERM" : "signal \(signal)" }
}

/// The script was interrupted by a signal: not a failure `try` or a condition
/// may catch, but one that ends the run (status 128 + the signal's number).
public struct Interruption: Error {
    public var signal: Int32
    public var location: SourceRange
    public var status: Int32 { 128 + signal }
    public var diagnostic: Diagnostic {
        Diagnostic("interrupted by \(Signals.name(signal)) before this statement", at: location)
    }
}

extension Interpreter {
    /// Before each statement: a pending SIGINT or SIGTERM ends the script here.
    func checkInterruption(at keywordRange: SourceRange) throws {
        guard !runningCleanup, let signal = Signals.take() else { return }
        throw Interruption(signal: signal, location: keywordRange)
    }

    /// Runs the `cleanup` blocks the script registered, the last registered
    /// first, once the script has ended (and a failed run has been rolled
    /// back). Each statement runs even when one before it failed: a failure is
    /// reported, undoes what that statement itself changed, and makes the
    /// status non-zero if it was zero. The blocks' own changes are committed
    /// and stay. `exit N` in a block ends the clean-up with status N.
    /// Returns the run's final status.
    public func runCleanups(after status: Int32, report: (String) -> Void) -> Int32 {
        var status = status
        runningCleanup = true
        defer { runningCleanup = false }
        func failed(_ message: String, _ failureStatus: Int32) {
            report(message)
            if status == ExitStatus.success { status = failureStatus }
        }
        blocks: while let (body, scope) = cleanups.popLast() {
            let inner = Scope(parent: scope)
            for statement in body.statements {
                let savepoint = context.savepoint()
                do {
                    try onLargeStack {
                        stack = StackGuard.current()
                        try execute(statement, in: inner)
                    }
                } catch ControlFlow.exit(let code) {
                    status = code
                    cleanups.removeAll()
                    break blocks
                } catch let failure as CommandFailure {
                    _ = context.rollBack(to: savepoint, at: failure.diagnostic.range)
                    failed(failure.render(), failure.status)
                } catch let diagnostic as Diagnostic {
                    _ = context.rollBack(to: savepoint, at: diagnostic.range)
                    failed(diagnostic.render(), ExitStatus.failure)
                } catch {
                    failed("wds: internal error: \(error)\n", ExitStatus.failure)
                }
            }
        }
        do {
            try context.commitOpenBatches()
        } catch let failure as CommandFailure {
            failed(failure.render(), failure.status)
        } catch {
            failed("wds: internal error: \(error)\n", ExitStatus.failure)
        }
        return status
    }
}
