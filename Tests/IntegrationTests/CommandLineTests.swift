import Foundation
import XCTest

/// The built binary's command line, end to end.
final class CommandLineTests: XCTestCase {
    /// `wds NAME` runs the subcommand NAME, never a script called NAME: the fast
    /// path for `wds FILE` must know every subcommand the parser knows.
    func testEverySubcommandNameReachesItsSubcommand() throws {
        let help = Namespace.run([Namespace.wdsBinary, "--help"])
        let section = try XCTUnwrap(help.standardOutput.components(separatedBy: "SUBCOMMANDS:\n").last)
        let names = section.split(separator: "\n").compactMap { line -> String? in
            let trimmed = line.drop(while: { $0 == " " })
            guard line.hasPrefix("  "), !line.hasPrefix("      "), let word = trimmed.split(separator: " ").first else { return nil }
            return String(word)
        }.filter { $0 != "See" }
        XCTAssertTrue(names.contains("run") && names.contains("plan") && names.contains("fmt"), "\(names)")
        for name in names + ["manual", "sandbox-inner"] {
            let result = Namespace.run(["sh", "-c", "\(Namespace.shellQuote(Namespace.wdsBinary)) \(name) </dev/null"])
            XCTAssertFalse(result.standardError.contains("cannot read script"), "`wds \(name)` was taken for a script: \(result.standardError)")
        }
    }

    func testAScriptRunsWithAndWithoutTheRunWord() throws {
        let script = try Namespace.temporaryScript("echo \"args: $(join $args \",\")\"\nexit 3\n")
        for argv in [[Namespace.wdsBinary, script, "a", "-b"], [Namespace.wdsBinary, "run", script, "a", "-b"]] {
            let result = Namespace.run(argv)
            XCTAssertEqual(result.standardOutput, "args: a,-b\n", result.standardError)
            XCTAssertEqual(result.status, 3)
        }
    }
}
