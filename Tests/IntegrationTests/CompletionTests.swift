import Foundation
import TestSupport
import XCTest

/// The completions `wds --generate-completion-script SHELL` writes, tried as a
/// user would: a real bash, zsh and fish in a terminal (util-linux `script`),
/// a line typed with Tabs, then Enter. `wds` on that PATH is a stand-in that
/// prints the words it was given, so each case reads what the completed line
/// really was. The folder the shells run in holds scripts/demo.wds,
/// scripts/notes.txt, folder/inner.wds, folder/readme.txt and saved.state.
final class CompletionTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else {
            throw XCTSkip("util-linux `script` is needed to give the shells a terminal")
        }
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("wds-completion-\(UUID().uuidString)")
        let manager = FileManager.default
        for path in ["bin", "scripts", "folder", "zsh", "home"] {
            try manager.createDirectory(at: folder.appendingPathComponent(path), withIntermediateDirectories: true)
        }
        for path in ["scripts/demo.wds", "scripts/notes.txt", "folder/inner.wds", "folder/readme.txt", "saved.state"] {
            try "".write(to: folder.appendingPathComponent(path), atomically: true, encoding: .utf8)
        }
        let standIn = folder.appendingPathComponent("bin/wds")
        try "#!/bin/sh\nprintf 'ARGS:'; printf ' [%s]' \"$@\"; echo\n".write(to: standIn, atomically: true, encoding: .utf8)
        try manager.setAttributes([.posixPermissions: 0o755], ofItemAtPath: standIn.path)
        for (shell, file) in [("bash", "wds.bash"), ("zsh", "zsh/_wds"), ("fish", "wds.fish")] {
            let result = Namespace.run([BuiltBinary.wds, "--generate-completion-script", shell])
            XCTAssertEqual(result.status, 0, result.standardError)
            try result.standardOutput.write(to: folder.appendingPathComponent(file), atomically: true, encoding: .utf8)
        }
    }

    override func tearDownWithError() throws {
        if let folder { try? FileManager.default.removeItem(at: folder) }
    }

    /// Types `setup`, then each line (Tabs included) and Enter; returns the stand-in's lines, "[a] [b]" each.
    func typed(in shell: String, _ lines: [String]) throws -> [String] {
        let command: String
        var setup: [String]
        switch shell {
        case "bash":
            command = "bash --norc --noprofile -i"
            setup = ["source wds.bash"]
        case "zsh":
            command = "zsh -f -i"
            // What `make install` tells a user whose PREFIX zsh does not search.
            setup = ["fpath=($PWD/zsh $fpath); autoload -U compinit && compinit -u -D"]
        default:
            command = "fish --no-config -i"
            setup = ["source wds.fish"]
        }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/\(shell)") else {
            throw XCTSkip("\(shell) is not installed (scripts/dev/install-deps installs it)")
        }
        setup.append("echo AR''GS: ready")  // quoted so that the echo of what was typed does not match
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        process.arguments = ["-q", "-e", "-c", command, "/dev/null"]
        process.currentDirectoryURL = folder
        let home = folder.appendingPathComponent("home").path
        process.environment = [
            "PATH": folder.appendingPathComponent("bin").path + ":/usr/bin:/bin", "HOME": home, "TERM": "xterm",
            "XDG_CONFIG_HOME": home, "XDG_DATA_HOME": home, "XDG_CACHE_HOME": home, "HISTFILE": "/dev/null",
            "PS1": "$ ", "INPUTRC": "/dev/null", "LC_ALL": "C.UTF-8",
        ]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
        Thread.sleep(forTimeInterval: 0.5)
        for line in setup + lines {
            input.fileHandleForWriting.write(Data((line + "\n").utf8))
            Thread.sleep(forTimeInterval: 0.3)
        }
        input.fileHandleForWriting.write(Data("exit\n".utf8))
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { process.terminate() }
        let screen = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        // The stand-in's own lines (and the markers echoed above): what was typed never holds "ARGS: ".
        let printed = screen.replacingOccurrences(of: "\r", with: "").split(separator: "\n").compactMap { line -> String? in
            guard let start = line.range(of: "ARGS: ") else { return nil }
            return String(line[start.upperBound...])
        }.filter { $0.hasPrefix("[") || $0 == "ready" }
        guard printed.first == "ready" else {
            XCTFail("\(shell) did not start or take the completion: \(screen)")
            return []
        }
        return Array(printed.dropFirst())
    }

    /// The same lines and the same completed words in every shell.
    static let cases: [(typed: String, words: String)] = [
        ("wds tr\tscripts/dem\t", "[trace] [scripts/demo.wds]"),
        ("wds scripts/dem\t", "[scripts/demo.wds]"),  // wds FILE is wds run FILE
        // .wds files and folders first: readme.txt is not offered beside inner.wds …
        ("wds check fold\t\t", "[check] [folder/inner.wds]"),
        // … but any file where no script matches, as a script need not end in .wds.
        ("wds fmt scripts/no\t", "[fmt] [scripts/notes.txt]"),
        ("wds run scripts/demo.wds scripts/n\t", "[run] [scripts/demo.wds] [scripts/notes.txt]"),
        ("wds trace --format js\t scripts/demo.wds", "[trace] [--format] [json] [scripts/demo.wds]"),
        ("wds trace --format=res\t x.wds", "[trace] [--format=restore] [x.wds]"),
        ("wds trace --state sav\t x.wds", "[trace] [--state] [saved.state] [x.wds]"),
        ("wds state -o sav\t x.wds", "[state] [-o] [saved.state] [x.wds]"),
        ("wds state --output sav\t x.wds", "[state] [--output] [saved.state] [x.wds]"),
        ("wds plan --out sav\t x.wds", "[plan] [--out] [saved.state] [x.wds]"),
        ("wds apply sav\t", "[apply] [saved.state]"),
        ("wds builtins mkd\t", "[builtins] [mkdir]"),
        ("wds builtins remove-e\t", "[builtins] [remove-empty-dirs]"),
        ("wds fmt --di\t x.wds", "[fmt] [--diff] [x.wds]"),
        ("wds check --color alw\t x.wds", "[check] [--color] [always] [x.wds]"),
    ]

    func assertCompletes(in shell: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let printed = try typed(in: shell, Self.cases.map { $0.typed })
        XCTAssertEqual(printed, Self.cases.map { $0.words }, file: file, line: line)
    }

    func testBashCompletes() throws { try assertCompletes(in: "bash") }
    func testZshCompletes() throws { try assertCompletes(in: "zsh") }
    func testFishCompletes() throws { try assertCompletes(in: "fish") }

    /// swift-argument-parser's script left a RETURN trap that reset shopt and set
    /// options after every later function call: after a completion, every
    /// option, shopt and trap is as the user set it.
    func testBashCompletionLeavesTheShellAsItWas() throws {
        let state = "$(shopt -p; set +o; trap -p)"
        let printed = try typed(in: "bash", [
            "set -o vi; shopt -s globstar; before=\(state)",
            "wds tr\tx.wds",
            "f() { :; }; f; after=\(state); [ \"$before\" = \"$after\" ] && echo AR''GS: [same] || echo AR''GS: [changed]",
            "shopt -q globstar && [[ -o vi ]] && echo AR''GS: [vi globstar]",
        ])
        XCTAssertEqual(printed, ["[trace] [x.wds]", "[same]", "[vi globstar]"])
    }
}

/// The completions know the command line the parser knows: every subcommand
/// and option, the values --format takes, the builtins' names.
final class CompletionTableTests: XCTestCase {
    func script(_ shell: String) -> String {
        Namespace.run([BuiltBinary.wds, "--generate-completion-script", shell]).standardOutput
    }

    func testEverySubcommandAndOptionOfTheParserIsCompleted() throws {
        let dump = Namespace.run([BuiltBinary.wds, "--experimental-dump-help"])
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(dump.standardOutput.utf8)) as? [String: Any])
        let root = try XCTUnwrap(json["command"] as? [String: Any])
        let subcommands = try XCTUnwrap(root["subcommands"] as? [[String: Any]])
        let bash = script("bash"), zsh = script("zsh"), fish = script("fish")
        var seen = 0
        for command in subcommands where command["shouldDisplay"] as? Bool != false {
            let name = try XCTUnwrap(command["commandName"] as? String)
            var options: [String] = []
            // Hidden options (`--no-header`, for wds's own use) are not offered.
            for argument in command["arguments"] as? [[String: Any]] ?? []
            where argument["kind"] as? String != "positional" && argument["shouldDisplay"] as? Bool != false {
                for entry in argument["names"] as? [[String: Any]] ?? [] {
                    guard let word = entry["name"] as? String, word != "version", word != "help" || name != "help" else { continue }
                    options.append((entry["kind"] as? String == "short" ? "-" : "--") + word)
                }
            }
            // bash: the subcommand's case offers exactly its options (and -h, --help).
            let bashLine = try XCTUnwrap(bash.range(of: "    \(name))\n      if [[ ").map { bash[$0.upperBound...] }, name)
            let offered = bashLine.split(separator: "\n")[0].components(separatedBy: "_wds_add -W '")[1].split(separator: "'")[0]
            XCTAssertEqual(Set(offered.split(separator: " ").map(String.init)), Set(options + ["-h", "--help"]), "bash, \(name)")
            // zsh and fish: each option in the subcommand's part.
            let zshPart = try XCTUnwrap(zsh.components(separatedBy: "        (\(name))\n").dropFirst().first, "zsh, \(name)")
                .components(separatedBy: ";;")[0]
            for option in options {
                XCTAssertTrue(zshPart.contains("\(option)[") || zshPart.contains("\(option)=[") || zshPart.contains("\(option)+["),
                              "zsh, \(name): \(option)")
                let fishOption = option.hasPrefix("--") ? "-l \(option.dropFirst(2))" : "-s \(option.dropFirst())"
                XCTAssertTrue(fish.contains("complete -c wds -n '__wds_command_is \(name)'") &&
                              fish.split(separator: "\n").contains { $0.contains("'__wds_command_is \(name)'") && $0.contains(fishOption) },
                              "fish, \(name): \(option)")
            }
            if name != "help" {
                XCTAssertTrue(fish.contains("-a \(name) -d "), "fish offers \(name)")
                XCTAssertTrue(zsh.contains("'\(name):"), "zsh offers \(name)")
            }
            seen += 1
        }
        XCTAssertEqual(seen, 13, "the displayed subcommands, help included")
    }

    func testEveryCompletedFormatAndBuiltinIsAccepted() throws {
        let bash = script("bash")
        let formats = try XCTUnwrap(bash.components(separatedBy: "--format) _wds_add -W '").dropFirst().first?.split(separator: "'").first)
        XCTAssertEqual(formats, "text json restore nft")
        let path = try Namespace.temporaryScript("echo hello\n")
        for format in formats.split(separator: " ") {
            let result = Namespace.run([BuiltBinary.wds, "trace", "--format", String(format), path])
            XCTAssertEqual(result.status, 0, "--format \(format): \(result.standardError)")
        }
        let builtins = try XCTUnwrap(bash.components(separatedBy: "((positionals == 0)) && _wds_add -W '").dropFirst().first?.split(separator: "'").first)
        let names = builtins.split(separator: " ")
        XCTAssertGreaterThan(names.count, 30)
        for name in names {
            XCTAssertEqual(Namespace.run([BuiltBinary.wds, "builtins", String(name)]).status, 0, "wds builtins \(name)")
        }
    }
}
