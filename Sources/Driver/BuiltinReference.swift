import Interpreter

/// The builtin reference, written from the registry: `wds help`, the REPL's
/// `:help`, and the Builtins section of docs/language.md all come from here,
/// so they cannot drift from what the checker accepts.
public enum BuiltinReference {
    /// The synopsis and summary of one builtin or family, for a terminal.
    public static func text(for name: String, in registry: BuiltinRegistry) -> String? {
        switch registry.entries[name] {
        case .single(let spec)?:
            return describe(spec)
        case .family(let family)?:
            return "\(family.name): \(family.summary)\n\n" + family.subcommands.map(describe).joined(separator: "\n")
        case nil:
            return nil
        }
    }

    /// One subcommand of a family (`rule append`), or nil.
    public static func text(for name: String, subcommand: String, in registry: BuiltinRegistry) -> String? {
        guard case .family(let family)? = registry.entries[name], let spec = family.subcommand(subcommand) else { return nil }
        return describe(spec)
    }

    static func describe(_ spec: BuiltinSpec) -> String {
        var out = "  \(spec.synopsis)\n      \(spec.summary)\n"
        for option in spec.options where !option.summary.isEmpty {
            let value = option.valueType.map { " " + $0.placeholder } ?? ""
            out += "      \(option.negatable ? "[!] " : "")\(option.name)\(value): \(option.summary)\n"
        }
        if !spec.example.isEmpty { out += "      example: \(spec.example)\n" }
        return out
    }

    /// One line per builtin: the overview `wds help` prints.
    public static func overview(_ registry: BuiltinRegistry) -> String {
        registry.names.map { name -> String in
            switch registry.entries[name]! {
            case .single(let spec): return "  \(pad(name)) \(firstSentence(spec.summary))"
            case .family(let family): return "  \(pad(name)) \(family.summary) (\(family.subcommandNames.joined(separator: ", ")))"
            }
        }.joined(separator: "\n") + "\n"
    }

    static func pad(_ name: String) -> String {
        name + String(repeating: " ", count: max(1, 18 - name.count))
    }

    /// Up to the first full stop that ends a sentence (". " or the end), not
    /// one inside a word ("(.)", "/proc/sys.") or inside parentheses
    /// ("(without . and ..)").
    static func firstSentence(_ text: String) -> String {
        var depth = 0
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(after: index)
            switch text[index] {
            case "(": depth += 1
            case ")": depth = max(0, depth - 1)
            case "." where depth == 0 && (next == text.endIndex || text[next] == " "):
                return String(text[...index])
            default: break
            }
            index = next
        }
        return text
    }

    /// The Markdown that docs/language.md holds between its builtins markers.
    public static func markdown(_ registry: BuiltinRegistry) -> String {
        var out = ""
        for name in registry.names {
            switch registry.entries[name]! {
            case .single(let spec):
                out += "### `\(name)`\n\n" + markdown(spec)
            case .family(let family):
                out += "### `\(name)`\n\n\(family.summary)\n\n"
                for spec in family.subcommands { out += "#### `\(spec.name)`\n\n" + markdown(spec) }
            }
        }
        return out
    }

    static func markdown(_ spec: BuiltinSpec) -> String {
        var out = "```\n\(spec.synopsis)\n```\n\n\(spec.summary)\n\n"
        let options = spec.options.filter { !$0.summary.isEmpty }
        if !options.isEmpty {
            for option in options {
                let value = option.valueType.map { " " + $0.placeholder } ?? ""
                let aliases = option.aliases.isEmpty ? "" : " (also `\(option.aliases.joined(separator: "`, `"))`)"
                out += "- `\(option.negatable ? "[!] " : "")\(option.name)\(value)`\(aliases): \(option.summary)\n"
            }
            out += "\n"
        }
        if !spec.example.isEmpty { out += "Example: `\(spec.example)`\n\n" }
        return out
    }
}
