import Backends
import Builtins
import Driver
import Interpreter
import Lexer

#if canImport(Glibc)
import Glibc
#endif

struct BuiltinsCommand: RunnableCommand {
    var name: String?
    /// A family's subcommand: `wds builtins rule append`, or `wds builtins "rule append"` as the REPL writes it.
    var subcommand: String?
    var markdown: Bool

    init(_ arguments: ParsedArguments) {
        name = arguments.positional("name")
        subcommand = arguments.positional("subcommand")
        if subcommand == nil, let words = name?.split(separator: " "), words.count == 2 {
            (name, subcommand) = (String(words[0]), String(words[1]))
        }
        markdown = arguments.flag("markdown")
    }

    /// What `wds builtins NAME [SUBCOMMAND]` prints; nil when there is no such builtin.
    func reference(in registry: BuiltinRegistry) -> String? {
        guard let name else { return nil }
        guard let subcommand else { return BuiltinReference.text(for: name, in: registry) }
        return BuiltinReference.text(for: name, subcommand: subcommand, in: registry)
    }

    /// An unknown name is a usage error of `wds builtins` (with its usage), not of wds.
    func validate() throws {
        let registry = Builtins.standard
        guard let name, reference(in: registry) == nil else { return }
        if let subcommand, case .family(let family)? = registry.entries[name] {
            let hint = Suggestions.didYouMean(subcommand, in: family.subcommandNames).map { " (\($0))" } ?? ""
            throw ValidationError("'\(name)' has no subcommand '\(subcommand)'\(hint); it has \(family.subcommandNames.joined(separator: ", "))")
        }
        if subcommand != nil, registry.entries[name] != nil {
            throw ValidationError("'\(name)' is a builtin of its own, without subcommands")
        }
        let hint = Suggestions.didYouMean(name, in: registry.names).map { " (\($0))" } ?? ""
        throw ValidationError("no builtin named '\(name)'\(hint)")
    }

    func run() throws {
        let registry = Builtins.standard
        if markdown {
            print(BuiltinReference.markdown(registry), terminator: "")
        } else if let text = reference(in: registry) {
            print(text, terminator: "")
        } else {
            print(BuiltinReference.overview(registry), terminator: "")
        }
    }
}

