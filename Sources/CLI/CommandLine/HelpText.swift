#if canImport(Glibc)
import Glibc
#endif

/// `--help`, usage lines and usage errors, rendered from the table: an
/// overview, the discussion, the usage line, the arguments, the options and
/// the subcommands, each text wrapped to the terminal (or `COLUMNS`).
enum HelpText {
    /// Where an entry's help starts: the names to its left, padded.
    static let helpColumn = 26

    /// The full help of a command: `wds --help` lists the subcommands too.
    static func help(_ command: CommandSpec, path: String, width: Int = terminalWidth()) -> String {
        var out = wrap("OVERVIEW: " + command.abstract, width: width, indent: 0).joined(separator: "\n") + "\n\n"
        for paragraph in paragraphs(command.discussion) {
            out += wrap(paragraph, width: width, indent: 0).joined(separator: "\n") + "\n\n"
        }
        out += "USAGE: " + usage(command, path: path) + "\n\n"
        if !command.positionals.isEmpty {
            out += "ARGUMENTS:\n"
            for positional in command.positionals {
                out += entry("<\(positional.name)>", positional.help, width: width)
            }
            out += "\n"
        }
        out += "OPTIONS:\n"
        for option in command.options where !option.hidden {
            out += entry(option.names.joined(separator: ", ") + (option.valueName.map { " <\($0)>" } ?? ""),
                         option.help + defaults(option), width: width)
        }
        out += entry("--version", "Show the version.", width: width)
        out += entry("-h, --help", "Show help information.", width: width)
        let listed = command.subcommands.filter { !$0.hidden && $0.name != "help" }
        if !listed.isEmpty {
            out += "\nSUBCOMMANDS:\n"
            for subcommand in listed {
                let name = subcommand.name + (subcommand.name == command.defaultSubcommand ? " (default)" : "")
                out += entry(name, subcommand.abstract, width: width)
            }
            out += "\n  See '\(path) help <subcommand>' for detailed help.\n"
        } else {
            out += "\n"
        }
        return out
    }

    /// `wds trace [--format <format>] … <file> [<arguments> ...]`; `wds <subcommand>` for a command of subcommands.
    static func usage(_ command: CommandSpec, path: String) -> String {
        if !command.subcommands.isEmpty { return path + " <subcommand>" }
        var parts = [path]
        for option in command.options where !option.hidden {
            parts.append(option.required ? option.synopsis : "[\(option.synopsis)]")
        }
        parts += command.positionals.map(\.synopsis)
        return parts.joined(separator: " ")
    }

    /// A usage error as the user sees it: the message, the help of what is at fault, the usage.
    static func render(_ error: UsageError) -> String {
        var out = "Error: \(error.message)\n"
        if let command = error.command, let topic = error.topic, let help = topicHelp(topic, in: command) {
            out += "Help:  \(topic)  \(help)\n"
        }
        out += "Usage: " + (error.command.map { usage($0, path: error.path) } ?? "wds <subcommand>") + "\n"
        out += "  See '\(error.path) --help' for more information.\n"
        return out
    }

    static func topicHelp(_ topic: String, in command: CommandSpec) -> String? {
        if let option = command.options.first(where: { $0.synopsis == topic }) { return option.help }
        return command.positionals.first { "<\($0.name)>" == topic }?.help
    }

    /// " (values: auto, always, never; default: auto)" after an option's help.
    static func defaults(_ option: OptionSpec) -> String {
        var notes: [String] = []
        if !option.choices.isEmpty { notes.append("values: " + option.choices.joined(separator: ", ")) }
        if let value = option.defaultValue { notes.append("default: " + value) }
        return notes.isEmpty ? "" : " (" + notes.joined(separator: "; ") + ")"
    }

    /// `  --format <format>       Output format: …`, the help wrapped under itself.
    static func entry(_ label: String, _ help: String, width: Int) -> String {
        let lead = "  " + label
        var lines = wrap(help, width: width, indent: helpColumn)
        guard !lines.isEmpty else { return lead + "\n" }
        if lead.count < helpColumn {
            lines[0] = lead + String(repeating: " ", count: helpColumn - lead.count) + lines[0].dropFirst(helpColumn)
        } else {
            lines.insert(lead, at: 0)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func paragraphs(_ text: String) -> [String] {
        text.split(separator: "\n\n").map(String.init)
    }

    /// The words of `text` in lines shorter than `width` (a longer word has a
    /// line of its own; a full-width line would leave some terminals' cursor
    /// past the edge), each indented by `indent` spaces.
    static func wrap(_ text: String, width: Int, indent: Int) -> [String] {
        let margin = String(repeating: " ", count: indent)
        var lines: [String] = []
        var line = ""
        for word in text.split(whereSeparator: { $0 == " " || $0 == "\n" }) {
            if !line.isEmpty, indent + line.count + 1 + word.count >= width {
                lines.append(margin + line)
                line = ""
            }
            line += (line.isEmpty ? "" : " ") + word
        }
        if !line.isEmpty { lines.append(margin + line) }
        return lines
    }

    /// `COLUMNS` if set, else the terminal's width on standard output, else 80.
    static func terminalWidth() -> Int {
        if let columns = getenv("COLUMNS").flatMap({ Int(String(cString: $0)) }), columns > 20 { return columns }
        var size = winsize()
        if ioctl(1, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 20 { return Int(size.ws_col) }
        return 80
    }
}
