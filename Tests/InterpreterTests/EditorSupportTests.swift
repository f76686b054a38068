import Builtins
import Foundation
@testable import Interpreter
import XCTest

/// editors/ must know every keyword and builtin the interpreter has, so that a
/// new builtin cannot be forgotten there; and the TextMate grammar's regular
/// expressions must compile.
final class EditorSupportTests: XCTestCase {
    static let editors = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("editors")
    static let grammarURL = editors.appendingPathComponent("vscode/syntaxes/wds.tmLanguage.json")
    static let vimSyntaxURL = editors.appendingPathComponent("vim/syntax/wds.vim")

    /// The parser's keywords, and `timeout`, which is special after the path of `lock`.
    static let keywords = Parser.keywords.union(["timeout"])
    static let builtins = Set(Builtins.standard.names)

    func grammar() throws -> [String: Any] {
        let data = try Data(contentsOf: Self.grammarURL)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// The names in the `(?:a|b|c)` alternation of a repository rule's `match`.
    func alternation(_ rule: String, in grammar: [String: Any]) throws -> Set<String> {
        let repository = try XCTUnwrap(grammar["repository"] as? [String: Any])
        let entry = try XCTUnwrap(repository[rule] as? [String: Any], "no rule '\(rule)' in the grammar")
        let match = try XCTUnwrap(entry["match"] as? String)
        let group = try NSRegularExpression(pattern: #"\(\?:([a-z0-9|-]+)\)"#)
        let found = try XCTUnwrap(group.firstMatch(in: match, range: NSRange(match.startIndex..., in: match)),
                                  "no (?:a|b) alternation in '\(rule)'")
        let names = String(match[Range(found.range(at: 1), in: match)!])
        return Set(names.split(separator: "|").map(String.init))
    }

    func testTheTextMateGrammarHasEveryKeywordAndBuiltin() throws {
        let grammar = try grammar()
        assertSame(try alternation("keyword", in: grammar), Self.keywords, "keywords", Self.grammarURL)
        assertSame(try alternation("builtin", in: grammar), Self.builtins, "builtins", Self.grammarURL)
    }

    /// Every `match`, `begin` and `end` compiles. TextMate uses Oniguruma; the
    /// grammar keeps to the syntax it shares with ICU (NSRegularExpression):
    /// classes, groups, fixed-length lookbehind, lookahead, alternation.
    func testEveryRegularExpressionOfTheGrammarCompiles() throws {
        var patterns: [(String, String)] = []
        func collect(_ node: Any, path: String) {
            if let object = node as? [String: Any] {
                for (key, value) in object {
                    if ["match", "begin", "end", "firstLineMatch"].contains(key), let pattern = value as? String {
                        patterns.append((path + "." + key, pattern))
                    } else {
                        collect(value, path: path + "." + key)
                    }
                }
            } else if let array = node as? [Any] {
                for (index, value) in array.enumerated() { collect(value, path: path + "[\(index)]") }
            }
        }
        collect(try grammar(), path: "grammar")
        XCTAssertGreaterThan(patterns.count, 20)
        for (path, pattern) in patterns {
            XCTAssertNoThrow(try NSRegularExpression(pattern: pattern, options: [.anchorsMatchLines]),
                             "\(path) does not compile: \(pattern)")
            // Constructs Oniguruma reads differently from ICU, or not at all.
            for construct in [#"\h"#, #"\H"#, #"\g<"#, #"\k<"#, "(?~", #"\p{^"#] {
                XCTAssertFalse(pattern.contains(construct), "\(path) uses \(construct), which ICU and Oniguruma read differently")
            }
        }
    }

    /// A few lines through the grammar's rules (as NSRegularExpression runs them):
    /// builtin names with dashes and keywords match as whole words only.
    func testTheKeywordAndBuiltinRulesMatchWholeWords() throws {
        let grammar = try grammar()
        let repository = try XCTUnwrap(grammar["repository"] as? [String: Any])
        func matches(_ rule: String, _ line: String) throws -> [String] {
            let match = try XCTUnwrap((repository[rule] as? [String: Any])?["match"] as? String)
            let regex = try NSRegularExpression(pattern: match)
            return regex.matches(in: line, range: NSRange(line.startIndex..., in: line)).map {
                String(line[Range($0.range, in: line)!])
            }
        }
        XCTAssertEqual(try matches("builtin", "run-script f; echo $(list-dir /x) --format run"),
                       ["run-script", "echo", "list-dir", "run"])
        XCTAssertEqual(try matches("keyword", "if ! exists for-ever { try { lock /l timeout 1s {} } }"),
                       ["if", "try", "lock", "timeout"])
        XCTAssertEqual(try matches("comment", "echo a#b # real"), ["# real"])
    }

    func testTheVimSyntaxHasEveryKeywordAndBuiltin() throws {
        let text = try String(contentsOf: Self.vimSyntaxURL, encoding: .utf8)
        assertSame(vimNames("wdsKeyword", in: text), Self.keywords, "keywords", Self.vimSyntaxURL)
        assertSame(vimNames("wdsBuiltin", in: text), Self.builtins, "builtins", Self.vimSyntaxURL)
    }

    /// The words of `syn keyword GROUP …` lines, and of `syn match GROUP "\<word\>"`
    /// (for names, like `contains`, that :syn keyword takes for one of its options).
    func vimNames(_ group: String, in text: String) -> Set<String> {
        var names = Set<String>()
        for line in text.split(separator: "\n") {
            let words = line.split(separator: " ").map(String.init)
            guard words.count > 3, words[0] == "syn", words[2] == group else { continue }
            if words[1] == "keyword" {
                names.formUnion(words[3...])
            } else if words[1] == "match", words[3].hasPrefix(#""\<"#), words[3].hasSuffix(#"\>""#) {
                names.insert(String(words[3].dropFirst(3).dropLast(3)))
            }
        }
        return names
    }

    func assertSame(_ listed: Set<String>, _ expected: Set<String>, _ what: String, _ file: URL,
                    line: UInt = #line) {
        let missing = expected.subtracting(listed).sorted(), extra = listed.subtracting(expected).sorted()
        XCTAssertTrue(missing.isEmpty, "\(file.lastPathComponent) lacks \(what): \(missing.joined(separator: " "))", line: line)
        XCTAssertTrue(extra.isEmpty, "\(file.lastPathComponent) lists \(what) the interpreter does not have: \(extra.joined(separator: " "))", line: line)
    }

    /// Vim itself, where installed: the syntax file loads without an error and
    /// highlights a line as intended.
    func testVimLoadsTheSyntaxFile() throws {
        guard let vim = ["/usr/bin/vim", "/usr/local/bin/vim"].first(where: FileManager.default.isExecutableFile) else {
            throw XCTSkip("vim is not installed")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wds-vim-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let script = directory.appendingPathComponent("t.wds")
        try "if ! contains $x \"a $(list-dir /x)\" { run-script f --quiet 10s } # done\n"
            .write(to: script, atomically: true, encoding: .utf8)
        let output = directory.appendingPathComponent("out")
        let probe = directory.appendingPathComponent("probe.vim")
        try """
            set rtp^=\(Self.editors.appendingPathComponent("vim").path)
            syntax on
            filetype on
            edit \(script.path)
            let out = [&filetype]
            for c in [1, 6, 19, 23, 39, 52, 60, 66]
              call add(out, synIDattr(synID(1, c, 1), 'name'))
            endfor
            call add(out, v:errmsg)
            call writefile(out, '\(output.path)')
            qa!
            """.write(to: probe, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: vim)
        process.arguments = ["-Nu", "NONE", "-es", "-S", probe.path]
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        let lines = try String(contentsOf: output, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(lines.map(String.init), [
            "wds", "wdsKeyword", "wdsBuiltin", "wdsDoubleString", "wdsBuiltin", "wdsBuiltin", "wdsOption",
            "wdsNumber", "wdsComment", "", "",
        ])
    }
}
