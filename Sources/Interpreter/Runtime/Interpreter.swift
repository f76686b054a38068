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
    var functions: [String: FunctionDeclaration] = [:]
    var callDepth = 0
    /// Statements being executed inside one another (Limits.maximumEvaluationDepth).
    var evaluationDepth = 0
    /// Where the evaluating thread's stack ends; set when a run or a REPL line starts.
    var stack = StackGuard(floor: 0)
    var lockDepth = 0
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

    public init(registry: BuiltinRegistry, context: RunContext, scriptPath: String?) {
        self.registry = registry
        self.context = context
        self.globals = Scope(parent: nil)
        // Far below the limit on values: the system bounds the arguments (ARG_MAX).
        try? globals.define("args", .list(context.arguments.map(Value.string)))
        try? globals.define("argc", .integer(context.arguments.count))
        try? globals.define("script", .string(scriptPath ?? ""))
        try? globals.define("script_dir", .string(scriptPath.map(Paths.directory) ?? "."))
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

    /// Runs more statements in the same session (the REPL), keeping variables.
    public func execute(_ script: Script) throws -> Value {
        if evaluationDepth == 0 { stack = StackGuard.current() }
        register(script)
        scriptStack.append(script)
        defer { scriptStack.removeLast() }
        var last = Value.empty
        for statement in script.statements {
            last = try executeForValue(statement, in: globals)
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
                functions[declaration.name.name] = declaration
            }
        }
        for sourced in script.sourced.values {
            register(sourced)
        }
    }

    /// Names visible in the global scope (REPL completion).
    public var variableNames: [String] { globals.names }
    public var functionNames: [String] { Array(functions.keys) }
    public var functionDeclarations: [String: FunctionDeclaration] { functions }
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

    public static func join(_ directory: String, _ path: String) -> String {
        if path.hasPrefix("/") || directory.isEmpty || directory == "." { return path }
        return directory.hasSuffix("/") ? directory + path : directory + "/" + path
    }
}
