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

/// `wds run FILE ARGS…` and `wds FILE ARGS…` with no options — how scripts
/// run from a shebang or a hook — skip the argument parser: building its
/// command tree costs more than the rest of wds's start-up (docs/performance.md).
/// Anything else, including every option, goes through the parser.
func fastRun(_ arguments: [String]) -> [String]? {
    var rest = arguments[...]
    if rest.first == "run" { rest = rest.dropFirst() }
    guard let file = rest.first, !file.hasPrefix("-") else { return nil }
    // A subcommand's name is that subcommand, not a script (`wds trace …`).
    if rest.startIndex == arguments.startIndex, WDS.subcommandNames.contains(file) || file == "help" {
        return nil
    }
    return Array(rest)
}

// `wds` alone: the REPL on a terminal, the usage otherwise.
let commandLine = Array(CommandLine.arguments.dropFirst())
if let script = fastRun(commandLine) {
    var options = Driver.Options()
    options.arguments = Array(script.dropFirst())
    options.environment = processEnvironment()
    options.handleSignals = true
    exit(Driver.run(path: script[0], options: options))
}
if commandLine.isEmpty && isatty(0) != 0 {
    runCommandLine(["repl"])
}
if commandLine.isEmpty {
    Spawn.writeAll(2, Array("wds: missing script (wds run FILE [ARGS…], wds repl, wds --help)\n".utf8))
    exit(ExitStatus.usage)
}
runCommandLine(commandLine)
