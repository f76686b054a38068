import Foundation
import TestSupport
import XCTest

/// Drives the real `wds repl` through a pseudo-terminal (util-linux `script`
/// gives it one), typing keys the way a person would: prompts, a statement,
/// an error and the session going on, history on the up arrow, completion on
/// Tab, a block over several lines, Ctrl-C, and the history file.
final class ReplTerminalTests: XCTestCase {
    var home: URL!

    override func setUpWithError() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else {
            throw XCTSkip("util-linux `script` is needed to give the REPL a terminal")
        }
        home = FileManager.default.temporaryDirectory.appendingPathComponent("wds-repl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: home)
    }

    static var wdsBinary: String { BuiltBinary.wds }

    /// Types each chunk after a pause (so readline sees keys as a person types them); returns what the terminal showed.
    func session(_ chunks: [String], arguments: [String] = ["--run"], inNamespace setup: String? = nil) throws -> String {
        let process = Process()
        let command = ([Self.wdsBinary, "repl"] + arguments).map { "'\($0)'" }.joined(separator: " ")
        if let setup {
            // The terminal (script) inside a throwaway network namespace prepared by `setup`.
            process.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
            process.arguments = ["--net", "--mount", "--propagation", "private", "sh", "-c",
                                 "\(setup) && exec /usr/bin/script -q -e -c \"\(command)\" /dev/null"]
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
            process.arguments = ["-q", "-e", "-c", command, "/dev/null"]
        }
        process.environment = [
            "HOME": home.path, "TERM": "dumb", "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
            "WDS_HISTORY": home.appendingPathComponent("history").path, "INPUTRC": "/dev/null",
        ]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
        Thread.sleep(forTimeInterval: 0.5)
        for chunk in chunks {
            input.fileHandleForWriting.write(Data(chunk.utf8))
            Thread.sleep(forTimeInterval: 0.3)
        }
        input.fileHandleForWriting.write(Data(":quit\n".utf8))
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { process.terminate() }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        return String(decoding: data, as: UTF8.self).replacingOccurrences(of: "\r", with: "")
    }

    func testPromptStatementAndValue() throws {
        let screen = try session(["let x = $(add 2 3)\n", "echo \"x is $x\"\n"])
        XCTAssertTrue(screen.contains("wds[run]> "), screen)
        XCTAssertTrue(screen.contains("\nx is 5\n"), screen)
    }

    func testAnErrorShowsItsDiagnosticAndTheSessionGoesOn() throws {
        let screen = try session(["ech hello\n", "echo still here\n"])
        XCTAssertTrue(screen.contains("repl:1:1: error: unknown command 'ech'"), screen)
        XCTAssertTrue(screen.contains(" 1 | ech hello\n   | ^~~\nhint: did you mean 'echo'?"), screen)
        XCTAssertTrue(screen.contains("\nstill here\n"), screen)
    }

    func testTheUpArrowRecallsHistory() throws {
        let screen = try session(["echo recalled\n", "\u{1B}[A\n"])
        XCTAssertEqual(screen.components(separatedBy: "\nrecalled\n").count - 1, 2, screen)
    }

    func testTabCompletesABuiltinAndItsSubcommand() throws {
        let screen = try session(["has-pre\tabc a\n", "sysctl s\t\n"])
        XCTAssertTrue(screen.contains("has-prefix abc a"), screen)
        XCTAssertTrue(screen.contains("\ntrue\n"), screen)
        // `sysctl s<Tab>` completes to the only subcommand starting with s.
        XCTAssertTrue(screen.contains("sysctl set "), screen)
    }

    /// Completion reads live names from the host: the chains of the ruleset here.
    func testTabCompletesLiveChainNames() throws {
        guard getuid() == 0 else { throw XCTSkip("needs root for a network namespace with its own ruleset") }
        let screen = try session(["chain exists wds-compl\t\n"], arguments: ["--trace"],
                                 inNamespace: "iptables -N wds-completion-test")
        XCTAssertTrue(screen.contains("chain exists wds-completion-test"), screen)
        XCTAssertTrue(screen.contains("\ntrue\n"), screen)
    }

    /// nftables names complete from the host too: the family from its choices, then tables and chains.
    func testTabCompletesLiveNftablesNames() throws {
        guard getuid() == 0 else { throw XCTSkip("needs root for a network namespace with its own ruleset") }
        let screen = try session(["nft-chain exists in\twds-compl\twds-completion-chai\t\n"], arguments: ["--trace"],
                                 inNamespace: "nft add table inet wds-completion && nft add chain inet wds-completion wds-completion-chain")
        XCTAssertTrue(screen.contains("nft-chain exists inet wds-completion wds-completion-chain"), screen)
        XCTAssertTrue(screen.contains("\ntrue\n"), screen)
    }

    func testABlockContinuesOnASecondPrompt() throws {
        let screen = try session(["for n in [1 2] {\n", "  echo \"n=$n\"\n", "}\n"])
        XCTAssertTrue(screen.contains("...> "), screen)
        XCTAssertTrue(screen.contains("\nn=1\nn=2\n"), screen)
    }

    func testControlCAbandonsTheLine() throws {
        let screen = try session(["echo abandoned", "\u{03}", "echo kept\n"])
        XCTAssertTrue(screen.contains("\nkept\n"), screen)
        XCTAssertFalse(screen.contains("\nabandoned\n"), screen)
    }

    func testHistoryIsSavedWithoutDuplicates() throws {
        _ = try session(["echo one\n", "echo two\n", "echo one\n"])
        let saved = try String(contentsOf: home.appendingPathComponent("history"), encoding: .utf8)
        XCTAssertEqual(saved.split(separator: "\n").filter { !$0.hasPrefix("#") }, ["echo two", "echo one", ":quit"])
        // A second session sees the first one's history.
        let screen = try session(["\u{1B}[A\u{1B}[A\n"])
        XCTAssertTrue(screen.contains("\none\n"), screen)
    }

    func testWithoutATerminalItReadsStatementsWithoutPrompts() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.wdsBinary)
        process.arguments = ["repl", "--run"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(Data("let a = [x y]\nfor i in $a {\n  echo $i\n}\nnope\necho end\n".utf8))
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(text, "x\ny\nend\n")
    }
}
