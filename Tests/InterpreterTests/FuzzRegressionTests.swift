import Builtins
import Interpreter
import protocol Interpreter.Host
import Lexer
import XCTest

/// Inputs that crashed the front end (found while building the fuzzer,
/// fuzz/FuzzTarget.swift): each must now be one diagnostic. Too large to keep
/// as golden files, so they are generated here.
final class FuzzRegressionTests: XCTestCase {
    func diagnostics(_ text: String) -> [String] {
        Parser.parse(SourceFile(name: "fuzz.wds", text: text)).diagnostics.map(\.message)
    }

    /// `if ! ! ! … true` recursed once per `!` and overflowed the stack at ~100 000.
    func testManyNegationsAreANestingError() {
        XCTAssertEqual(diagnostics("if " + String(repeating: "! ", count: 100_000) + "true { echo x }\n"),
                       ["nesting too deep (more than 100 levels)"])
    }

    /// `a && b && …` built a tree 50 000 deep that the checker, the evaluator and its
    /// own deinitialization walked recursively.
    func testLongAndOrChainsAreANestingError() {
        for op in ["&&", "||"] {
            XCTAssertEqual(diagnostics("echo a" + String(repeating: " \(op) echo a", count: 50_000) + "\n"),
                           ["nesting too deep (more than 100 levels)"], op)
        }
    }

    /// Up to the limit, all of these still parse.
    func testNinetyNineLevelsStillParse() {
        XCTAssertEqual(diagnostics("if " + String(repeating: "! ", count: 99) + "true { echo x }\n"), [])
        XCTAssertEqual(diagnostics("echo a" + String(repeating: " && echo a", count: 99) + "\n"), [])
    }

    /// A file that sources itself through paths that keep growing (`x/lib.wds`,
    /// then `x/x/lib.wds`…, as a folder linking back to itself gives) twice per
    /// file loaded 2^32 files before the depth limit: the fuzzer timed out on it.
    func testSourcesThroughEverLongerPathsStopAtTheFileLimit() {
        var reads = 0
        var loader = Loader(readFile: { _ in
            reads += 1
            return Array("source \"x/a.wds\"\nsource \"y/a.wds\"\n".utf8)
        })
        _ = loader.load(SourceFile(name: "main.wds", path: "main.wds", text: "source \"x/a.wds\"\n"))
        XCTAssertLessThanOrEqual(reads, Loader.maximumFiles)
        XCTAssertTrue(loader.diagnostics.contains { $0.message == "too many sourced files (more than \(Loader.maximumFiles))" },
                      "\(loader.diagnostics.map(\.message).prefix(3))")
    }

    /// `ge\u{1}\\` at the end of a file: the backslash vanished from the word, and
    /// came back as a line continuation once `wds fmt` added the final newline,
    /// so formatting twice gave two results. It is now a diagnostic.
    func testABackslashAtTheEndOfTheFileIsAnError() {
        XCTAssertEqual(diagnostics("ge\u{1}\\"), ["a backslash at the end of the file escapes nothing"])
        XCTAssertEqual(diagnostics("echo a \\"), ["a backslash at the end of the file escapes nothing"])
        XCTAssertEqual(diagnostics("echo a \\\n"), [])
    }

    /// `echo a \<CR>  <LF>` (found by the fuzzer on a fresh clone): the escaped carriage
    /// return stayed in the word, and `wds fmt`, trimming the blanks after it, turned it
    /// into a `\` + CRLF line continuation that joined the next line. It is now a diagnostic.
    func testABackslashBeforeALoneCarriageReturnIsAnError() {
        XCTAssertEqual(diagnostics("echo a \\\r  \n  continued\n"), ["a backslash before a carriage return"])
        XCTAssertEqual(diagnostics("echo a \\\r\n  b\n"), [])
    }

    /// The fuzzer evaluates what passes the check, and a script may loop for ever:
    /// `maximumStatements` bounds a run for it with a diagnostic.
    func testARunCanBeBoundedInStatements() throws {
        let file = SourceFile(name: "loop.wds", text: "while true { let x = 1 }\n")
        let script = Script(file: file, statements: Parser.parse(file).statements)
        final class NoHost: Host {
            func perform(_ effect: Effect, at location: SourceRange) throws -> EffectResult { .done }
        }
        let interpreter = Interpreter(registry: Builtins.standard, context: RunContext(host: NoHost(), environment: [:], arguments: []),
                                      scriptPath: "loop.wds")
        interpreter.maximumStatements = 100
        XCTAssertThrowsError(try interpreter.run(script)) { error in
            XCTAssertEqual((error as? Diagnostic)?.message, "the run took more than 100 statements")
        }
    }

    /// Found by a 300 s fuzzer run: `\` then a carriage return at the end
    /// of the file quoted the CR, and the newline `wds fmt` adds made `\` CR LF a line
    /// continuation, so the formatter refused its own output.
    func testABackslashAndACarriageReturnAtTheEndOfTheFileIsAnError() {
        XCTAssertEqual(diagnostics("\\\r"), ["a backslash before a carriage return"])
        XCTAssertEqual(diagnostics("echo a\\\r"), ["a backslash before a carriage return"])
        XCTAssertEqual(diagnostics("echo a\\\r\n"), [])
        // The next run: `\` CR, then a blank, which fmt trims before the newline. Anywhere in a word.
        XCTAssertEqual(diagnostics("\\\r "), ["a backslash before a carriage return"])
        XCTAssertEqual(diagnostics("echo a\\\r \necho b\n"), ["a backslash before a carriage return"])
    }
}
