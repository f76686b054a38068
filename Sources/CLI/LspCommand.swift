import LanguageServer

/// `wds lsp` (its help is in Commands.swift): serves until the editor closes the connection.
struct LspCommand: RunnableCommand {
    init(_ arguments: ParsedArguments) {}

    func run() throws {
        throw ExitCode(LanguageServer().serve())
    }
}
