import Foundation
import XCTest

/// wds's own limits (issue 13, point 6): the built binary meets a deep
/// recursion, a value doubled without end, or a program's endless output with
/// a located diagnostic and exit status 1, never a signal (139 was a stack
/// overflow, 134 a failed allocation).
final class LimitTests: XCTestCase {
    static var deepRecursion: String {
        let opening = (1...40).map { String(repeating: "  ", count: $0) + "if true {" }.joined(separator: "\n")
        let closing = (1...40).reversed().map { String(repeating: "  ", count: $0) + "}" }.joined(separator: "\n")
        return "def deep(n) {\n\(opening)\n" + String(repeating: "  ", count: 41)
            + "if $n > 0 { deep $(add $n -1) }\n\(closing)\n}\ndeep 150\necho \"not reached\""
    }

    func testFortyNestedIfsInARecursionEndWithADiagnosticInRunAndTrace() throws {
        for command in ["run", "trace"] {
            let result = try ScriptRun.run(Self.deepRecursion, command: command)
            XCTAssertEqual(result.status, 1, "\(command): \(result.standardError)")
            // The 1001st statement inside another: the 34th `if` (line 35) of the 24th call.
            let indent = String(repeating: " ", count: 68)
            XCTAssertEqual(result.standardError, """
                /tmp/t/test.wds:35:69: error: evaluation nested too deeply (more than 1000 statements inside one another)
                 35 | \(indent)if true {
                    | \(indent)^~
                hint: does a function call itself without end? blocks and calls may nest 1000 deep

                """, command)
            XCTAssertEqual(result.standardOutput, "")
        }
    }

    func testAStringDoubledInALoopEndsWithADiagnostic() throws {
        // The address space is bounded too, so a regression fails fast instead of taking the machine's memory.
        let result = try ScriptRun.run("let s = \"x\"\nwhile true { s = \"$s$s\" }", setup: "ulimit -v 4000000")
        XCTAssertEqual(result.status, 1, result.standardError)
        XCTAssertEqual(result.standardError, """
            /tmp/t/test.wds:2:18: error: a value of 32 MiB is larger than wds's limit of 16 MiB
             2 | while true { s = "$s$s" }
               |                  ^~~~~~
            hint: does a loop keep doubling it? write large data to a file piece by piece with append-file

            """)
    }

    func testAmplifyingBuiltinsAreCheckedBeforeTheyAllocate() throws {
        let script = """
            let s = "x"
            for i in [1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20] { s = "$s$s" }
            try { let r = $(replace $s "x" $s) } catch e { echo "never: ${e.message}" }
            """
        let result = try ScriptRun.run(script, setup: "ulimit -v 4000000")
        XCTAssertEqual(result.status, 1, result.standardError)
        XCTAssertTrue(result.standardError.hasPrefix("/tmp/t/test.wds:3:17: error: a value of 1048576 MiB is larger than wds's limit of 16 MiB"),
                      result.standardError)
    }

    func testEndlessProgramOutputEndsWithADiagnostic() throws {
        let result = try ScriptRun.run("let y = $(run yes)\necho \"not reached\"", setup: "ulimit -v 4000000")
        XCTAssertEqual(result.status, 1, result.standardError)
        XCTAssertTrue(result.standardError.hasPrefix(
            "/tmp/t/test.wds:1:11: error: the output of 'yes' is larger than wds's limit on a value (16 MiB)"), result.standardError)
    }
}
