import Foundation
import Interpreter
import Lexer
import TestSupport
import XCTest

/// `wds fmt`: the layout as a table of input → formatted output, the
/// round trip (parse → print → parse gives the same AST, and printing is
/// idempotent) on every script of the repository, and `--check`/`--diff`
/// through the built binary.
final class FormatterTests: XCTestCase {
    // MARK: - Layout, construct by construct

    func testStatements() {
        check([
            ("let  x   =   1", "let x = 1\n"),
            ("x = $(add $x 1)", "x = $(add $x 1)\n"),
            ("echo a; echo b", "echo a\necho b\n"),
            ("echo   a    'b  c'  \"d $x\"", "echo a 'b  c' \"d $x\"\n"),
            ("return", "return\n"),
            ("return   $x", "return $x\n"),
            ("exit 3", "exit 3\n"),
            ("break\ncontinue", "break\ncontinue\n"),
            ("source   _lib.wds", "source _lib.wds\n"),
            ("source \"a b.wds\"", "source \"a b.wds\"\n"),
            ("\n\n\necho a\n\n\n", "echo a\n"),
            ("", ""),
        ])
    }

    func testWordsKeepTheirQuoting() {
        check([
            ("echo 'it''s' \"a\\tb\" \\$HOME a\\ b", "echo 'it''s' \"a\\tb\" \\$HOME a\\ b\n"),
            ("echo \"${name}.conf\" pre-$name-post $r.dev ${1}", "echo \"${name}.conf\" pre-$name-post $r.dev ${1}\n"),
            ("echo a#b \\#c \"# no\"", "echo a#b \\#c \"# no\"\n"),
            ("echo \"keeps\n  two lines\"", "echo \"keeps\n  two lines\"\n"),
            ("echo 100$ $- \"$\"", "echo 100$ $- \"$\"\n"),
            ("echo a\\;b a\\{b\\}", "echo a\\;b a\\{b\\}\n"),
            ("rule append X --comment? $c --jump? $j", "rule append X --comment? $c --jump? $j\n"),
        ])
    }

    func testSubstitutionsAndLists() {
        check([
            ("echo $(  basename   $p )", "echo $(basename $p)\n"),
            ("echo \"n: $( echo \"in $(  echo  deep )\" )\"", "echo \"n: $(echo \"in $(echo deep)\")\"\n"),
            ("let b = $( exists /a   &&   ! exists /b )", "let b = $(exists /a && ! exists /b)\n"),
            ("let x = $(\n  split $y\n)", "let x = $(split $y)\n"),
            ("let x = [ a  \"b c\"   [d] ]", "let x = [a \"b c\" [d]]\n"),
            ("let x = [\n]", "let x = []\n"),
            ("echo ...$l   ...$(split $x) ...", "echo ...$l ...$(split $x) ...\n"),
            ("let x = [...$a  b]", "let x = [...$a b]\n"),
            ("let x = [\n    a b\n  c\n]", "let x = [\n  a b\n  c\n]\n"),
            ("let x = [a\n  b]", "let x = [\n  a\n  b\n]\n"),
            ("let x = [\n  [\n    a\n  ]\n  b\n]", "let x = [\n  [\n    a\n  ]\n  b\n]\n"),
            ("rule append X [\n  a\n] --jump Y", "rule append X [\n  a\n] --jump Y\n"),
        ])
    }

    func testConditions() {
        check([
            ("a   &&  b ||   c", "a && b || c\n"),
            ("a || b && c", "a || b && c\n"),
            ("!   a && ! ! b", "! a && ! ! b\n"),
            ("$x  ==  1", "$x == 1\n"),
            ("$x != \"a b\" || $y >= 2", "$x != \"a b\" || $y >= 2\n"),
            ("$ok", "$ok\n"),
            ("exists /tmp &&\n      echo yes", "exists /tmp &&\n  echo yes\n"),
            ("a ||\n\n  b &&\n c", "a ||\n  b &&\n  c\n"),
            ("run /bin/echo \\\n      hi \\\n there", "run /bin/echo \\\n  hi \\\n  there\n"),
            ("echo a\\\nb", "echo a\\\nb\n"),
            ("echo a \\\n", "echo a\n"),
        ])
    }

    func testBlocks() {
        check([
            ("if $ok { echo yes }", "if $ok { echo yes }\n"),
            ("if $ok {\necho yes\n}", "if $ok {\n  echo yes\n}\n"),
            ("if $ok { echo a; echo b }", "if $ok {\n  echo a\n  echo b\n}\n"),
            ("if a { x } elif b { y } else { z }", "if a { x } elif b { y } else { z }\n"),
            ("if a {\n x\n}\nelif b { y }\nelse {\n z }", "if a {\n  x\n} elif b {\n  y\n} else {\n  z\n}\n"),
            ("if a {\n}", "if a {}\n"),
            ("if a { if b { c } }", "if a {\n  if b { c }\n}\n"),
            ("for x in [a b] { echo $x }", "for x in [a b] { echo $x }\n"),
            ("for x in $l {\n\n\necho $x\n\n}", "for x in $l {\n  echo $x\n}\n"),
            ("while $(lt $i 3) {\n  i = $(add $i 1)\n}", "while $(lt $i 3) {\n  i = $(add $i 1)\n}\n"),
            ("try { risky } catch err { echo $err.message }", "try { risky } catch err { echo $err.message }\n"),
            ("try {\n risky\n}\ncatch {\n echo no\n}", "try {\n  risky\n} catch {\n  echo no\n}\n"),
            ("lock /run/x.lock timeout 10s {\n echo in\n}", "lock /run/x.lock timeout 10s {\n  echo in\n}\n"),
            ("lock $p { echo in }", "lock $p { echo in }\n"),
            ("def f(a,  b) { return $a }", "def f(a, b) { return $a }\n"),
            ("def f(a b) {\nreturn $a\n}", "def f(a, b) {\n  return $a\n}\n"),
            ("def f() { }", "def f() {}\n"),
        ])
    }

    func testMatch() {
        check([
            ("match $x { a { echo 1 } }", "match $x {\n  a { echo 1 }\n}\n"),
            ("match $x {\n  *.wds   *.sh { return script }\n  \"a b\" {\n echo q\n }\n  else { fail no }\n}",
             "match $x {\n  *.wds *.sh { return script }\n  \"a b\" {\n    echo q\n  }\n  else { fail no }\n}\n"),
            ("match $x {\n}", "match $x {}\n"),
            ("match $1 {\n  setup { a }\n  teardown { b } # t\n  else { c }\n\n  x { d }\n  # own line\n  yy { e }\n}",
             "match $1 {\n  setup    { a }\n  teardown { b } # t\n  else     { c }\n\n  x { d }\n  # own line\n  yy { e }\n}\n"),
            ("match $x {\n  a { x }\n\n  b { y }\n}", "match $x {\n  a { x }\n\n  b { y }\n}\n"),
        ])
    }

    func testBlankLines() {
        check([
            ("echo a\n\n\n\necho b\necho c", "echo a\n\necho b\necho c\n"),
            ("let x = 1\ndef f() {\n  echo f\n}\ndef g() {\n  echo g\n}\necho end",
             "let x = 1\n\ndef f() {\n  echo f\n}\n\ndef g() {\n  echo g\n}\n\necho end\n"),
            ("def f() { return 1 }\ndef g() { return 2 }", "def f() { return 1 }\ndef g() { return 2 }\n"),
            ("let x = 1\n# about f\ndef f() {\n  echo f\n}", "let x = 1\n\n# about f\ndef f() {\n  echo f\n}\n"),
            ("if a {\n\n  x\n\n  y\n\n}", "if a {\n  x\n\n  y\n}\n"),
            // Inside a list over several lines too: one blank line where there were any, none after `[` or before `]`.
            ("let x = [\n\n  a b\n\n\n  c\n\n]", "let x = [\n  a b\n\n  c\n]\n"),
            ("let x = [\n  a\n\n  # second group\n  b # about b\n\n  c\n\n  # at the end\n]",
             "let x = [\n  a\n\n  # second group\n  b # about b\n\n  c\n\n  # at the end\n]\n"),
            ("for n in [\n  a\n\n  b\n] {\n  echo $n\n}", "for n in [\n  a\n\n  b\n] {\n  echo $n\n}\n"),
        ])
    }

    func testComments() {
        check([
            // Own-line, before a statement, and a header.
            ("#!/usr/bin/env wds\n# header\n\nlet x = 1", "#!/usr/bin/env wds\n# header\n\nlet x = 1\n"),
            ("  # indented wrongly\n    echo a", "# indented wrongly\necho a\n"),
            // Trailing, aligned with the neighbouring lines' trailing comments.
            ("echo a # one", "echo a # one\n"),
            ("echo a   # one\necho bbb # two\n\necho c    # three",
             "echo a   # one\necho bbb # two\n\necho c # three\n"),
            ("echo a; echo b # on b", "echo a\necho b # on b\n"),
            ("echo a # trailing   \t", "echo a # trailing\n"),
            // In blocks: after `{`, own-line inside, at the end, after `}`.
            ("if a { # why\n  x\n}", "if a { # why\n  x\n}\n"),
            ("if a {\n  # before x\n  x\n  # at the end\n}", "if a {\n  # before x\n  x\n  # at the end\n}\n"),
            ("if a {\n  # only a comment\n}", "if a {\n  # only a comment\n}\n"),
            ("if a { x } # after", "if a { x } # after\n"),
            ("if a {\n  x\n} # after", "if a {\n  x\n} # after\n"),
            ("if a { x # inside\n}", "if a {\n  x # inside\n}\n"),
            // Between `}` and elif / else / catch: at the end of the block before.
            ("if a {\n  x\n}\n# about b\nelif b {\n  y\n}\n# about else\nelse {\n  z\n}",
             "if a {\n  x\n  # about b\n} elif b {\n  y\n  # about else\n} else {\n  z\n}\n"),
            ("try {\n  x\n}\n# then\ncatch e {\n  y\n}", "try {\n  x\n  # then\n} catch e {\n  y\n}\n"),
            // After `&&`, in lists, in match, in substitutions, at the end of the file.
            ("a && # first\n  # second\n  b", "a && # first\n  # second\n  b\n"),
            ("let l = [ # nets\n  a # first\n  # own line\n  b\n  # last\n]",
             "let l = [ # nets\n  a # first\n  # own line\n  b\n  # last\n]\n"),
            ("match $x { # subject\n  # arm a\n  a { x } # after a\n  else { y }\n  # end\n}",
             "match $x { # subject\n  # arm a\n  a    { x } # after a\n  else { y }\n  # end\n}\n"),
            ("let x = $(echo a # inside\n)", "# inside\nlet x = $(echo a)\n"),
            ("echo a\n\n# the end", "echo a\n\n# the end\n"),
            ("# only a comment", "# only a comment\n"),
            ("def f() {\n  x\n} # f\n# g\ndef g() {\n  y\n}", "def f() {\n  x\n} # f\n\n# g\ndef g() {\n  y\n}\n"),
        ])
    }

    func testLineEndingsAreKept() {
        check([
            ("echo a\r\nif b {\r\n  c \\\r\n    d\r\n}\r\n", "echo a\r\nif b {\r\n  c \\\r\n    d\r\n}\r\n"),
        ])
    }

    /// The lexer keeps each comment (trailing blanks trimmed) with its range, `$( … )` included.
    func testTheLexerKeepsComments() {
        let file = SourceFile(name: "t", text: "# one\necho a#b \\# x # two \r\nlet v = $(echo # three\n)\necho \"# not\"")
        let comments = Lexer.tokenizeKeepingComments(file).comments
        XCTAssertEqual(comments.map(\.text), ["# one", "# two", "# three"])
        XCTAssertEqual(comments.map { file.text($0.range) }, ["# one", "# two", "# three"])
        XCTAssertEqual(comments.map { $0.range.line }, [1, 2, 3])
    }

    func testAFileThatDoesNotParseIsNotFormatted() {
        guard case .invalid(let diagnostics) = Formatter.format("if {") else { return XCTFail("formatted a broken file") }
        XCTAssertFalse(diagnostics.isEmpty)
    }

    func check(_ cases: [(String, String)], file: StaticString = #filePath, line: UInt = #line) {
        for (source, expected) in cases {
            guard case .formatted(let text) = Formatter.format(source) else {
                XCTFail("did not format: \(source.debugDescription)", file: file, line: line)
                continue
            }
            XCTAssertEqual(text, expected, "formatting \(source.debugDescription)", file: file, line: line)
            guard case .formatted(let again) = Formatter.format(text) else {
                XCTFail("the output does not format: \(text.debugDescription)", file: file, line: line)
                continue
            }
            XCTAssertEqual(again, text, "not idempotent: \(source.debugDescription)", file: file, line: line)
        }
    }

    // MARK: - Every script of the repository

    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    static func allScripts() -> [URL] {
        var result: [URL] = []
        for folder in ["Tests", "scripts"] {
            let root = repositoryRoot.appendingPathComponent(folder)
            guard let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else { continue }
            for case let url as URL in enumerator where url.pathExtension == "wds" { result.append(url) }
        }
        return result.sorted { $0.path < $1.path }
    }

    /// parse → print → parse gives the same AST (by `ASTDump`, which ignores ranges, and by the
    /// formatter's own complete tree), keeps every comment, and printing again changes nothing.
    func testRoundTripOnEveryScript() throws {
        let scripts = Self.allScripts()
        XCTAssertGreaterThan(scripts.count, 50)
        var formatted = 0
        for url in scripts {
            let bytes = try [UInt8](Data(contentsOf: url))
            let file = SourceFile(name: url.lastPathComponent, bytes: bytes)
            let parsed = Parser.parseKeepingComments(file)
            if !parsed.diagnostics.isEmpty { continue }  // malformed on purpose
            guard case .formatted(let text) = Formatter.format(file) else {
                XCTFail("\(url.path): did not format")
                continue
            }
            formatted += 1
            let reparsed = Parser.parseKeepingComments(SourceFile(name: "out", text: text))
            XCTAssertEqual(reparsed.diagnostics.map(\.message), [], url.path)
            XCTAssertEqual(ASTDump.program(reparsed.statements), ASTDump.program(parsed.statements), url.path)
            XCTAssertEqual(Formatter.syntaxTree(reparsed.statements), Formatter.syntaxTree(parsed.statements), url.path)
            XCTAssertEqual(reparsed.comments.map(\.text).sorted(), parsed.comments.map(\.text).sorted(), url.path)
            guard case .formatted(let again) = Formatter.format(text) else { return XCTFail(url.path) }
            XCTAssertEqual(again, text, "\(url.path): formatting is not idempotent")
        }
        XCTAssertGreaterThan(formatted, 40)
    }

    // MARK: - The diff

    func testUnifiedDiff() {
        XCTAssertEqual(UnifiedDiff.diff("a\nb\n", "a\nb\n", oldName: "x", newName: "y"), "")
        XCTAssertEqual(UnifiedDiff.diff("a\nb\nc\n", "a\nB\nc\n", oldName: "f.orig", newName: "f"), """
            --- f.orig
            +++ f
            @@ -1,3 +1,3 @@
             a
            -b
            +B
             c

            """)
        let old = (1...20).map { "\($0)\n" }.joined()
        let new = (1...20).compactMap { $0 == 2 ? "two\n" : $0 == 19 ? nil : "\($0)\n" }.joined()
        XCTAssertEqual(UnifiedDiff.diff(old, new, oldName: "o", newName: "n"), """
            --- o
            +++ n
            @@ -1,5 +1,5 @@
             1
            -2
            +two
             3
             4
             5
            @@ -16,5 +16,4 @@
             16
             17
             18
            -19
             20

            """)
        XCTAssertEqual(UnifiedDiff.diff("", "a\n", oldName: "o", newName: "n"), "--- o\n+++ n\n@@ -0,0 +1 @@\n+a\n")
        XCTAssertEqual(UnifiedDiff.diff("a", "a\n", oldName: "o", newName: "n"),
                       "--- o\n+++ n\n@@ -1 +1 @@\n-a\n\\ No newline at end of file\n+a\n")
    }

    // MARK: - The command line

    static var wdsBinary: String { BuiltBinary.wds }

    func wds(_ arguments: [String], in directory: URL) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.wdsBinary)
        process.arguments = arguments
        process.currentDirectoryURL = directory
        let output = Pipe(), error = Pipe()
        process.standardOutput = output
        process.standardError = error
        try process.run()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
    }

    func testCommandLine() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.wdsBinary) else {
            throw XCTSkip("the wds binary was not found next to the tests (set WDS_BINARY)")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wds-fmt-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let messy = "if $ok {\necho   yes\n}\n"
        let tidy = "if $ok {\n  echo yes\n}\n"
        try messy.write(to: directory.appendingPathComponent("messy.wds"), atomically: true, encoding: .utf8)
        try tidy.write(to: directory.appendingPathComponent("tidy.wds"), atomically: true, encoding: .utf8)
        try "if {\n".write(to: directory.appendingPathComponent("broken.wds"), atomically: true, encoding: .utf8)
        chmod(directory.appendingPathComponent("messy.wds").path, 0o750)
        func contents(_ name: String) throws -> String {
            try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
        }

        // --check names the unformatted files, changes nothing, and exits with 1.
        var result = try wds(["fmt", "--check", "messy.wds", "tidy.wds"], in: directory)
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stdout, "messy.wds\n")
        XCTAssertTrue(result.stderr.contains("1 file is not formatted"), result.stderr)
        XCTAssertEqual(try contents("messy.wds"), messy)
        result = try wds(["fmt", "--check", "tidy.wds"], in: directory)
        XCTAssertEqual(result.status, 0)
        XCTAssertEqual(result.stdout, "")

        // --diff shows the change as a unified diff, changes nothing, and exits with 1.
        result = try wds(["fmt", "--diff", "messy.wds", "tidy.wds"], in: directory)
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stdout, """
            --- messy.wds.orig
            +++ messy.wds
            @@ -1,3 +1,3 @@
             if $ok {
            -echo   yes
            +  echo yes
             }

            """)
        XCTAssertEqual(try contents("messy.wds"), messy)

        // A file that does not parse: its diagnostics, status 2, left as it was; the others are formatted.
        result = try wds(["fmt", "broken.wds", "messy.wds"], in: directory)
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.stderr.contains("broken.wds:1:4: error:"), result.stderr)
        XCTAssertEqual(try contents("broken.wds"), "if {\n")

        // No flag: rewritten in place, keeping the file's mode, with no temporary file left behind.
        XCTAssertEqual(try contents("messy.wds"), tidy)
        let attributes = try FileManager.default.attributesOfItem(atPath: directory.appendingPathComponent("messy.wds").path)
        XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o750)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted(),
                       ["broken.wds", "messy.wds", "tidy.wds"])
        result = try wds(["fmt", "--check", "messy.wds"], in: directory)
        XCTAssertEqual(result.status, 0)

        // `-`: standard input to standard output.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.wdsBinary)
        process.arguments = ["fmt", "-"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(Data(messy.utf8))
        try input.fileHandleForWriting.close()
        let formatted = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(String(decoding: formatted, as: UTF8.self), tidy)
        XCTAssertEqual(process.terminationStatus, 0)
    }

    /// A folder stands for every .wds file under it, in name order; entries
    /// starting with "." (.git, .build) and other files are left alone.
    func testFoldersAreFormattedRecursively() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.wdsBinary) else {
            throw XCTSkip("the wds binary was not found next to the tests (set WDS_BINARY)")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wds-fmt-tree-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let messy = "if $ok {\necho   yes\n}\n"
        for path in ["top.wds", "a/b/deep.wds", "a/notes.txt", ".hidden/skipped.wds", "z/last.wds"] {
            let url = directory.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try messy.write(to: url, atomically: true, encoding: .utf8)
        }
        var result = try wds(["fmt", "--check", "."], in: directory)
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stdout, "./a/b/deep.wds\n./top.wds\n./z/last.wds\n")
        result = try wds(["fmt", "a", "z/"], in: directory)
        XCTAssertEqual(result.status, 0, result.stderr)
        result = try wds(["fmt", "--check", "."], in: directory)
        XCTAssertEqual(result.stdout, "./top.wds\n")
        for untouched in [".hidden/skipped.wds", "a/notes.txt", "top.wds"] {
            XCTAssertEqual(try String(contentsOf: directory.appendingPathComponent(untouched), encoding: .utf8), messy, untouched)
        }
        XCTAssertEqual(try String(contentsOf: directory.appendingPathComponent("a/b/deep.wds"), encoding: .utf8),
                       "if $ok {\n  echo yes\n}\n")
    }
}
