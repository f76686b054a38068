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

    /// `wds --verison` names the unknown option (the parser, trying the default
    /// `run`, used to ask for a missing `<file>`); the options `run` takes still work there.
    func testAnUnknownTopLevelOptionIsReportedAsSuch() throws {
        for argv in [["--verison"], ["--verison", "x.wds"]] {
            let result = Namespace.run([Namespace.wdsBinary] + argv)
            XCTAssertEqual(result.status, 2)
            XCTAssertEqual(result.standardError, """
                Error: Unknown option '--verison' (did you mean '--version'?)
                Usage: wds <subcommand>
                  See 'wds --help' for more information.

                """)
        }
        let script = try Namespace.temporaryScript("echo ran\n")
        for argv in [["--no-batch", script], ["--color=never", script], ["--color", "never", script]] {
            let result = Namespace.run([Namespace.wdsBinary] + argv)
            XCTAssertEqual(result.standardOutput, "ran\n", "\(argv): \(result.standardError)")
        }
    }

    /// Every "cannot read" says why: a missing file, a folder, a file the user may not read.
    func testEveryCannotReadSaysWhy() throws {
        let folder = URL(fileURLWithPath: try Namespace.temporaryScript("source locked.wds\n", name: "sources.wds"))
            .deletingLastPathComponent()
        let locked = folder.appendingPathComponent("locked.wds").path
        try "echo secret\n".write(toFile: locked, atomically: true, encoding: .utf8)
        chmod(locked, 0)
        let missing = folder.appendingPathComponent("missing").path
        var unprivileged: [String] = []
        if getuid() == 0 {
            guard Namespace.run(["unshare", "--user", "true"]).status == 0 else {
                throw XCTSkip("unshare --user is not allowed here, so root cannot look unprivileged")
            }
            unprivileged = ["unshare", "--user"]  // id 65534: the owner's bits (none) apply, root's override does not
        }
        let cases: [([String], String)] = [
            (["check", missing], "cannot read script '\(missing)': No such file or directory"),
            (["check", folder.path], "cannot read script '\(folder.path)': Is a directory"),
            (unprivileged + [Namespace.wdsBinary, "check", locked], "cannot read script '\(locked)': Permission denied"),
            (unprivileged + [Namespace.wdsBinary, "check", folder.appendingPathComponent("sources.wds").path],
             "cannot read sourced file '\(locked)': Permission denied"),
            (["trace", "--state", missing, locked], "cannot read state file '\(missing)': No such file or directory"),
            (["fmt", folder.path + "/missing.wds"], "cannot read '\(folder.path)/missing.wds': No such file or directory"),
            (["apply", folder.path], "cannot read plan '\(folder.path)': Is a directory"),
        ]
        for (argv, message) in cases {
            let full = argv.first == "unshare" ? argv : [Namespace.wdsBinary] + argv
            let result = Namespace.run(full)
            XCTAssertEqual(result.status, 2, "\(argv)")
            XCTAssertTrue(result.standardError.contains(message), "\(argv): \(result.standardError)")
        }
    }

    /// An unknown builtin is a usage error of `wds builtins`, with its usage.
    func testBuiltinsWithAnUnknownNamePrintsItsUsage() {
        let result = Namespace.run([Namespace.wdsBinary, "builtins", "mkdri"])
        XCTAssertEqual(result.status, 2)
        XCTAssertEqual(result.standardError, """
            Error: no builtin named 'mkdri' (did you mean 'mkdir'?)
            Usage: wds builtins [--markdown] [<name>] [<subcommand>]
              See 'wds builtins --help' for more information.

            """)
    }

    /// `wds builtins rule append` (or `"rule append"`, as the REPL spells it)
    /// is that one subcommand's reference; a wrong subcommand names the family's.
    func testBuiltinsOfOneSubcommand() {
        for argv in [["builtins", "rule", "append"], ["builtins", "rule append"]] {
            let result = Namespace.run([Namespace.wdsBinary] + argv)
            XCTAssertEqual(result.status, 0, "\(argv): \(result.standardError)")
            XCTAssertTrue(result.standardOutput.hasPrefix("  rule append "), "\(argv): \(result.standardOutput)")
            XCTAssertFalse(result.standardOutput.contains("rule insert"), "\(argv): only the one subcommand")
        }
        let wrong = Namespace.run([Namespace.wdsBinary, "builtins", "rule", "apend"])
        XCTAssertEqual(wrong.status, 2)
        XCTAssertTrue(wrong.standardError.hasPrefix("Error: 'rule' has no subcommand 'apend' (did you mean 'append'?); it has append,"),
                      wrong.standardError)
        let single = Namespace.run([Namespace.wdsBinary, "builtins", "mkdir", "x"])
        XCTAssertEqual(single.status, 2)
        XCTAssertTrue(single.standardError.hasPrefix("Error: 'mkdir' is a builtin of its own, without subcommands"), single.standardError)
    }

    /// wds's own parser (Sources/CLI/CommandLine), driven by the command table:
    /// `--opt value` and `--opt=value`, `--` and a script's own arguments,
    /// the usage errors and their status 2, help from the table.
    func testTheParserTakesWhatTheTableDeclares() throws {
        let script = try Namespace.temporaryScript("echo \"args: $(join $args \",\")\"\n")
        let wds = Namespace.wdsBinary
        for argv in [["trace", "--format", "json", script], ["trace", "--format=json", script], ["trace", "--", script]] {
            let result = Namespace.run([wds] + argv)
            XCTAssertEqual(result.status, 0, "\(argv): \(result.standardError)")
        }
        XCTAssertTrue(Namespace.run([wds, "trace", "--format=json", script]).standardOutput.hasPrefix("{"))
        // After the script, every word is the script's, options and `--` included.
        XCTAssertEqual(Namespace.run([wds, "run", script, "--format", "--", "-x"]).standardOutput, "args: --format,--,-x\n")
        XCTAssertEqual(Namespace.run([wds, "run", "--", script, "-x"]).standardOutput, "args: -x\n")
        let errors: [([String], String)] = [
            (["trace", "--formt", "json", script], "Error: Unknown option '--formt' (did you mean '--format'?)\n"),
            (["trace", "--format"], "Error: Missing value for '--format <format>'\n"),
            (["check", "--format", "xml", script], "Error: The value 'xml' is invalid for '--format <format>'. Please provide one of 'text', 'json' or 'sarif'.\n"),
            (["state", script], "Error: Missing expected argument '--output <output>'\n"),
            (["trace"], "Error: Missing expected argument '<file>'\nHelp:  <file>  The script to run (`-` for standard input).\n"),
            (["show", "a", "b"], "Error: Unexpected argument 'b'\n"),
            (["fmt", "--check=yes", script], "Error: The flag '--check' takes no value\n"),
        ]
        for (argv, message) in errors {
            let result = Namespace.run([wds] + argv)
            XCTAssertEqual(result.status, 2, "\(argv)")
            XCTAssertTrue(result.standardError.hasPrefix(message), "\(argv): \(result.standardError)")
            XCTAssertTrue(result.standardError.contains("\nUsage: wds \(argv[0]) "), "\(argv): \(result.standardError)")
            XCTAssertTrue(result.standardError.hasSuffix("  See 'wds \(argv[0]) --help' for more information.\n"), result.standardError)
        }
        // Help: the usage line, the arguments and the options with their help and defaults; `wds help X` is `wds X --help`.
        let help = Namespace.run([wds, "trace", "--help"])
        XCTAssertEqual(help.status, 0)
        for line in ["OVERVIEW: Check a script, then print every effect it would have, changing\nnothing.\n",
                     "USAGE: wds trace [--format <format>] [--no-batch] [--state <state>] [--run-probes] [--color <color>] <file> [<arguments> ...]\n",
                     "ARGUMENTS:\n  <file>                  The script to run (`-` for standard input).\n",
                     "  --state <state>         Answer the script's probes from this state file (see\n",
                     "(values: auto, always, never;", "  -h, --help              Show help information.\n"] {
            XCTAssertTrue(help.standardOutput.contains(line), "\(line) in \(help.standardOutput)")
        }
        XCTAssertFalse(help.standardOutput.contains("--no-header"), "a hidden option is not shown")
        XCTAssertEqual(Namespace.run([wds, "help", "trace"]).standardOutput, help.standardOutput)
        XCTAssertEqual(Namespace.run([wds, "trace", "--version"]).standardOutput, Namespace.run([wds, "--version"]).standardOutput)
        let root = Namespace.run([wds, "--help"]).standardOutput
        XCTAssertTrue(root.contains("  run (default)           Check a script, then run it for real on this host.\n"), root)
        XCTAssertFalse(root.contains("sandbox-inner") || root.contains("  manual"), "internal commands are not listed")
    }

    /// `check -` and `trace -` read the script from standard input, as `fmt -` does.
    func testCheckAndTraceReadStandardInput() {
        let wds = Namespace.shellQuote(Namespace.wdsBinary)
        var result = Namespace.run(["sh", "-c", "echo 'ech hi' | \(wds) check -"])
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.standardError.hasPrefix("<stdin>:1:1: error: unknown command 'ech'"), result.standardError)
        result = Namespace.run(["sh", "-c", "echo 'echo hi' | \(wds) check -"])
        XCTAssertEqual(result.status, 0, result.standardError)
        result = Namespace.run(["sh", "-c", "echo 'write-file /tmp/x.txt hi' | \(wds) trace -"])
        XCTAssertEqual(result.status, 0, result.standardError)
        XCTAssertEqual(result.standardOutput, "#!/bin/bash\nprintf %s hi > /tmp/x.txt  # <stdin>:1\n")
    }

    /// Diagnostics and `fmt --diff` are coloured on a terminal, not in a pipe, not
    /// with NO_COLOR or TERM=dumb, and as --color says whatever the output is.
    func testColourOnATerminalAsAskedAndAsNoColorSays() throws {
        let bad = try Namespace.temporaryScript("ech hi\n")
        let escape = "\u{1B}["
        func inTerminal(_ argv: [String], _ environment: [String: String] = [:]) -> String {
            let command = argv.map(Namespace.shellQuote).joined(separator: " ")
            var env = ["TERM": "xterm", "NO_COLOR": ""]
            for (key, value) in environment { env[key] = value }
            return Namespace.run(["script", "-q", "-e", "-c", command, "/dev/null"], environment: env).standardOutput
        }
        let coloured = inTerminal([Namespace.wdsBinary, "check", bad])
        XCTAssertTrue(coloured.contains("\(escape)1;31merror:\(escape)0m"), coloured)
        XCTAssertTrue(coloured.contains("\(escape)1;32m^~~\(escape)0m"), coloured)
        XCTAssertFalse(inTerminal([Namespace.wdsBinary, "check", bad], ["NO_COLOR": "1"]).contains(escape))
        XCTAssertFalse(inTerminal([Namespace.wdsBinary, "check", bad], ["TERM": "dumb"]).contains(escape))
        XCTAssertFalse(inTerminal([Namespace.wdsBinary, "check", "--color=never", bad]).contains(escape))
        XCTAssertTrue(inTerminal([Namespace.wdsBinary, bad]).contains(escape), "wds FILE colours too")
        // In a pipe: plain, unless --color=always (which NO_COLOR does not override).
        XCTAssertEqual(Namespace.run([Namespace.wdsBinary, "check", bad]).standardError.contains(escape), false)
        let always = Namespace.run([Namespace.wdsBinary, "check", "--color=always", bad], environment: ["NO_COLOR": "1"])
        XCTAssertTrue(always.standardError.hasPrefix("\(escape)1m\(bad):1:1:\(escape)0m \(escape)1;31merror:"), always.standardError)
        // fmt --diff: removals red, additions green.
        let messy = try Namespace.temporaryScript("if $ok {\necho   yes\n}\n")
        let diff = Namespace.run([Namespace.wdsBinary, "fmt", "--diff", "--color=always", messy]).standardOutput
        XCTAssertTrue(diff.contains("\(escape)31m-echo   yes\(escape)0m\n\(escape)32m+  echo yes\(escape)0m\n"), diff)
        XCTAssertFalse(Namespace.run([Namespace.wdsBinary, "fmt", "--diff", messy]).standardOutput.contains(escape))
    }

    /// Help text wraps at the terminal's width: no discussion breaks a line
    /// inside a paragraph (the parser wraps each paragraph itself), so a narrow
    /// terminal shows no ragged half-lines.
    func testHelpTextHasNoHardLineBreaksInsideAParagraph() throws {
        let dump = Namespace.run([Namespace.wdsBinary, "--experimental-dump-help"])
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(dump.standardOutput.utf8)) as? [String: Any])
        var commands = [try XCTUnwrap(json["command"] as? [String: Any])]
        var checked = 0
        while let command = commands.popLast() {
            commands += command["subcommands"] as? [[String: Any]] ?? []
            let name = command["commandName"] as? String ?? "?"
            var texts = [command["discussion"] as? String ?? ""]
            for argument in command["arguments"] as? [[String: Any]] ?? [] {
                texts += [argument["abstract"] as? String ?? "", argument["discussion"] as? String ?? ""]
            }
            for text in texts {
                for paragraph in text.components(separatedBy: "\n\n") {
                    XCTAssertFalse(paragraph.contains("\n"), "\(name): a line break inside a paragraph: \(paragraph.debugDescription)")
                }
            }
            checked += 1
        }
        XCTAssertGreaterThan(checked, 10)
        let narrow = Namespace.run([Namespace.wdsBinary, "--help"], environment: ["COLUMNS": "60"]).standardOutput
        XCTAssertTrue(narrow.contains("usage or check error (nothing ran), 3 a lock timed out"), narrow)
    }
}
