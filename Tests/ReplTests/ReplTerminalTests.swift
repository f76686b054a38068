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
    func session(_ chunks: [String], arguments: [String] = ["--run"], inNamespace setup: String? = nil,
                 wrapper: String = "", raw: Bool = false, term: String = "dumb") throws -> String {
        let process = Process()
        let command = ([Self.wdsBinary, "repl"] + arguments).map { "'\($0)'" }.joined(separator: " ") + wrapper
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
            "HOME": home.path, "TERM": term, "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
            "WDS_HISTORY": home.appendingPathComponent("history").path, "INPUTRC": "/dev/null",
        ]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
        Thread.sleep(forTimeInterval: 0.5)
        // The session may have ended (`exit`) before all is typed: a write then fails, and must not kill the test.
        signal(SIGPIPE, SIG_IGN)
        for chunk in chunks {
            try? input.fileHandleForWriting.write(contentsOf: Data(chunk.utf8))
            Thread.sleep(forTimeInterval: 0.3)
        }
        try? input.fileHandleForWriting.write(contentsOf: Data(":quit\n".utf8))
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { process.terminate() }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let text = String(decoding: data, as: UTF8.self)
        return raw ? text : text.replacingOccurrences(of: "\r", with: "")
    }

    func testPromptStatementAndValue() throws {
        let screen = try session(["let x = $(add 2 3)\n", "echo \"x is $x\"\n"])
        XCTAssertTrue(screen.contains("wds[run]> "), screen)
        XCTAssertTrue(screen.contains("\nx is 5\n"), screen)
    }

    func testAnErrorShowsItsDiagnosticAndTheSessionGoesOn() throws {
        let screen = try session(["echo first\n", "ech hello\n", "echo still here\n"])
        // The location names the entry: the second of the session.
        XCTAssertTrue(screen.contains("repl[2]:1:1: error: unknown command 'ech'"), screen)
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

    /// Tab inside a string and inside `$(`: readline's words end at quotes and
    /// brackets and keep their `$`; no space is added inside the string.
    func testTabCompletesVariablesInStringsAndCommandsInSubstitutions() throws {
        let screen = try session(["let name = \"x y\"\n", "echo \"hi $na\t!\"\n", "echo $(basen\t/a/b)\n",
                                  "sysctl get kernel.ostyp\t\n"])
        XCTAssertTrue(screen.contains("\nhi x y!\n"), screen)
        XCTAssertTrue(screen.contains("\nb\n"), screen)
        XCTAssertTrue(screen.contains("\nLinux\n"), screen)
    }

    /// Completion reads live names from the host: the chains of the ruleset here.
    func testTabCompletesLiveChainNames() throws {
        guard getuid() == 0 else { throw XCTSkip("needs root for a network namespace with its own ruleset") }
        let screen = try session(["chain exists wds-compl\t\n"], arguments: ["--trace"],
                                 inNamespace: "iptables -N wds-completion-test")
        XCTAssertTrue(screen.contains("chain exists wds-completion-test"), screen)
        XCTAssertTrue(screen.contains("\ntrue\n"), screen)
    }

    /// The network builtins complete, and so do the links and named namespaces they take.
    func testTabCompletesNetworkBuiltinsLinksAndNamespaces() throws {
        guard getuid() == 0 else { throw XCTSkip("needs root for a network namespace with links of its own") }
        let screen = try session(["link ex\twds-co\t\n", "link exists w-1-0 --net\tc-compl\t\n"], arguments: ["--trace"],
                                 inNamespace: "mount -t tmpfs none /run && ip link add name wds-compl-0 type veth peer name other-end && ip netns add c-completion")
        XCTAssertTrue(screen.contains("link exists wds-compl-0 \n"), screen.debugDescription)
        XCTAssertTrue(screen.contains("\ntrue\n"), screen)
        XCTAssertTrue(screen.contains("link exists w-1-0 --netns c-completion"), screen)
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

    /// Ctrl-C draws as in bash: "^C" after what was typed, then a new prompt on
    /// the next line (it used to be drawn over the start of the prompt).
    func testControlCDrawsLikeBash() throws {
        // xterm: readline turns bracketed paste off on the way out, with a carriage return.
        let screen = try session(["echo abc", "\u{03}", "echo kept\n"], raw: true, term: "xterm")
        XCTAssertTrue(screen.contains("> echo abc^C"), screen.debugDescription)
        XCTAssertFalse(screen.contains("\r^C"), "^C over the prompt: \(screen.debugDescription)")
    }

    func testHistoryIsSavedWithoutDuplicates() throws {
        _ = try session(["echo one\n", "echo two\n", "echo one\n"])
        let saved = try String(contentsOf: home.appendingPathComponent("history"), encoding: .utf8)
        XCTAssertEqual(saved.split(separator: "\n").filter { !$0.hasPrefix("#") }, ["echo two", "echo one", ":quit"])
        // A second session sees the first one's history.
        let screen = try session(["\u{1B}[A\u{1B}[A\n"])
        XCTAssertTrue(screen.contains("\none\n"), screen)
    }

    /// `exit N` typed at the prompt leaves with N.
    func testExitLeavesWithItsStatus() throws {
        let marker = home.appendingPathComponent("status").path
        let screen = try session(["exit 7\n"], wrapper: "; echo $? > \(marker)")
        XCTAssertEqual(try String(contentsOfFile: marker, encoding: .utf8), "7\n", screen)
    }

    func testWithoutATerminalItReadsStatementsWithoutPrompts() throws {
        let result = try piped("let a = [x y]\nfor i in $a {\n  echo $i\n}\necho end\n")
        XCTAssertEqual(result.output, "x\ny\nend\n")
        XCTAssertEqual(result.status, 0)
    }

    /// Piped input stops at the first entry that fails, with its status, as
    /// psql's ON_ERROR_STOP does; --keep-going goes on and ends with the last failure's.
    func testPipedInputStopsAtTheFirstFailureUnlessToldToGoOn() throws {
        var result = try piped("echo one\nnope\necho two\n")
        XCTAssertEqual(result.output, "one\n")
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.error.hasPrefix("repl[2]:1:1: error: unknown command 'nope'"), result.error)
        result = try piped("echo one\nfail --status 5 no\necho two\n", arguments: ["--run", "--keep-going"])
        XCTAssertEqual(result.output, "one\ntwo\n")
        XCTAssertEqual(result.status, 5)
        XCTAssertEqual(try piped("echo one\nexit 4\necho two\n").status, 4)
    }

    /// Input that ends inside a block is an error, not silently dropped.
    func testPipedInputEndingInsideABlockIsAnError() throws {
        let result = try piped("echo one\nif true {\n  echo two\n")
        XCTAssertEqual(result.output, "one\n")
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.error.contains("repl[2]:3:1: error: expected '}' to close 'if' from line 1"), result.error)
    }

    /// A value alone shows it, rather than being a condition.
    func testABareValueShowsIt() throws {
        let result = try piped("let x = 5\n$x\n\"$x-$x\"\nlet ok = true\n$ok\n")
        XCTAssertEqual(result.output, "5\n5-5\ntrue\n", result.error)
    }

    /// An edit-and-reload loop: a new `def` replaces the old one, and `:load`
    /// runs a script twice, with `$script`, `$script_dir` and its arguments as a
    /// run has them; `exit` in it ends the script, not the session.
    func testRedefiningAndReloading() throws {
        let script = home.appendingPathComponent("lib.wds").path
        try "def greet() { return \"hello from $script_dir, $argc: $(join $args ,)\" }\nexit 3\n"
            .write(toFile: script, atomically: true, encoding: .utf8)
        let result = try piped("""
            def f() { return 1 }
            f
            def f() { return 2 }
            f
            :load \(script) a b
            greet
            :load \(script) c
            greet
            echo "$script $1"

            """, arguments: ["--run", "--keep-going"])
        XCTAssertEqual(result.output, """
            1
            2
            hello from \(home.path), 2: a,b
            hello from \(home.path), 1: c
            \(script) c

            """, result.error)
        XCTAssertEqual(result.error, "\(script) exited with status 3\n\(script) exited with status 3\n")
    }

    /// :help knows keywords and single subcommands; :history numbers the entries as the locations do.
    func testHelpAndHistory() throws {
        let result = try piped(":help while\n:help rule delete\necho a\necho b\n:history\n")
        XCTAssertTrue(result.output.hasPrefix("  while CONDITION { … }\n"), result.output)
        XCTAssertTrue(result.output.contains("  rule delete "), result.output)
        XCTAssertFalse(result.output.contains("rule append"), "one subcommand only: \(result.output)")
        XCTAssertTrue(result.output.hasSuffix("a\nb\n1  echo a\n2  echo b\n"), result.output)
    }

    func piped(_ text: String, arguments: [String] = ["--run"]) throws -> (status: Int32, output: String, error: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.wdsBinary)
        process.arguments = ["repl"] + arguments
        process.environment = ["HOME": home.path, "PATH": "/usr/bin:/bin"]
        let input = Pipe(), output = Pipe(), error = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = error
        try process.run()
        input.fileHandleForWriting.write(Data(text.utf8))
        try input.fileHandleForWriting.close()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
    }
}
