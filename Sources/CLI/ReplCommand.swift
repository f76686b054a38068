import Backends
import Builtins
import Driver
import Interpreter
import Lexer
import Repl

#if canImport(Glibc)
import Glibc
#endif

struct ReplCommand: RunnableCommand {
    var startTracing: Bool
    var startRunning: Bool
    var keepGoing: Bool

    init(_ arguments: ParsedArguments) {
        startTracing = arguments.flag("trace")
        startRunning = arguments.flag("run")
        keepGoing = arguments.flag("keep-going")
    }

    func validate() throws {
        if startTracing && startRunning { throw ValidationError("choose one of --trace and --run") }
    }

    func run() throws {
        let environment = processEnvironment()
        let tracing = startTracing || (!startRunning && getuid() != 0)
        let history = environment["WDS_HISTORY"] ?? environment["HOME"].map { $0 + "/.wds_history" }
        let repl = Repl(interactive: isatty(0) != 0, tracing: tracing, keepGoing: keepGoing, environment: environment,
                        historyPath: history)
        throw ExitCode(repl.loop())
    }
}

