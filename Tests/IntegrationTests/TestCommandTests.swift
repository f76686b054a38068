import Foundation
import TestSupport
import XCTest

/// The README's test command counts what it ran honestly: a skipped XCTest
/// (which SwiftPM's xunit file records as passed) and a skipped check script
/// are counted as skipped, and scripts/dev/test fails them where they could have run.
final class TestCommandTests: XCTestCase {
    static let results = Repository.root.appendingPathComponent("scripts/dev/xctest-results").path
    static let sample = Repository.root.appendingPathComponent("Tests/Fixtures/xctest")

    func testCountsTakeSkipsFromTheLogNotTheXunitFile() throws {
        let log = Self.sample.appendingPathComponent("sample.log").path
        let xml = Self.sample.appendingPathComponent("sample.xml").path
        let result = Namespace.run([Self.results, "count", log, xml])
        XCTAssertEqual(result.status, 0, result.standardError)
        XCTAssertEqual(result.standardOutput, "1 2 1\nZzSampleTests.testSkips: a reason for the skip\n")
    }

    func testTheConsoleShowsWhatFailedOrDiedAndNotWhatPassed() throws {
        let log = try String(contentsOf: Self.sample.appendingPathComponent("sample.log"), encoding: .utf8)
        let result = try run([Self.results, "console"], input: log)
        XCTAssertEqual(result.status, 0, result.standardError)
        let shown = result.standardOutput
        XCTAssertTrue(shown.contains("[4/4] Testing LexerTests.ZzSampleTests/testPasses\n"), shown)
        XCTAssertTrue(shown.contains("testFails : failed - a failure message\nover two lines\n"), shown)
        XCTAssertTrue(shown.contains("Test Case 'ZzSampleTests.testDies' started"), shown)
        XCTAssertTrue(shown.contains("(the test process died here)"), shown)
        XCTAssertFalse(shown.contains("a line a passing test printed"), shown)
        XCTAssertFalse(shown.contains("swift-frontend"), "the verbose manifest build: \(shown)")
    }

    /// Without root each check script says why and exits 77, which scripts/dev/test
    /// counts as skipped (exit 0 was once counted as passed). A user namespace
    /// gives this root-run test an unprivileged view (`id -u` is 65534).
    func testCheckScriptsSkipWithStatus77WithoutRoot() throws {
        let checks = ["contrib/ansible/test.sh", "scripts/dev/concurrency --quick", "scripts/dev/crash-consistency --quick",
                      "scripts/bench/iptables.sh --quick"]
        var prefix = ["env", "WDS=/bin/true"]
        if getuid() == 0 {
            guard Namespace.run(["unshare", "--user", "true"]).status == 0 else {
                throw XCTSkip("unshare --user is not allowed here, so root cannot look unprivileged")
            }
            prefix = ["unshare", "--user"] + prefix
        }
        for check in checks {
            let words = check.split(separator: " ").map(String.init)
            let path = Repository.root.appendingPathComponent(words[0]).path
            let result = Namespace.run(prefix + [path] + words.dropFirst())
            XCTAssertEqual(result.status, 77, "\(check): \(result.standardOutput)\(result.standardError)")
            XCTAssertTrue((result.standardOutput + result.standardError).contains("skipped: needs root"),
                          "\(check): \(result.standardOutput)\(result.standardError)")
        }
    }

    func run(_ argv: [String], input: String) throws -> Namespace.Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: argv[0])
        process.arguments = Array(argv.dropFirst())
        let stdin = Pipe(), out = Pipe(), err = Pipe()
        process.standardInput = stdin
        process.standardOutput = out
        process.standardError = err
        try process.run()
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try stdin.fileHandleForWriting.close()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Namespace.Result(status: process.terminationStatus, standardOutput: String(decoding: outData, as: UTF8.self),
                                standardError: String(decoding: errData, as: UTF8.self))
    }
}
