import ArgumentParser
import LanguageServer

struct LspCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lsp",
        abstract: "A Language Server Protocol server on standard input and output, for editors.",
        discussion: """
            Diagnostics as `wds check` gives them, completion as the REPL's, hover with a builtin's reference, \
            go to definition of functions and variables, and formatting as `wds fmt`. An editor starts it; \
            docs/editors.md shows VS Code, Neovim and Helix.
            """)

    func run() throws {
        throw ExitCode(LanguageServer().serve())
    }
}
