/// `:help KEYWORD`: each keyword's form, from the grammar in docs/language.md,
/// and what it does in one line. Builtins have their own help (the registry).
enum KeywordHelp {
    static let entries: [(keywords: [String], form: String, meaning: String)] = [
        (["let"], "let NAME = VALUE", "define a variable in the current block; `NAME = VALUE` changes it"),
        (["if", "elif", "else"], "if CONDITION { … } elif CONDITION { … } else { … }",
         "run the first block whose condition holds; a failing command is false"),
        (["for", "in"], "for NAME in LIST { … }", "run the block once per element of a list (wds never splits text)"),
        (["while"], "while CONDITION { … }", "run the block while the condition holds"),
        (["match"], "match VALUE { PATTERN … { … } else { … } }", "run the block of the first pattern the text matches, like `case`"),
        (["def", "return"], "def NAME(PARAMETER …) { … return [VALUE] }",
         "define a function (in the REPL a new definition replaces the old one)"),
        (["exit"], "exit [STATUS]", "end the script with STATUS (0); in the REPL, leave it with STATUS"),
        (["break", "continue"], "break | continue", "leave the innermost loop, or start its next round"),
        (["try", "catch"], "try { … } catch [NAME] { … }",
         "run the catch block if an operational failure happens in the try block; NAME holds its message, status and line"),
        (["lock", "timeout"], "lock PATH [timeout DURATION] { … }", "hold an exclusive flock(2) on PATH for the block"),
        (["source"], "source FILE", "load the functions and statements of FILE, relative to this script's folder"),
    ]

    static var keywords: [String] { entries.flatMap(\.keywords) }

    static func text(for keyword: String) -> String? {
        guard let entry = entries.first(where: { $0.keywords.contains(keyword) }) else { return nil }
        return "  \(entry.form)\n      \(entry.meaning)\n"
    }
}
