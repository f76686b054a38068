import Interpreter
import Lexer

/// Tab completion for the REPL: keywords, builtins and their subcommands,
/// the options of the builtin being typed, variables, functions, paths where
/// a path is expected, and live names read from the host (iptables chains,
/// mounted cgroup subsystems) where the argument is one of those.
public final class Completer {
    let registry: BuiltinRegistry
    let variables: () -> [String]
    let functions: () -> [String]
    /// Live names for a parameter (by name and type); empty where the host cannot be read.
    let liveNames: (String, ArgumentType) -> [String]
    let listDirectory: (String) -> [(name: String, isDirectory: Bool)]

    public static let metaCommands = [":help", ":trace", ":load", ":history", ":quit"]
    static let keywords = ["let", "if", "elif", "else", "for", "in", "while", "match", "def", "return", "exit",
                           "break", "continue", "try", "catch", "lock", "source"]

    public init(registry: BuiltinRegistry, variables: @escaping () -> [String], functions: @escaping () -> [String],
                liveNames: @escaping (String, ArgumentType) -> [String],
                listDirectory: @escaping (String) -> [(name: String, isDirectory: Bool)]) {
        self.registry = registry
        self.variables = variables
        self.functions = functions
        self.liveNames = liveNames
        self.listDirectory = listDirectory
    }

    /// Candidates for `word`, which starts at byte `wordStart` of `line`.
    public func candidates(line: String, wordStart: Int, word: String) -> [String] {
        let before = String(decoding: Array(line.utf8).prefix(wordStart), as: UTF8.self)
        let words = before.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        let sorted: ([String]) -> [String] = { Array(Set($0.filter { $0.hasPrefix(word) })).sorted() }

        if word.hasPrefix("$") {
            let name = String(word.dropFirst())
            return Array(Set(variables().filter { $0.hasPrefix(name) })).sorted().map { "$" + $0 }
        }
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
        // Which parameter is being typed: count the positional words (options and their values skipped).
        var index = 0
        var skipNext = false
        for written in commandWords.dropFirst(wordsBeforeArguments) {
            if skipNext { skipNext = false; continue }
            if written.hasPrefix("-"), let option = spec.option(named: written) {
                skipNext = option.valueType != nil
                continue
            }
            index += 1
        }
        // An option's value?
        if let last = commandWords.last, last.hasPrefix("-"), let option = spec.option(named: last), let type = option.valueType {
            return complete(word, as: type, named: option.name)
        }
        guard let parameter = ArgumentBinder.parameter(at: index, in: spec) else { return [] }
        return complete(word, as: parameter.type, named: parameter.name)
    }

    func complete(_ word: String, as type: ArgumentType, named name: String) -> [String] {
        switch type {
        case .path: return paths(word)
        case .choice(let options): return options.filter { $0.hasPrefix(word) }.sorted()
        case .table: return Validation.tables.filter { $0.hasPrefix(word) }
        default:
            let live = liveNames(name, type)
            return Array(Set(live.filter { $0.hasPrefix(word) })).sorted()
        }
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
