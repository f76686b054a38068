/// What a command line is made of, as data: a command, its options and its
/// positional arguments. wds's whole command line is one table of these
/// (Commands.swift); the parser, the help, the man page, the completions and
/// the `--experimental-dump-help` JSON all read that table, so none of them
/// can drift from what the parser accepts. Plain structs and closures: no
/// reflection and no protocol conformances to look up at start-up.
struct CommandSpec: Sendable {
    var name: String
    /// One sentence: the help's first line, the subcommand list, the man page.
    var abstract: String
    /// Paragraphs separated by a blank line, each one line: the help wraps them to the terminal.
    var discussion = ""
    /// Internal commands (wds's own sandbox and probes): they run, but no help, page or completion shows them.
    var hidden = false
    var options: [OptionSpec] = []
    var positionals: [PositionalSpec] = []
    var subcommands: [CommandSpec] = []
    /// The subcommand a first word that is no subcommand's name goes to (`wds FILE` is `wds run FILE`).
    var defaultSubcommand: String?
    /// Runs the command; it exits with the status of a thrown `ExitCode`, or 0.
    var perform: (@Sendable (ParsedArguments) throws -> Void)?

    func subcommand(named name: String) -> CommandSpec? {
        subcommands.first { $0.name == name }
    }

    func option(named name: String) -> OptionSpec? {
        options.first { $0.names.contains(name) }
    }
}

/// An option: `--long`, perhaps `-s` too, a flag or one that takes a value.
struct OptionSpec: Sendable {
    /// The long name without its dashes (`format`): how the command reads it.
    var long: String
    var short: Character?
    /// The placeholder for the value (`--format <format>`); nil for a flag.
    var valueName: String?
    var defaultValue: String?
    /// The values the parser accepts; empty for any value.
    var choices: [String] = []
    var required = false
    /// Given more than once, every value is kept (otherwise the last one wins).
    var repeatable = false
    var help: String
    /// Options for wds's own use (a run-script child's `--no-header`).
    var hidden = false
    /// What the shells show beside the option when completing; the help when empty.
    var brief = ""
    /// What the option's value completes to; by default its choices, else any file.
    var completion: CompletionKind?

    var isFlag: Bool { valueName == nil }

    /// Every spelling, the long one last (`-o`, `--output`).
    var names: [String] { (short.map { ["-\($0)"] } ?? []) + ["--" + long] }

    /// `--format <format>`, as usage lines and errors name the option.
    var synopsis: String { "--" + long + (valueName.map { " <\($0)>" } ?? "") }

    var completionValue: CompletionKind? {
        guard !isFlag else { return nil }
        return completion ?? (choices.isEmpty ? .file : .words(choices))
    }

    static func flag(_ long: String, help: String, brief: String = "", hidden: Bool = false) -> OptionSpec {
        OptionSpec(long: long, help: help, hidden: hidden, brief: brief)
    }

    static func value(_ long: String, short: Character? = nil, valueName: String? = nil, default defaultValue: String? = nil,
                      choices: [String] = [], required: Bool = false, help: String, brief: String = "",
                      completion: CompletionKind? = nil) -> OptionSpec {
        OptionSpec(long: long, short: short, valueName: valueName ?? long, defaultValue: defaultValue, choices: choices,
                   required: required, help: help, brief: brief, completion: completion)
    }
}

/// A positional argument, in the order the command takes them.
struct PositionalSpec: Sendable {
    /// The placeholder (`<file>`), and how the command reads it.
    var name: String
    var help: String
    var optional = false
    /// Takes every remaining positional word (`wds check FILE…`).
    var repeating = false
    /// Takes every remaining word, options and `--` included, untouched: a script's
    /// own arguments (`wds run FILE -x` gives the script `-x`).
    var passthrough = false
    var completion: CompletionKind = .file

    /// `<file>`, `[<name>]`, `<files> ...`, `[<arguments> ...]`.
    var synopsis: String {
        var text = "<\(name)>"
        if repeating || passthrough { text += " ..." }
        return optional ? "[\(text)]" : text
    }
}

/// What a value completes to in the shells (Completions.swift).
enum CompletionKind: Sendable {
    /// `.wds` files, and folders to go into.
    case script
    /// Any file.
    case file
    /// One of these words.
    case words([String])
    /// The builtins' names, from the registry (built only when a completion script is written).
    case builtinNames
    /// The names of the subcommands `--help` lists.
    case subcommandNames
}
