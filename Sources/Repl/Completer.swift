import Interpreter
import Lexer

/// Tab completion for the REPL: keywords, builtins and their subcommands,
/// the options of the builtin being typed, variables (also inside a string
/// and a `$( … )`), functions, paths where a path is expected, sysctl keys,
/// and live names read from the host (the chains of the table `--table`
/// names, mounted cgroup subsystems) where the argument is one of those.
public final class Completer {
    let registry: BuiltinRegistry
    let variables: () -> [String]
    let functions: () -> [String]
    /// Live names for a parameter (by name and type, with the options given
    /// on the line, such as `--table nat`); empty where the host cannot be read.
    let liveNames: (String, ArgumentType, [String: String]) -> [String]
    let listDirectory: (String) -> [(name: String, isDirectory: Bool)]

    public static let metaCommands = [":help", ":trace", ":load", ":history", ":quit"]
    static let keywords = ["let", "if", "elif", "else", "for", "in", "while", "match", "def", "return", "exit",
                           "break", "continue", "try", "catch", "lock", "source"]

    public init(registry: BuiltinRegistry, variables: @escaping () -> [String], functions: @escaping () -> [String],
                liveNames: @escaping (String, ArgumentType, [String: String]) -> [String],
                listDirectory: @escaping (String) -> [(name: String, isDirectory: Bool)]) {
        self.registry = registry
        self.variables = variables
        self.functions = functions
        self.liveNames = liveNames
        self.listDirectory = listDirectory
    }

    /// Whether readline should add a space after the only candidate: not
    /// inside a string, nor after a folder (`/`) or a sysctl branch (`.`).
    public func appendsSpace(line: String, wordStart: Int, candidate: String) -> Bool {
        let before = String(decoding: Array(line.utf8).prefix(wordStart), as: UTF8.self)
        return !Completer.insideString(before) && !candidate.hasSuffix("/") && !candidate.hasSuffix(".")
    }

    /// Whether text ends inside a double-quoted string (outside any `$(`).
    static func insideString(_ text: String) -> Bool {
        var inside = false
        var escaped = false
        for character in innermostCommand(text) {
            if escaped { escaped = false; continue }
            if character == "\\" { escaped = true } else if character == "\"" { inside.toggle() }
        }
        return inside
    }

    /// The text after the innermost `$(` still open at its end: what is being
    /// typed there is a command of its own (`echo "$(basen` completes a builtin).
    static func innermostCommand(_ text: String) -> Substring {
        var opens: [String.Index] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(after: index)
            if text[index] == "$", next < text.endIndex, text[next] == "(" {
                opens.append(text.index(after: next))
                index = text.index(after: next)
                continue
            }
            if text[index] == ")", !opens.isEmpty { opens.removeLast() }
            index = next
        }
        return opens.last.map { text[$0...] } ?? text[...]
    }

    /// Candidates for `word`, which starts at byte `wordStart` of `line`.
    public func candidates(line: String, wordStart: Int, word: String) -> [String] {
        let before = String(Completer.innermostCommand(String(decoding: Array(line.utf8).prefix(wordStart), as: UTF8.self)))
        let words = before.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        let sorted: ([String]) -> [String] = { Array(Set($0.filter { $0.hasPrefix(word) })).sorted() }

        if word.hasPrefix("$") {
            let name = String(word.dropFirst())
            return Array(Set(variables().filter { $0.hasPrefix(name) })).sorted().map { "$" + $0 }
        }
        // Inside a string a word is text: a path, if anything.
        if Completer.insideString(before) { return paths(word) }
        // The command position: after nothing, `;`, `{`, `&&`, `||`, `!`, or a keyword that takes a command.
        let commandStarters: Set<String> = [";", "{", "}", "&&", "||", "!", "if", "elif", "while", "else"]
        if words.isEmpty || commandStarters.contains(words.last!) {
            if words.isEmpty && word.hasPrefix(":") { return sorted(Completer.metaCommands) }
            return sorted(Completer.keywords + registry.names + functions())
        }
        if words.first == ":help" { return sorted(registry.names) }
        if words.first == ":trace" { return sorted(["on", "off"]) }
        if words.first == ":load" { return paths(word) }

        // Inside a command: find the builtin (and subcommand) it names.
        guard let commandIndex = words.lastIndex(where: { commandStarters.contains($0) }).map({ $0 + 1 }) ?? Optional(0),
              commandIndex < words.count else { return paths(word) }
        let commandWords = Array(words[commandIndex...])
        var spec: BuiltinSpec?
        var wordsBeforeArguments = 1
        switch registry.entries[commandWords[0]] {
        case .single(let single)?:
            spec = single
        case .family(let family)?:
            if commandWords.count == 1 { return sorted(family.subcommandNames) }
            spec = family.subcommand(commandWords[1])
            wordsBeforeArguments = 2
        case nil:
            return paths(word)
        }
        guard let spec else { return [] }
        if word.hasPrefix("-") {
            return sorted(spec.options.flatMap { [$0.name] + $0.aliases })
        }
        // Which parameter is being typed: count the positional words (options
        // and their values skipped), and note the options given (`--table nat`).
        var index = 0
        var given: [String: String] = [:]
        var pendingOption: String?
        for written in commandWords.dropFirst(wordsBeforeArguments) {
            if let option = pendingOption {
                given[option] = written
                pendingOption = nil
                continue
            }
            if written.hasPrefix("-"), let option = spec.option(named: written) {
                if option.valueType != nil { pendingOption = option.name } else { given[option.name] = "" }
                continue
            }
            index += 1
        }
        // An option's value?
        if let last = commandWords.last, last.hasPrefix("-"), let option = spec.option(named: last), let type = option.valueType {
            return complete(word, as: type, named: option.name, given: given)
        }
        guard let parameter = ArgumentBinder.parameter(at: index, in: spec) else { return [] }
        return complete(word, as: parameter.type, named: parameter.name, given: given)
    }

    func complete(_ word: String, as type: ArgumentType, named name: String, given: [String: String]) -> [String] {
        switch type {
        case .path: return paths(word)
        case .choice(let options): return options.filter { $0.hasPrefix(word) }.sorted()
        case .table: return Validation.tables.filter { $0.hasPrefix(word) }
        case .sysctlKey: return sysctlKeys(word)
        default:
            let live = liveNames(name, type, given)
            return Array(Set(live.filter { $0.hasPrefix(word) })).sorted()
        }
    }

    /// Keys under /proc/sys: `net.ipv4.ip_f` → `net.ipv4.ip_forward`; a branch ends in `.`.
    func sysctlKeys(_ word: String) -> [String] {
        let branch = word.lastIndex(of: ".").map { String(word[...$0]) } ?? ""
        let prefix = String(word.dropFirst(branch.count))
        let directory = (["/proc/sys"] + branch.split(separator: ".").map(String.init)).joined(separator: "/")
        return listDirectory(directory)
            .filter { $0.name.hasPrefix(prefix) }
            .map { branch + $0.name + ($0.isDirectory ? "." : "") }
            .sorted()
    }

    func paths(_ word: String) -> [String] {
        let directory: String
        let prefix: String
        if let slash = word.lastIndex(of: "/") {
            directory = String(word[...slash])
            prefix = String(word[word.index(after: slash)...])
        } else {
            directory = ""
            prefix = word
        }
        return listDirectory(directory.isEmpty ? "." : directory)
            .filter { $0.name.hasPrefix(prefix) && (!$0.name.hasPrefix(".") || prefix.hasPrefix(".")) }
            .map { directory + $0.name + ($0.isDirectory ? "/" : "") }
            .sorted()
    }
}
