import Foundation
import Lexer
import XCTest

/// The one renderer: `file:line:col: error: message`, the line, a caret and tildes, a hint, notes.
final class DiagnosticTests: XCTestCase {
    func render(_ text: String, _ start: Int, _ end: Int, hint: String? = nil, notes: [Diagnostic] = []) -> String {
        let file = SourceFile(name: "s.wds", text: text)
        return Diagnostic("bad", at: SourceRange(file: file, start: start, end: end), hint: hint, notes: notes).render()
    }

    func testCaretAndTildesUnderTheSpan() {
        XCTAssertEqual(render("echo $nope\n", 5, 10, hint: "did you mean 'hope'?"), """
            s.wds:1:6: error: bad
             1 | echo $nope
               |      ^~~~~
            hint: did you mean 'hope'?

            """)
        XCTAssertEqual(render("a\nbb\nccc", 5, 6), "s.wds:3:1: error: bad\n 3 | ccc\n   | ^\n")
        // An empty range (the end of input) is one caret.
        XCTAssertEqual(render("if a {\n", 7, 7), "s.wds:2:1: error: bad\n 2 | \n   | ^\n")
        // A span running past the line end is cut at the line end.
        XCTAssertEqual(render("x {\n  y\n}", 2, 9), "s.wds:1:3: error: bad\n 1 | x {\n   |   ^\n")
        XCTAssertEqual(render("x abc\nd", 2, 8), "s.wds:1:3: error: bad\n 1 | x abc\n   |   ^~~\n")
    }

    func testGutterGrowsWithTheLineNumber() {
        let text = String(repeating: "\n", count: 120) + "oops"
        XCTAssertEqual(render(text, 120, 124), "s.wds:121:1: error: bad\n 121 | oops\n     | ^~~~\n")
    }

    func testTabsAndWideCharactersKeepTheCaretAligned() {
        XCTAssertEqual(render("\t\techo $x", 7, 9), "s.wds:1:8: error: bad\n 1 | \t\techo $x\n   | \t\t     ^~\n")
        // Columns count bytes ("é" is two), the caret counts characters.
        XCTAssertEqual(render("echo \"café\" $x", 13, 15), "s.wds:1:14: error: bad\n 1 | echo \"café\" $x\n   |             ^~\n")
        XCTAssertEqual(render("é €x", 6, 7), "s.wds:1:7: error: bad\n 1 | é €x\n   |    ^\n")
        XCTAssertEqual(render("x ✓✓ y", 2, 8), "s.wds:1:3: error: bad\n 1 | x ✓✓ y\n   |   ^~\n")
    }

    func testControlCharactersAreShownVisibly() {
        let file = SourceFile(name: "s.wds", bytes: Array("echo a\0b\u{1B} c".utf8))
        XCTAssertEqual(Diagnostic("nul", at: SourceRange(file: file, start: 6, end: 7)).render(),
                       "s.wds:1:7: error: nul\n 1 | echo a\u{2400}b\u{241B} c\n   |       ^\n")
        XCTAssertEqual(render("echo x\r\n", 5, 6), "s.wds:1:6: error: bad\n 1 | echo x\n   |      ^\n")
    }

    /// Issue 13, point 7: a value quoted in a message cannot start a line of its own,
    /// move the cursor, recolor the terminal or reorder the line.
    func testValuesInMessagesCannotForgeALineOrReachTheTerminal() {
        let file = SourceFile(name: "s.wds", text: "chain create $x\n")
        let forged = "x\ns.wds:9:1: error: forged\r\u{1B}[2J\u{7F}\u{9B}31m\u{202E}\tend"
        let rendered = Diagnostic("chain name '\(forged)' is bad", at: SourceRange(file: file, start: 13, end: 15),
                                  hint: "not '\(forged)'").render()
        XCTAssertEqual(rendered, """
            s.wds:1:14: error: chain name 'x\\ns.wds:9:1: error: forged\\r\\x1b[2J\\x7f\\u{9b}31m\\u{202e}\tend' is bad
             1 | chain create $x
               |              ^~
            hint: not 'x\\ns.wds:9:1: error: forged\\r\\x1b[2J\\x7f\\u{9b}31m\\u{202e}\tend'

            """)
        XCTAssertEqual(rendered.split(separator: "\n").filter { $0.hasPrefix("s.wds:") }.count, 1, "a forged line")
        XCTAssertEqual(Diagnostic("bad '\u{1B}]0;t\u{7}'", at: nil).render(), "wds: error: bad '\\x1b]0;t\\x07'\n")
        XCTAssertEqual(Diagnostic.escaped("plain text, tab\tand é"), "plain text, tab\tand é")
        // In the source line, a bidirectional override or C1 control shows as one replacement character.
        let line = SourceFile(name: "s.wds", text: "echo \"\u{202E}x\u{9B}\" $y")
        XCTAssertEqual(Diagnostic("bad", at: SourceRange(file: line, start: 14, end: 16)).render(),
                       "s.wds:1:15: error: bad\n 1 | echo \"\u{FFFD}x\u{FFFD}\" $y\n   |            ^~\n")
    }

    func testNotesAndUnlocatedDiagnostics() {
        let file = SourceFile(name: "s.wds", text: "if a {\n  b")
        let note = Diagnostic.note("the block opened here", at: SourceRange(file: file, start: 5, end: 6))
        XCTAssertEqual(Diagnostic("expected '}'", at: SourceRange(file: file, start: 10, end: 10), notes: [note]).render(), """
            s.wds:2:4: error: expected '}'
             2 |   b
               |    ^
            s.wds:1:6: note: the block opened here
             1 | if a {
               |      ^

            """)
        XCTAssertEqual(Diagnostic("cannot read script 'x'", at: nil, hint: "check the path").render(),
                       "wds: error: cannot read script 'x'\nhint: check the path\n")
        XCTAssertEqual(DiagnosticList([Diagnostic("a", at: nil), Diagnostic("b", at: nil)]).render(),
                       "wds: error: a\nwds: error: b\n")
    }

    /// For a terminal: the location bold, `error:` bold red, `note:` and `hint:` bold cyan,
    /// the gutter blue, the caret bold green; the text itself is what `render()` prints.
    func testColoursForATerminal() {
        let file = SourceFile(name: "s.wds", text: "if a {\n  b")
        let note = Diagnostic.note("opened here", at: SourceRange(file: file, start: 5, end: 6))
        let diagnostic = Diagnostic("bad", at: SourceRange(file: file, start: 9, end: 10), hint: "fix it", notes: [note])
        let e = "\u{1B}["
        XCTAssertEqual(diagnostic.render(colors: true), """
            \(e)1ms.wds:2:3:\(e)0m \(e)1;31merror:\(e)0m \(e)1mbad\(e)0m
             \(e)34m2 |\(e)0m   b
             \(e)34m  |\(e)0m   \(e)1;32m^\(e)0m
            \(e)1;36mhint:\(e)0m fix it
            \(e)1ms.wds:1:6:\(e)0m \(e)1;36mnote:\(e)0m \(e)1mopened here\(e)0m
             \(e)34m1 |\(e)0m if a {
             \(e)34m  |\(e)0m      \(e)1;32m^\(e)0m

            """)
        let plain = diagnostic.render(colors: true).replacingOccurrences(of: "\u{1B}\\[[0-9;]*m", with: "", options: .regularExpression)
        XCTAssertEqual(plain, diagnostic.render(colors: false))
        XCTAssertEqual(Diagnostic("gone", at: nil).render(colors: true), "\(e)1mwds:\(e)0m \(e)1;31merror:\(e)0m \(e)1mgone\(e)0m\n")
    }

    func testLineAndColumn() {
        let file = SourceFile(name: "s", text: "ab\n\ncd\n")
        let positions = [0, 1, 2, 3, 4, 5, 7].map { file.lineAndColumn(of: $0) }.map { "\($0.line):\($0.column)" }
        XCTAssertEqual(positions, ["1:1", "1:2", "1:3", "2:1", "3:1", "3:2", "4:1"])
        XCTAssertEqual([1, 2, 3, 4, 5].map(file.lineText), ["ab", "", "cd", "", ""])
        XCTAssertEqual(SourceRange(file: file, start: 4, end: 6).description, "s:3:1")
        XCTAssertEqual(file.shortLocation(5), "s:3")
    }

    func testSuggestions() {
        let distances = [("echo", "ecko"), ("echo", "ehco"), ("", "abc"), ("kitten", "sitting"), ("same", "same")]
            .map { Suggestions.editDistance($0.0, $0.1) }
        XCTAssertEqual(distances, [1, 1, 3, 3, 0])
        let names = ["echo", "exists", "env", "basename", "--parents"]
        let guesses: [(String, String?)] = [
            ("ecko", "echo"), ("exsits", "exists"), ("ENV", "env"), ("basenme", "basename"), ("--parent", "--parents"),
            ("zzz", nil), ("e", nil), ("en", "env"), ("xyzzyplugh", nil),
        ]
        for (word, expected) in guesses {
            XCTAssertEqual(Suggestions.closest(to: word, in: names), expected, word)
        }
        XCTAssertEqual(Suggestions.didYouMean("ecko", in: names), "did you mean 'echo'?")
    }
}
