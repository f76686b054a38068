import Interpreter
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
}
