import ArgumentParser
import Backends
import Builtins
import Driver
import Interpreter
import Lexer

#if canImport(Glibc)
import Glibc
#endif

struct Help: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "builtins",
        abstract: "Describe the builtins: all of them in one line each, or one in full.")

    @Argument(help: "A builtin or family name, such as `rule` or `mkdir`.")
    var name: String?

    @Flag(help: "Print the reference as Markdown (the Builtins section of docs/language.md).")
    var markdown = false

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

