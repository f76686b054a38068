import Backends
import Builtins
import Driver
import HostSystem
import Interpreter
import Lexer

#if canImport(Glibc)
import Glibc
#endif

/// `wds run FILE ARGS…` and `wds FILE ARGS…` with no options — how scripts
/// run from a shebang or a hook — skip the command table and its parser
/// (docs/performance.md). Anything else, including every option, goes through them.
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

/// `wds --generate-completion-script SHELL` (or `=SHELL`): wds's own completions
/// (Completions.swift).
func completionScript(_ arguments: [String]) -> Never? {
    let option = "--generate-completion-script"
    guard let first = arguments.first, first == option || first.hasPrefix(option + "=") else { return nil }
    let shell = first == option ? (arguments.count > 1 ? arguments[1] : "") : String(first.dropFirst(option.count + 1))
    guard arguments.count == (first == option ? 2 : 1), let script = Completions.script(for: shell) else {
        Spawn.writeAll(2, Array("wds: \(option) needs one of bash, zsh or fish\n".utf8))
        exit(ExitStatus.usage)
    }
    Spawn.writeAll(1, Array(script.utf8))
    exit(0)
}

// `wds` alone: the REPL on a terminal, the usage otherwise.
checkArgumentEncoding()
let commandLine = Array(CommandLine.arguments.dropFirst())
_ = completionScript(commandLine)
// Diagnostics are coloured on a terminal unless NO_COLOR says otherwise; `--color` decides in the commands that take it.
Diagnostic.colors = ColorChoice.auto.enabled(onDescriptor: 2)
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
