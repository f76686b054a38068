import Backends
import Builtins
import Driver
import Interpreter
import Lexer

#if canImport(Glibc)
import Glibc
#endif

/// The interactive console. Each complete statement is parsed, checked and
/// run in the session's backend; an error prints its diagnostic and the
/// session goes on, keeping its variables and functions. An open block, quote
/// or trailing `\` continues on a second prompt.
public final class Repl {
    let reader: LineReader
    let host: SwitchableHost
    let interpreter: Interpreter
    let registry: BuiltinRegistry
    let write: (String, Bool) -> Void
    let interactive: Bool
    var inputCount = 0

    public init(reader: LineReader? = nil, interactive: Bool, tracing: Bool, environment: [String: String],
                historyPath: String?, write: @escaping @Sendable (String, Bool) -> Void = Driver.standardOutput) {
        self.registry = Builtins.standard
        self.write = write
        self.interactive = interactive
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
                liveNames: { LiveNames.names(for: $0, type: $1, host: probes) },
                listDirectory: { LiveNames.directory($0, host: probes) })
            self.reader = ReadlineLineReader(historyPath: historyPath, completer: completer)
        } else {
            self.reader = PlainLineReader()
        }
    }

    var prompt: String { interactive ? (host.tracing ? "wds[trace]> " : "wds[run]> ") : "" }
    var continuationPrompt: String { interactive ? "...> " : "" }

    /// Reads and runs until end of input or `:quit`; the status of the last failure, or 0.
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
                return status
            }
            if reader.takeInterrupt() {
                buffer = ""  // Ctrl-C abandons the statement being typed.
                if line.isEmpty { continue }
            }
            if buffer.isEmpty, line.hasPrefix(":") {
                reader.remember(line)
                if !meta(line) { return status }
                continue
            }
            buffer += buffer.isEmpty ? line : "\n" + line
            if line.hasSuffix("\\") && !line.hasSuffix("\\\\") { continue }
            let source = SourceFile(name: "repl", text: buffer + "\n")
            var loader = Loader()
            let script = loader.load(source)
            if loader.incomplete && loader.diagnostics.allSatisfy({ _ in true }) && isIncomplete(source) {
                continue
            }
            reader.remember(buffer)
            buffer = ""
            status = execute(script, diagnostics: loader.diagnostics)
        }
    }

    func isIncomplete(_ source: SourceFile) -> Bool {
        Parser.parse(source).incomplete
    }

    /// Checks and runs one complete input; prints diagnostics and values.
    func execute(_ script: Script, diagnostics: [Diagnostic]) -> Int32 {
        inputCount += 1
        var problems = diagnostics
        if problems.isEmpty {
            problems = Checker.check(script, registry: registry, knownVariables: interpreter.variableNames,
                                     knownFunctions: interpreter.functionDeclarations)
        }
        guard problems.isEmpty else {
            for problem in problems { write(problem.render(), true) }
            return ExitStatus.usage
        }
        // Each entry ends its batch, and the next one reads the host afresh: another shell may have changed it.
        defer { interpreter.context.forgetHost() }
        do {
            let value = try interpreter.execute(script)
            try interpreter.context.commitOpenBatches()
            if value != .empty { write(value.description + "\n", false) }
            return 0
        } catch let failure as CommandFailure {
            interpreter.context.abandonOpenBatches()
            write(failure.render(), true)
            return failure.status
        } catch let diagnostic as Diagnostic {
            interpreter.context.abandonOpenBatches()
            write(diagnostic.render(), true)
            return ExitStatus.failure
        } catch {
            // `exit`, or `return`/`break` at the top level: the session goes on.
            try? interpreter.context.commitOpenBatches()
            return 0
        }
    }

    /// `:help`, `:trace`, `:load`, `:history`, `:quit`; false to leave.
    func meta(_ line: String) -> Bool {
        let words = line.split(separator: " ").map(String.init)
        switch words[0] {
        case ":quit", ":q", ":exit":
            return false
        case ":help":
            if words.count > 1 {
                write(BuiltinReference.text(for: words[1], in: registry)
                      ?? "no builtin named '\(words[1])'\(Suggestions.didYouMean(words[1], in: registry.names).map { " (\($0))" } ?? "")\n",
                      false)
            } else {
                write("""
                    Statements run as you type them; an open block, quote or trailing \\ continues.
                    :trace on|off   trace (print, change nothing) or execute for real
                    :help BUILTIN   the synopsis of a builtin
                    :load FILE      run a script in this session
                    :history        the statements entered so far
                    :quit           leave (or Ctrl-D)
                    Builtins:

                    """ + BuiltinReference.overview(registry), false)
            }
        case ":trace":
            guard words.count == 2, words[1] == "on" || words[1] == "off" else {
                write("usage: :trace on|off (now \(host.tracing ? "on" : "off"))\n", true)
                return true
            }
            host.tracing = words[1] == "on"
            interpreter.context.resetHostModels()
            write(host.tracing ? "tracing: nothing will change\n" : "executing for real\n", false)
        case ":load":
            guard words.count == 2 else {
                write("usage: :load FILE\n", true)
                return true
            }
            var loader = Loader()
            guard let script = loader.load(path: words[1]) else {
                for diagnostic in loader.diagnostics { write(diagnostic.render(), true) }
                return true
            }
            _ = execute(script, diagnostics: loader.diagnostics)
        case ":history":
            for (index, entry) in reader.history.enumerated() { write("\(index + 1)  \(entry)\n", false) }
        default:
            write("unknown command '\(words[0])'\(Suggestions.didYouMean(words[0], in: Completer.metaCommands).map { " (\($0))" } ?? "")\n", true)
        }
        return true
    }
}

/// Names read from the live host for completion; empty where it cannot be read.
enum LiveNames {
    static func names(for parameter: String, type: ArgumentType, host: Host) -> [String] {
        let location = SourceRange(file: SourceFile(name: "completion", text: ""), start: 0, end: 0)
        if parameter == "subsystem" { return cgroupSubsystems(host: host, at: location) }
        switch type {
        case .chain:
            var chains: [String] = []
            for table in ["filter", "nat"] {
                if case .text(let saved)? = try? host.perform(.iptablesSave(family: .ipv4, table: table), at: location) {
                    for line in saved.split(separator: "\n") where line.hasPrefix(":") {
                        chains.append(String(line.dropFirst().split(separator: " ")[0]))
                    }
                }
            }
            return chains
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
            return []
        }
    }

    /// The cgroup v1 subsystems mounted on this host (from the mount table's super options).
    static func cgroupSubsystems(host: Host, at location: SourceRange) -> [String] {
        guard case .text(let table)? = try? host.perform(.mountTable, at: location) else { return [] }
        let generic: Set<String> = ["rw", "ro", "relatime", "nosuid", "nodev", "noexec"]
        return table.split(separator: "\n").flatMap { line -> [String] in
            let halves = String(line).components(separatedBy: " - ")
            guard halves.count == 2, halves[1].hasPrefix("cgroup ") else { return [] }
            let options = halves[1].split(separator: " ").last?.split(separator: ",").map(String.init) ?? []
            return options.filter { !generic.contains($0) && !$0.contains("=") }
        }
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

extension String {
    func components(separatedBy separator: String) -> [String] {
        var result: [String] = []
        var rest = Substring(self)
        while let range = rest.firstRange(of: separator) {
            result.append(String(rest[..<range.lowerBound]))
            rest = rest[range.upperBound...]
        }
        result.append(String(rest))
        return result
    }
}
