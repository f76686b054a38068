import ArgumentParser
import Backends
import Builtins
import Driver
import Interpreter
import Lexer
import Repl

#if canImport(Glibc)
import Glibc
#endif

struct ReplCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repl",
        abstract: "An interactive console: statements are checked and run as you type them.",
        discussion: """
            On a terminal it uses GNU readline (your ~/.inputrc, history in ~/.wds_history or $WDS_HISTORY). \
            It traces by default unless run as root; `:trace on|off` switches.

            Without a terminal it reads statements from standard input, without prompts, and stops at the \
            first one that fails (with its status) unless --keep-going is given; input that ends inside a \
            block is an error. `exit N` leaves with status N.
            """)

    @Flag(name: .customLong("trace"), help: "Start tracing (nothing changes).")
    var startTracing = false

    @Flag(name: .customLong("run"), help: "Start executing for real.")
    var startRunning = false

    @Flag(help: "Without a terminal, go on after a statement fails (the status is then the last failure's).")
    var keepGoing = false

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

