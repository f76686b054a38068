import Lexer

#if canImport(Glibc)
import Glibc
#endif

/// Walks a checked script and evaluates it. It knows nothing of the machine:
/// every effect goes through `context.host`, so the same walk serves the
/// trace, the real system and the tests.
public final class Interpreter {
    /// Function calls nested deeper than this stop the script instead of the stack.
    public static let maximumCallDepth = 200

    let registry: BuiltinRegistry
    public let context: RunContext
    let globals: Scope
    var functions: [String: FunctionDeclaration] = [:] {
        didSet { functionsGeneration += 1 }
    }
    /// Changes whenever `functions` does: a call site resolved to a builtin
    /// stays valid only while no function of its name can have appeared.
    var functionsGeneration = 0
    /// Builtin calls already resolved and bound, by where they are written (CallSite).
    var callSites: [CallSite.Key: CallSite] = [:]
    /// `while` and `for` statements compiled (Compiler), by where they are written.
    var compiledLoops: [CallSite.Key: Compiled.Statement] = [:]
    /// Function bodies compiled, by where the function is written.
    var compiledFunctions: [CallSite.Key: [Compiled.Statement]] = [:]
    var callDepth = 0
    /// Statements being executed inside one another (Limits.maximumEvaluationDepth).
    var evaluationDepth = 0
    /// Where the evaluating thread's stack ends; set when a run or a REPL line starts.
    var stack = StackGuard(floor: 0)
    /// At most this many statements run (nil: no bound, a script may loop for
    /// ever): for callers that must finish, such as the fuzzer.
    public var maximumStatements: Int?
    var statementsRun = 0
    var lockDepth = 0
    /// The files of the enclosing `lock` blocks (Paths.lexicallySame), innermost last.
    var heldLockPaths: [String] = []
    /// How many enclosing branches were chosen by what a probe answered.
    var probeDepth = 0
    /// Set when a variable whose value came from a probe is read (see `watchingProbes`).
    var readProbeDerivedValue = false
    /// The scripts being executed, innermost last: a `source` names a file
    /// relative to the script it is written in, so it is looked up there.
    var scriptStack: [Script] = []
    /// The `cleanup` blocks registered so far, with the scope each was written in.
    var cleanups: [(Block, Scope)] = []
    /// True while they run: a signal then no longer interrupts.
    var runningCleanup = false
    /// What the checker resolved in each file that runs (Resolutions), by the
    /// file's identity; the entry holds the file, so the identity is never reused.
    var resolutionTables: [ObjectIdentifier: (file: SourceFile, table: Resolutions)] = [:]
    /// True during a `run` that started with no function known, while no
    /// name has been given a second function: every function there is is
    /// then the one the checker of the script saw under its name (functions
    /// are hoisted, from the same files), and a call it resolved needs no
    /// lookup by name. Never in the REPL, where a later line can define or
    /// replace a function.
    var functionsFixed = false
    /// Lookups by name of a variable (a use or an assignment), and calls of
    /// a function found by name: what the checker resolved skips them (for tests).
    var variableLookupsByName = 0
    var functionLookupsByName = 0

    public init(registry: BuiltinRegistry, context: RunContext, scriptPath: String?) {
        self.registry = registry
        self.context = context
        self.globals = Scope(parent: nil)
        setScript(path: scriptPath, arguments: context.arguments)
    }

    /// `$script`, `$script_dir`, `$args`, `$argc` and `$1`… as a run of the
    /// script at `path` with these arguments sees them (the REPL's `:load`).
    public func setScript(path: String?, arguments: [String]) {
        context.arguments = arguments
        // Far below the limit on values: the system bounds the arguments (ARG_MAX).
        try? globals.define("args", .list(arguments.map(Value.string)))
        try? globals.define("argc", .integer(arguments.count))
        try? globals.define("script", .string(path ?? ""))
        try? globals.define("script_dir", .string(path.map(Paths.directory) ?? "."))
    }

    /// Names every script sees without defining them.
    public static let predefinedVariables = ["args", "argc", "script", "script_dir"]

    /// Runs a whole script and returns its exit status. A failure nobody
    /// handled is rethrown as `CommandFailure` for the caller to render.
    /// It runs on a thread of its own with a large stack (Limits), so the limit
    /// on nesting, not the end of the stack, is what a deep recursion meets.
    public func run(_ script: Script) throws -> Int32 {
        try onLargeStack {
            stack = StackGuard.current()
            functionsFixed = functions.isEmpty
            defer { functionsFixed = false }
            do {
                try execute(script, in: globals)
                return ExitStatus.success
            } catch ControlFlow.exit(let status) {
                return status
            } catch ControlFlow.returned {
                return ExitStatus.success
            }
        }
    }

    /// Runs more statements in the same session (the REPL), keeping variables,
    /// and returns the last one's value. A value standing alone (`$x`,
    /// `"$a-$b"`, `[1 2]`) is that value, not a condition. `exit N` ends the
    /// session's input with `SessionExit`.
    public func execute(_ script: Script) throws -> Value {
        if evaluationDepth == 0 { stack = StackGuard.current() }
        register(script)
        scriptStack.append(script)
        defer { scriptStack.removeLast() }
        var last = Value.empty
        do {
            for statement in script.statements {
                if case .pipeline(let pipeline) = statement.kind, case .test(let value) = pipeline.kind {
                    last = try evaluate(value, in: globals)
                } else {
                    last = try executeForValue(statement, in: globals)
                }
            }
        } catch ControlFlow.exit(let status) {
            throw SessionExit(status: status)
        }
        return last
    }

    func execute(_ script: Script, in scope: Scope) throws {
        register(script)
        scriptStack.append(script)
        defer { scriptStack.removeLast() }
        for statement in script.statements {
            try execute(statement, in: scope)
        }
    }

    /// Functions are hoisted: every `def` of a script and of what it sources is known before it runs.
    func register(_ script: Script) {
        for statement in script.statements {
            if case .function(let declaration) = statement.kind {
                // A name given another function (a script run despite its check's "defined twice"):
                // what the checker resolved may no longer be what a call finds.
                if let known = functions[declaration.name.name], known.range != declaration.range { functionsFixed = false }
                functions[declaration.name.name] = declaration
            }
        }
        let key = ObjectIdentifier(script.file)
        if let known = resolutionTables[key] {
            // Two scripts of one file with tables of their own: trust neither.
            if known.table !== script.resolutions { resolutionTables[key] = (script.file, Resolutions()) }
        } else {
            resolutionTables[key] = (script.file, script.resolutions)
        }
        for sourced in script.sourced.values {
            register(sourced)
        }
    }

    /// Where the checker placed the variable used (or assigned) at `range`, if it did.
    func resolvedVariable(at range: SourceRange) -> (hops: Int, index: Int)? {
        guard let entry = resolutionTables[ObjectIdentifier(range.file)], entry.file === range.file,
              case .slot(let hops, let index) = entry.table.variables[range.start] else { return nil }
        return (hops, index)
    }

    /// The function the checker found the call at `range` names: the one the
    /// run calls while `functionsFixed`, and only then.
    func resolvedFunction(at range: SourceRange) -> FunctionDeclaration? {
        guard let entry = resolutionTables[ObjectIdentifier(range.file)], entry.file === range.file,
              case .declaration(let declaration) = entry.table.functions[range.start] else { return nil }
        return declaration
    }

    /// Names visible in the global scope (REPL completion).
    public var variableNames: [String] { globals.names }
    public var functionNames: [String] { Array(functions.keys) }
    public var functionDeclarations: [String: FunctionDeclaration] { functions }
}

/// `exit N` in a REPL session: the session, or the `:load`ed script, ends with N.
public struct SessionExit: Error {
    public let status: Int32
}

/// Path helpers without Foundation.
public enum Paths {
    public static func directory(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    public static func base(_ path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return String(trimmed) }
        if trimmed == "/" { return "/" }
        return String(trimmed[trimmed.index(after: slash)...])
    }

    /// The path made absolute against the working directory.
    public static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getcwd(&buffer, buffer.count) != nil else { return path }
        let end = buffer.firstIndex(of: 0) ?? buffer.count
        let directory = String(decoding: buffer[..<end].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return join(directory, path.hasPrefix("./") ? String(path.dropFirst(2)) : path)
    }

    /// A path with doubled slashes and `.` parts removed: two paths equal in
    /// this form name the same file. (`..` is kept: after a symbolic link it
    /// does not undo the part before it.)
    public static func lexicallySame(_ path: String) -> String {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).filter { $0 != "." }
        let joined = parts.joined(separator: "/")
        return path.hasPrefix("/") ? "/" + joined : joined
    }

    public static func join(_ directory: String, _ path: String) -> String {
        if path.hasPrefix("/") || directory.isEmpty || directory == "." { return path }
        return directory.hasSuffix("/") ? directory + path : directory + "/" + path
    }
}
