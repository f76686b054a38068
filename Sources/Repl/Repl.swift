import Backends
import Builtins
import Driver
import HostSystem
import Interpreter
import Lexer

#if canImport(Glibc)
import Glibc
#endif

/// The interactive console. Each complete statement is parsed, checked and
/// run in the session's backend; an error prints its diagnostic and the
/// session goes on, keeping its variables and functions (a new `def` of a
/// name replaces the old one). An open block, quote or trailing `\` continues
/// on a second prompt. Each entry is numbered, and its diagnostics name it
/// (`repl[3]:1:5`). Piped input (no terminal) stops at the first entry that
/// fails, with its status, unless `keepGoing`; input that ends inside a block
/// is an error. `exit N` leaves with N.
public final class Repl {
    let reader: LineReader
    let host: SwitchableHost
    let interpreter: Interpreter
    let registry: BuiltinRegistry
    let write: (String, Bool) -> Void
    let interactive: Bool
    let keepGoing: Bool
    /// This session's entries, in order: entry N is `entries[N - 1]`.
    var entries: [String] = []

    public init(reader: LineReader? = nil, interactive: Bool, tracing: Bool, keepGoing: Bool = false,
                environment: [String: String], historyPath: String?,
                write: @escaping @Sendable (String, Bool) -> Void = Driver.standardOutput) {
        self.registry = Builtins.standard
        self.write = write
        self.interactive = interactive
        self.keepGoing = keepGoing
        self.host = SwitchableHost(tracing: tracing, write: write)
        let context = RunContext(host: host, environment: environment, arguments: [])
        self.interpreter = Interpreter(registry: registry, context: context, scriptPath: nil)
        if let reader {
            self.reader = reader
        } else if interactive {
            let interpreter = self.interpreter
            let probes = ReadOnlyHost(SystemHost())
            let completer = Completer(
                registry: registry,
                variables: { interpreter.variableNames },
                functions: { interpreter.functionNames },
                liveNames: { LiveNames.names(for: $0, type: $1, options: $2, host: probes) },
                listDirectory: { LiveNames.directory($0, host: probes) })
            self.reader = ReadlineLineReader(historyPath: historyPath, completer: completer)
        } else {
            self.reader = PlainLineReader()
        }
    }

    var prompt: String { interactive ? (host.tracing ? "wds[trace]> " : "wds[run]> ") : "" }
    var continuationPrompt: String { interactive ? "...> " : "" }

    /// What an entry came to: its status, or `exit N`, which leaves the session.
    enum Outcome: Equatable {
        case status(Int32)
        case leave(Int32)
    }

    /// Reads and runs until end of input, `:quit` or `exit N`; returns N, or
    /// the status of the last entry that failed, or 0.
    @discardableResult
    public func loop() -> Int32 {
        if interactive {
            write("wds \(host.tracing ? "tracing (nothing changes)" : "executing for real"); :help for help, :quit to leave\n", false)
        }
        var status: Int32 = 0
        var buffer = ""
        while true {
            guard let line = reader.readLine(prompt: buffer.isEmpty ? prompt : continuationPrompt) else {
                if interactive { write("\n", false) }
                guard buffer.isEmpty else { return unfinished(buffer) }
                return status
            }
            if reader.takeInterrupt() {
                buffer = ""  // Ctrl-C abandons the statement being typed.
                if line.isEmpty { continue }
            }
            let outcome: Outcome
            if buffer.isEmpty, line.hasPrefix(":") {
                reader.remember(line)
                guard let metaOutcome = meta(line) else { return status }
                outcome = metaOutcome
            } else {
                buffer += buffer.isEmpty ? line : "\n" + line
                if line.hasSuffix("\\") && !line.hasSuffix("\\\\") { continue }
                let source = SourceFile(name: entryName(entries.count + 1), text: buffer + "\n")
                var loader = Loader()
                let script = loader.load(source)
                if loader.incomplete && isIncomplete(source) { continue }
                reader.remember(buffer)
                entries.append(buffer)
                buffer = ""
                outcome = execute(script, diagnostics: loader.diagnostics)
            }
            switch outcome {
            case .leave(let code):
                return code
            case .status(let code) where code != 0:
                status = code
                // Piped input stops at the first failure, as psql's ON_ERROR_STOP does.
                if !interactive && !keepGoing { return code }
            case .status:
                break
            }
        }
    }

    /// How entry N is named in its diagnostics: `repl[N]:LINE:COLUMN`.
    func entryName(_ number: Int) -> String { "repl[\(number)]" }

    func isIncomplete(_ source: SourceFile) -> Bool {
        Parser.parse(source).incomplete
    }

    /// Input ended inside a block, a quote or after a `\`: what the parser says
    /// about it, and the usage status. Nothing of it ran.
    func unfinished(_ buffer: String) -> Int32 {
        let source = SourceFile(name: entryName(entries.count + 1), text: buffer + "\n")
        entries.append(buffer)
        var diagnostics = Parser.parse(source).diagnostics
        if diagnostics.isEmpty { diagnostics = [Diagnostic("the input ended in the middle of a statement", at: nil)] }
        for diagnostic in diagnostics { write(diagnostic.render(), true) }
        return ExitStatus.usage
    }

    /// The functions a script defines (with what it sources): a new definition
    /// in the session replaces an earlier one rather than being "defined twice".
    static func definedFunctions(_ script: Script) -> [String] {
        var names: [String] = []
        for statement in script.statements {
            if case .function(let declaration) = statement.kind { names.append(declaration.name.name) }
        }
        return names + script.sourced.values.flatMap(definedFunctions)
    }

    /// Checks and runs one complete input; prints diagnostics and values.
    /// In a `:load`ed script (`loaded`), `exit N` ends the script, not the session.
    func execute(_ script: Script, diagnostics: [Diagnostic], loaded: Bool = false) -> Outcome {
        var problems = diagnostics
        if problems.isEmpty {
            var functions = interpreter.functionDeclarations
            for name in Repl.definedFunctions(script) { functions[name] = nil }
            problems = Checker.check(script, registry: registry, knownVariables: interpreter.variableNames,
                                     knownFunctions: functions)
        }
        guard problems.isEmpty else {
            for problem in problems { write(problem.render(), true) }
            return .status(ExitStatus.usage)
        }
        // Each entry ends its batch, and the next one reads the host afresh: another shell may have changed it.
        defer { interpreter.context.forgetHost() }
        do {
            let value = try interpreter.execute(script)
            try interpreter.context.commitOpenBatches()
            if value != .empty { write(value.description + "\n", false) }
            return .status(0)
        } catch let failure as CommandFailure {
            interpreter.context.abandonOpenBatches()
            write(failure.render(), true)
            return .status(failure.status)
        } catch let diagnostic as Diagnostic {
            interpreter.context.abandonOpenBatches()
            write(diagnostic.render(), true)
            return .status(ExitStatus.failure)
        } catch let exit as SessionExit {
            // `exit N` is not a failure: what the entry changed is committed.
            try? interpreter.context.commitOpenBatches()
            guard loaded else { return .leave(exit.status) }
            if exit.status != 0 { write("\(script.file.name) exited with status \(exit.status)\n", true) }
            return .status(exit.status)
        } catch {
            // `return` or `break` at the top level: the session goes on.
            try? interpreter.context.commitOpenBatches()
            return .status(0)
        }
    }

    /// `:help`, `:trace`, `:load`, `:history`, `:quit`; nil to leave.
    func meta(_ line: String) -> Outcome? {
        let words = line.split(separator: " ").map(String.init)
        switch words[0] {
        case ":quit", ":q", ":exit":
            return nil
        case ":help":
            return help(Array(words.dropFirst()))
        case ":trace":
            guard words.count == 2, words[1] == "on" || words[1] == "off" else {
                write("usage: :trace on|off (now \(host.tracing ? "on" : "off"))\n", true)
                return .status(ExitStatus.usage)
            }
            host.tracing = words[1] == "on"
            interpreter.context.resetHostModels()
            write(host.tracing ? "tracing: nothing will change\n" : "executing for real\n", false)
        case ":load":
            guard words.count >= 2 else {
                write("usage: :load FILE [ARGS…]\n", true)
                return .status(ExitStatus.usage)
            }
            var loader = Loader()
            guard let script = loader.load(path: words[1]) else {
                for diagnostic in loader.diagnostics { write(diagnostic.render(), true) }
                return .status(ExitStatus.usage)
            }
            // As `wds run FILE ARGS…` would see them; they stay until the next :load.
            interpreter.setScript(path: words[1], arguments: Array(words.dropFirst(2)))
            return execute(script, diagnostics: loader.diagnostics, loaded: true)
        case ":history":
            for (index, entry) in entries.enumerated() {
                write("\(index + 1)  \(entry.split(separator: "\n").joined(separator: "\n   "))\n", false)
            }
        default:
            write("unknown command '\(words[0])'\(Suggestions.didYouMean(words[0], in: Completer.metaCommands).map { " (\($0))" } ?? "")\n", true)
            return .status(ExitStatus.usage)
        }
        return .status(0)
    }

    /// `:help`, `:help BUILTIN`, `:help FAMILY SUBCOMMAND`, `:help KEYWORD`.
    func help(_ words: [String]) -> Outcome {
        switch words.count {
        case 0:
            write("""
                Statements run as you type them; an open block, quote or trailing \\ continues.
                A value alone ($x, "$a-$b") shows it; errors name the entry (repl[3]:1:5 is entry 3).
                :trace on|off          trace (print, change nothing) or execute for real
                :help NAME             a builtin, one subcommand (:help rule append) or a keyword
                :load FILE [ARGS…]     run a script in this session, with $script, $1… as a run has them
                :history               this session's entries, numbered
                :quit                  leave (or Ctrl-D, or exit N to leave with status N)
                Keywords: \(KeywordHelp.keywords.joined(separator: " "))
                Builtins:

                """ + BuiltinReference.overview(registry), false)
            return .status(0)
        case 1:
            if let text = BuiltinReference.text(for: words[0], in: registry) ?? KeywordHelp.text(for: words[0]) {
                write(text, false)
                return .status(0)
            }
            let hint = Suggestions.didYouMean(words[0], in: registry.names + KeywordHelp.keywords).map { " (\($0))" } ?? ""
            write("no builtin or keyword named '\(words[0])'\(hint)\n", true)
        default:
            if let text = BuiltinReference.text(for: words[0], subcommand: words[1], in: registry) {
                write(text, false)
                return .status(0)
            }
            if case .family(let family)? = registry.entries[words[0]] {
                let hint = Suggestions.didYouMean(words[1], in: family.subcommandNames).map { " (\($0))" } ?? ""
                write("'\(words[0])' has no subcommand '\(words[1])'\(hint)\n", true)
            } else {
                write("no builtin family named '\(words[0])'\n", true)
            }
        }
        return .status(ExitStatus.usage)
    }
}

/// Names read from the live host for completion; empty where it cannot be read.
enum LiveNames {
    static func names(for parameter: String, type: ArgumentType, options: [String: String], host: Host) -> [String] {
        let location = SourceRange(file: SourceFile(name: "completion", text: ""), start: 0, end: 0)
        if parameter == "subsystem" { return cgroupSubsystems(host: host, at: location) }
        switch type {
        case .interface:
            return directory("/sys/class/net", host: host).map(\.name)
        // The network family's own kinds of value: links of this namespace, named namespaces.
        case .custom("IFACE", _):
            return NetworkNames.links()
        case .custom("NETNS", _), .custom("NETNS|PID", _):
            return directory("/run/netns", host: host).map(\.name)
        case .custom("NETNS-NAME", _):
            return directory("/run/netns", host: host).map(\.name)
        default:
            // A family's own names (iptables chains, nftables tables, chains, sets).
            return Builtins.standard.families.flatMap { $0.liveNames?(parameter, type, options, host) ?? [] }
        }
    }

    /// The cgroup v1 subsystems mounted on this host (from the mount table's super options).
    static func cgroupSubsystems(host: Host, at location: SourceRange) -> [String] {
        guard case .text(let table)? = try? host.perform(.mountTable, at: location) else { return [] }
        return MountInfo.parse(table).filter { $0.type == "cgroup" }.flatMap(\.cgroupControllers)
    }

    static func directory(_ path: String, host: Host) -> [(name: String, isDirectory: Bool)] {
        let location = SourceRange(file: SourceFile(name: "completion", text: ""), start: 0, end: 0)
        guard case .names(let names)? = try? host.perform(.listDirectory(path: path), at: location) else { return [] }
        return names.map { name in
            let full = path.hasSuffix("/") ? path + name : path + "/" + name
            if case .fileInfo(let info)? = try? host.perform(.fileInfo(path: full), at: location) {
                return (name, info?.kind == .directory)
            }
            return (name, false)
        }
    }
}

