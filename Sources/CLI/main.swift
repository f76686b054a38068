import ArgumentParser
import Backends
import Builtins
import Driver
import Interpreter
import Lexer

#if canImport(Glibc)
import Glibc
#endif

/// Parses and runs like `ParsableCommand.main()`, except that a usage error
/// exits with wds's status 2 (ArgumentParser's own is 64).
func runCommandLine(_ arguments: [String]) -> Never {
    do {
        var command = try WDS.parseAsRoot(arguments)
        try command.run()
        exit(0)
    } catch let code as ExitCode {
        exit(code.rawValue)
    } catch {
        if WDS.exitCode(for: error) == .validationFailure {
            Spawn.writeAll(2, Array((WDS.fullMessage(for: error) + "\n").utf8))
            exit(ExitStatus.usage)
        }
        WDS.exit(withError: error)
    }
}

// `wds` alone: the REPL on a terminal, the usage otherwise.
let commandLine = Array(CommandLine.arguments.dropFirst())
if commandLine.isEmpty && isatty(0) != 0 {
    runCommandLine(["repl"])
}
if commandLine.isEmpty {
    Spawn.writeAll(2, Array("wds: missing script (wds run FILE [ARGS…], wds repl, wds --help)\n".utf8))
    exit(ExitStatus.usage)
}
runCommandLine(commandLine)
