/// The pieces of a trace line that need more than quoting to replay in bash
/// (the trace's shell, named by its first line) exactly as the run acted.
/// Quoting keeps a value one word; these keep a word from being read as
/// something else: an option, a builtin, an assignment, an escape.
public enum ReplayLine {
    /// Prints `text` byte for byte: `printf`'s format is wds's own (`%s`), so
    /// nothing in the text is interpreted (no `echo`, whose `-n`, `\c` and `\t`
    /// bash, dash and coreutils each read differently). A NUL, which no shell
    /// word can hold, becomes `\000` in the format between `%s` pieces.
    public static func printf(_ text: String, newline: Bool) -> String {
        let end = newline ? "\\n" : ""
        guard text.utf8.contains(0) else {
            return newline ? shellLine(["printf", "%s\\n", text]) : shellLine(["printf", "%s", text])
        }
        let pieces = text.split(separator: "\0", omittingEmptySubsequences: false).map(String.init)
        let format = pieces.map { _ in "%s" }.joined(separator: "\\000") + end
        return shellLine(["printf", format] + pieces)
    }

    /// A program started with `run`: bash must start the file PATH names, as
    /// posix_spawnp does. A name bash knows itself (a builtin such as `echo`,
    /// `true` or `exec`, a keyword such as `time`) goes through `env`; a word
    /// bash would read as an assignment (`a=b`) or a job (`%1`) goes through
    /// `exec` in a subshell. Output the run captured into a value is discarded.
    /// A program as bash would start it: text for its standard input through
    /// `printf`, and what the run captured or discarded sent to /dev/null.
    public static func program(_ argv: [String], capturedOutput: Bool, streams: ProgramStreams = .inherit) -> String {
        guard let name = argv.first else { return "" }
        var line = shellLine(argv)
        if name.contains("=") || name.hasPrefix("%") {
            line = "(exec -- \(shellLine(argv)))"
        } else if bashBuiltinsAndKeywords.contains(name) {
            line = "env -- \(line)"
        }
        if let input = streams.input { line = printf(input, newline: false) + " | " + line }
        if capturedOutput || streams.output != .inherit { line += " >/dev/null" }
        if streams.error != .inherit { line += " 2>/dev/null" }
        return line
    }

    /// The file `replace-file` writes before renaming it over PATH: beside it, hidden.
    public static func besideName(_ path: String) -> String {
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[...$0]) } ?? ""
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        return directory + "." + name + ".wds-new"
    }

    /// `compgen -b` and `compgen -k` of bash 5.2.
    static let bashBuiltinsAndKeywords: Set<String> = [
        ".", ":", "[", "alias", "bg", "bind", "break", "builtin", "caller", "cd", "command", "compgen", "complete",
        "compopt", "continue", "declare", "dirs", "disown", "echo", "enable", "eval", "exec", "exit", "export", "false",
        "fc", "fg", "getopts", "hash", "help", "history", "jobs", "kill", "let", "local", "logout", "mapfile", "popd",
        "printf", "pushd", "pwd", "read", "readarray", "readonly", "return", "set", "shift", "shopt", "source",
        "suspend", "test", "times", "trap", "true", "type", "typeset", "ulimit", "umask", "unalias", "unset", "wait",
        "if", "then", "else", "elif", "fi", "case", "esac", "for", "select", "while", "until", "do", "done", "in",
        "function", "time", "{", "}", "!", "[[", "]]", "coproc",
    ]
}
