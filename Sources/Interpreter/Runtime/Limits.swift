import Lexer

#if canImport(Glibc)
import Glibc
#endif

/// wds's own limits on what a running script may use, so that a script (or a
/// value from the environment) meets a located diagnostic and exit status 1
/// instead of a crash: a stack overflow (SIGSEGV, 139) or a failed allocation
/// (SIGABRT, 134). The checker cannot see these: a recursion's depth and a
/// value's size depend on what the script computes.
public enum Limits {
    /// Statements being executed inside one another (blocks, function bodies,
    /// substitutions). Each costs stack; deeper nesting is refused.
    public static let maximumEvaluationDepth = 1000
    /// The largest single value: a text, or a list or record with all it holds
    /// (as large as the largest file wds reads).
    /// Lowered, before anything runs, only by the fuzz harness (fuzz/FuzzEvaluate.swift):
    /// there one input's 2,000 statements may each make a value this large, and
    /// at the real limits that is minutes of work, not a hang worth reporting.
    public nonisolated(unsafe) static var maximumValueBytes = FileBytes.maximumSize
    /// All values held in variables at one time (lowered by the fuzz harness too).
    public nonisolated(unsafe) static var maximumTotalBytes = 256 << 20
    /// The evaluation runs on a thread with a stack this large (reserved, not
    /// used), so the depth limit is reached long before the stack's end.
    public static let evaluationStackBytes = 256 << 20
    /// Evaluation stops when less stack than this (or an eighth of a small
    /// stack) is left, whatever the depth: on a thread whose stack is smaller,
    /// such as the REPL's.
    static let stackReserveBytes = 1 << 20

    /// Scripts started by `run-script` inside one another (each its own wds
    /// process, which learns its depth from `scriptDepthVariable`).
    public static let maximumScriptDepth = 16
    /// How deep the running script is in `run-script`s: absent at the top, 1 in its child.
    public static let scriptDepthVariable = "WDS_RUN_SCRIPT_DEPTH"

    /// What a value costs in memory, roughly: its bytes of text, and a fixed
    /// cost per item, field and scalar (the enum and string headers).
    public static func size(of value: Value) -> Int {
        switch value {
        case .string(let text): return 16 + text.utf8.count
        case .integer, .boolean: return 16
        case .list(let items): return items.reduce(16) { $0 + size(of: $1) }
        case .record(let record): return record.fields.reduce(16) { $0 + 16 + $1.name.utf8.count + size(of: $1.value) }
        }
    }

    /// Refuses a value of `bytes` made at `range`.
    public static func checkValue(bytes: Int, at range: SourceRange?) throws {
        guard bytes > maximumValueBytes else { return }
        throw Diagnostic("a value of \(describe(bytes)) is larger than wds's limit of \(describe(maximumValueBytes))",
                         at: range, hint: "does a loop keep doubling it? write large data to a file piece by piece with append-file")
    }

    public static func check(_ value: Value, at range: SourceRange?) throws {
        if case .string(let text) = value, text.utf8.count + 16 <= maximumValueBytes { return }
        try checkValue(bytes: size(of: value), at: range)
    }

    /// `16 MiB`, `256.1 MiB`, `3 KiB`, `12 bytes` (tenths cut, not rounded, so a size over a limit never reads as the limit).
    static func describe(_ bytes: Int) -> String {
        guard bytes >= 1 << 20 else { return bytes >= 1 << 10 ? "\(bytes >> 10) KiB" : "\(bytes) bytes" }
        let tenths = (bytes * 10) >> 20
        return tenths % 10 == 0 && bytes % (1 << 20) == 0 ? "\(bytes >> 20) MiB" : "\(tenths / 10).\(tenths % 10) MiB"
    }
}

/// The memory held by every variable of one run, kept by its scopes.
final class ValueBudget {
    var held = 0
    /// Scopes made so far in the run: the next one's `Scope.id`.
    var scopesMade = 0

    /// Takes `delta` more bytes for a variable, or refuses past the total limit.
    func admit(_ delta: Int, at range: SourceRange?) throws {
        guard delta > 0, held + delta > Limits.maximumTotalBytes else {
            held += delta
            return
        }
        throw Diagnostic("the script's variables would hold more than wds's limit of \(Limits.describe(Limits.maximumTotalBytes)) in all (\(Limits.describe(held)) held, \(Limits.describe(delta)) more)",
                         at: range, hint: "does a loop or a recursion keep large values in variables?")
    }
}

/// The stack of the thread that evaluates: where it ends, to stop before it does.
struct StackGuard {
    /// The lowest usable address (stacks grow down on every platform wds runs on).
    let floor: UInt

    /// The current thread's stack, from pthread_getattr_np (read once per run: on
    /// the main thread it parses /proc/self/maps).
    static func current() -> StackGuard {
        var attributes = pthread_attr_t()
        var floor: UInt = 0
        if threadAttributes(pthread_self(), &attributes) == 0 {
            var address: UnsafeMutableRawPointer?
            var size = 0
            if pthread_attr_getstack(&attributes, &address, &size) == 0, let address {
                floor = UInt(bitPattern: address) + UInt(min(Limits.stackReserveBytes, size / 8))
            }
            pthread_attr_destroy(&attributes)
        }
        return StackGuard(floor: floor)
    }

    /// Whether less than the reserve is left below the caller's frame.
    @inline(never)
    func isNearlyFull() -> Bool {
        var marker: UInt8 = 0
        return withUnsafeMutablePointer(to: &marker) { UInt(bitPattern: $0) } < floor
    }
}

/// glibc's pthread_getattr_np (a GNU extension the Glibc module does not export).
@_silgen_name("pthread_getattr_np")
private func threadAttributes(_ thread: pthread_t, _ attributes: UnsafeMutablePointer<pthread_attr_t>) -> Int32

/// Runs `body` on a thread with a stack of `Limits.evaluationStackBytes` and
/// waits for it; on the calling thread when no such thread can be made (the
/// stack guard still stops a recursion there before the stack ends).
func onLargeStack<T>(_ body: () throws -> T) throws -> T {
    try withoutActuallyEscaping(body) { escaping in
        let job = LargeStackJob(escaping)
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        var thread = pthread_t()
        let started = pthread_attr_setstacksize(&attributes, Limits.evaluationStackBytes) == 0
            && pthread_create(&thread, &attributes, { context in
                Unmanaged<StackJob>.fromOpaque(context!).takeUnretainedValue().run()
                return nil
            }, Unmanaged.passUnretained(job as StackJob).toOpaque()) == 0
        guard started else { return try escaping() }
        pthread_join(thread, nil)
        return try job.result!.get()
    }
}

/// The work handed to the evaluation thread (a C function pointer cannot be generic).
private class StackJob {
    func run() {}
}

private final class LargeStackJob<T>: StackJob {
    let body: () throws -> T
    var result: Result<T, Error>?
    init(_ body: @escaping () throws -> T) { self.body = body }
    override func run() { result = Result { try body() } }
}
