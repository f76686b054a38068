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
    var markdown: Bool

    init(_ arguments: ParsedArguments) {
        name = arguments.positional("name")
        markdown = arguments.flag("markdown")
    }

    /// An unknown name is a usage error of `wds builtins` (with its usage), not of wds.
    func validate() throws {
        let registry = Builtins.standard
        if let name, BuiltinReference.text(for: name, in: registry) == nil {
            let hint = Suggestions.didYouMean(name, in: registry.names).map { " (\($0))" } ?? ""
            throw ValidationError("no builtin named '\(name)'\(hint)")
        }
    }

    func run() throws {
        let registry = Builtins.standard
        if markdown {
            print(BuiltinReference.markdown(registry), terminator: "")
        } else if let name, let text = BuiltinReference.text(for: name, in: registry) {
            print(text, terminator: "")
        } else {
            print(BuiltinReference.overview(registry), terminator: "")
        }
    }
}

