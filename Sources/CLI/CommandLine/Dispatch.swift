import Driver
import HostSystem
import Interpreter
import Lexer

#if canImport(Glibc)
import Glibc
#endif

/// A command's code: made from its parsed arguments, checked, then run.
/// `run` ends by throwing `ExitCode` (or returns, for status 0).
protocol RunnableCommand {
    init(_ arguments: ParsedArguments)
    /// Checks the table cannot express (`--trace` with `--run`); a `ValidationError` is a usage error.
    func validate() throws
    func run() throws
}

extension RunnableCommand {
    func validate() throws {}

    /// What the table's `perform` holds: `perform: Trace.perform`.
    static func perform(_ arguments: ParsedArguments) throws {
        let command = Self(arguments)
        try command.validate()
        try command.run()
    }
}

/// Thrown by a command to exit with this status.
struct ExitCode: Error {
    let rawValue: Int32
    init(_ rawValue: Int32) { self.rawValue = rawValue }
}

/// Thrown by a command's checks: a usage error of that command (status 2, its usage line).
struct ValidationError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

/// Parses `arguments` against the table and runs what they ask for; never returns.
/// A usage error exits with wds's status 2, its message on standard error.
func runCommandLine(_ arguments: [String], root: CommandSpec = Commands.root) -> Never {
    if let option = unknownTopLevelOption(arguments, root: root) {
        let hint = option.count > 2 ? Suggestions.didYouMean(option, in: topLevelOptions(root)).map { " (\($0))" } ?? "" : ""
        exitWithUsageError(UsageError("Unknown option '\(option)'\(hint)"))
    }
    let invocation: Invocation
    do {
        invocation = try ArgumentParsing.parse(arguments, root: root)
    } catch {
        exitWithUsageError(error)
    }
    switch invocation {
    case .version:
        Spawn.writeAll(1, Array((WDS.version + "\n").utf8))
        exit(0)
    case .dumpHelp:
        Spawn.writeAll(1, Array(HelpDump.json(root).utf8))
        exit(0)
    case .help(let command, let path):
        Spawn.writeAll(1, Array(HelpText.help(command, path: path).utf8))
        exit(0)
    case .run(let parsed):
        do {
            try parsed.command.perform?(parsed)
            exit(0)
        } catch let code as ExitCode {
            exit(code.rawValue)
        } catch let error as ValidationError {
            exitWithUsageError(UsageError(error.message, in: parsed.command, path: parsed.path))
        } catch {
            Spawn.writeAll(2, Array("Error: \(error)\n".utf8))
            exit(ExitStatus.failure)
        }
    }
}

func exitWithUsageError(_ error: UsageError) -> Never {
    Spawn.writeAll(2, Array(HelpText.render(error).utf8))
    exit(ExitStatus.usage)
}

/// The options wds takes before a subcommand or script: its own, and those of
/// the default subcommand (`wds --sandbox FILE` is `wds run --sandbox FILE`).
func topLevelOptions(_ root: CommandSpec) -> [String] {
    let run = root.defaultSubcommand.flatMap(root.subcommand(named:))
    return ["-h", "--help", "--version", "--experimental-dump-help"] + (run?.options ?? []).flatMap(\.names)
}

/// `wds --verison`: an unknown option before any subcommand or script, which
/// would otherwise go to the default `run` and be reported there.
func unknownTopLevelOption(_ arguments: [String], root: CommandSpec) -> String? {
    let known = topLevelOptions(root)
    for word in arguments {
        guard word.hasPrefix("-"), word != "-", word != "--" else { return nil }
        let name = String(word.split(separator: "=", maxSplits: 1)[0])
        if !known.contains(name) { return name }
    }
    return nil
}
