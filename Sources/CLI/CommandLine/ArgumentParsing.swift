import Lexer

/// The words of a command line sorted onto one command's options and
/// positional arguments, defaults filled in. Commands read it by the names
/// the table gives (`arguments.value("format")`); a name the command does
/// not declare is a programming error, caught the first time it runs.
struct ParsedArguments {
    let command: CommandSpec
    /// `wds trace`: how usage lines and errors name the command.
    let path: String
    fileprivate(set) var values: [String: [String]] = [:]
    fileprivate(set) var flags: Set<String> = []
    fileprivate(set) var positionals: [String: [String]] = [:]

    func flag(_ long: String) -> Bool {
        precondition(command.options.contains { $0.long == long && $0.isFlag }, "wds \(command.name) has no flag --\(long)")
        return flags.contains(long)
    }

    /// The option's last value, else its default.
    func value(_ long: String) -> String? {
        guard let option = command.options.first(where: { $0.long == long && !$0.isFlag }) else {
            preconditionFailure("wds \(command.name) has no option --\(long)")
        }
        return values[long]?.last ?? option.defaultValue
    }

    func positional(_ name: String) -> String? { positionalList(name).first }

    func positionalList(_ name: String) -> [String] {
        precondition(command.positionals.contains { $0.name == name }, "wds \(command.name) has no argument <\(name)>")
        return positionals[name] ?? []
    }
}

/// What the command line asks for.
enum Invocation {
    case run(ParsedArguments)
    /// `--help` or `-h` anywhere a command's options go, or `wds help SUB`.
    case help(CommandSpec, path: String)
    case version
    /// `--experimental-dump-help`: the table as JSON (HelpDump.swift).
    case dumpHelp
}

/// A command line the table does not accept: exit status 2, the message,
/// the command's usage line and where to find its help, on standard error.
struct UsageError: Error {
    var message: String
    /// The option or argument at fault, shown with its help (`Help:  <file>  The script …`).
    var topic: String?
    /// The command whose usage is printed; nil for `wds` itself.
    var command: CommandSpec?
    var path = "wds"

    init(_ message: String, topic: String? = nil, in command: CommandSpec? = nil, path: String = "wds") {
        self.message = message
        self.topic = topic
        self.command = command
        self.path = path
    }
}

/// The parser: one pass over the words, driven by the table alone.
///
///     wds [--help | --version | --experimental-dump-help]
///     wds SUBCOMMAND [OPTION | ARGUMENT]… [-- ARGUMENT…]
///     wds [OPTION…] FILE [SCRIPT-ARGUMENT…]      (the default subcommand)
///
/// Options go anywhere before a passthrough argument (a script's own
/// arguments), as `--name value`, `--name=value` or `-s value`; after `--`
/// every word is positional.
enum ArgumentParsing {
    static func parse(_ words: [String], root: CommandSpec) throws(UsageError) -> Invocation {
        guard let first = words.first else { return .help(root, path: root.name) }
        switch first {
        case "-h", "--help": return .help(root, path: root.name)
        case "--version": return .version
        case "--experimental-dump-help": return .dumpHelp
        default: break
        }
        if let command = root.subcommand(named: first) {
            return try parse(words.dropFirst(), command: command, path: root.name + " " + command.name)
        }
        guard let name = root.defaultSubcommand, let command = root.subcommand(named: name) else {
            throw UsageError("Unknown subcommand '\(first)'")
        }
        return try parse(words[...], command: command, path: root.name + " " + command.name)
    }

    static func parse(_ words: ArraySlice<String>, command: CommandSpec, path: String) throws(UsageError) -> Invocation {
        var parsed = ParsedArguments(command: command, path: path)
        var positionalWords: [String] = []
        // Positionals before a passthrough one; once they are all given, the rest is passed through.
        let fixedCount = command.positionals.firstIndex { $0.passthrough }
        var passedThrough: [String]?
        var onlyPositionals = false
        var index = words.startIndex
        func fail(_ message: String, topic: String? = nil) -> UsageError {
            UsageError(message, topic: topic, in: command, path: path)
        }
        while index < words.endIndex {
            let word = words[index]
            index += 1
            if let fixedCount, positionalWords.count == fixedCount {
                passedThrough = Array(words[(index - 1)...])
                break
            }
            if onlyPositionals || word == "-" || !word.hasPrefix("-") {
                positionalWords.append(word)
                continue
            }
            if word == "--" {
                onlyPositionals = true
                continue
            }
            if word == "-h" || word == "--help" { return .help(command, path: path) }
            if word == "--version" { return .version }
            let parts = word.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0])
            let inline = parts.count > 1 ? String(parts[1]) : nil
            guard let option = command.option(named: name), name.hasPrefix("--") || inline == nil else {
                let known = command.options.filter { !$0.hidden }.flatMap(\.names) + ["--help", "--version"]
                let hint = Suggestions.didYouMean(name, in: known).map { " (\($0))" } ?? ""
                throw fail("Unknown option '\(name)'\(hint)")
            }
            if option.isFlag {
                guard inline == nil else { throw fail("The flag '--\(option.long)' takes no value", topic: option.synopsis) }
                parsed.flags.insert(option.long)
                continue
            }
            var value: String
            if let inline {
                value = inline
            } else if index < words.endIndex, words[index] == "-" || !words[index].hasPrefix("-") {
                value = words[index]
                index += 1
            } else {
                throw fail("Missing value for '\(option.synopsis)'", topic: option.synopsis)
            }
            if !option.choices.isEmpty, !option.choices.contains(value) {
                throw fail("The value '\(value)' is invalid for '\(option.synopsis)'. Please provide one of "
                           + listed(option.choices) + ".", topic: option.synopsis)
            }
            if option.repeatable {
                parsed.values[option.long, default: []].append(value)
            } else {
                parsed.values[option.long] = [value]
            }
        }
        for option in command.options where option.required && parsed.values[option.long] == nil {
            throw fail("Missing expected argument '\(option.synopsis)'", topic: option.synopsis)
        }
        var remaining = positionalWords[...]
        for positional in command.positionals {
            if positional.passthrough {
                parsed.positionals[positional.name] = passedThrough ?? Array(remaining)
                remaining = []
            } else if positional.repeating {
                parsed.positionals[positional.name] = Array(remaining)
                remaining = []
            } else if let word = remaining.first {
                parsed.positionals[positional.name] = [word]
                remaining = remaining.dropFirst()
            }
            if !positional.optional, parsed.positionals[positional.name, default: []].isEmpty {
                let shown = "<\(positional.name)>" + (positional.repeating ? " ..." : "")
                throw fail("Missing expected argument '\(shown)'", topic: "<\(positional.name)>")
            }
        }
        if let extra = remaining.first { throw fail("Unexpected argument '\(extra)'") }
        return .run(parsed)
    }

    /// 'text', 'json' or 'sarif'
    static func listed(_ words: [String]) -> String {
        let quoted = words.map { "'\($0)'" }
        guard quoted.count > 1 else { return quoted.joined() }
        return quoted.dropLast().joined(separator: ", ") + " or " + quoted.last!
    }
}
