import ArgumentParser
import Backends
import Builtins
import Driver
import Interpreter
import Lexer

#if canImport(Glibc)
import Glibc
#endif

/// The `wds` command line: thin wrappers over `Driver`.
struct WDS: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "wds",
        abstract: "Prepare container hosts with checked, traceable scripts.",
        // One line per paragraph (a trailing \ joins source lines): the parser wraps it at the terminal's width.
        discussion: """
            `wds FILE [ARGS…]` is `wds run FILE [ARGS…]`, so a script may start with `#!/usr/bin/env wds`.

            Exit status: 0 success, 1 a failure while running, 2 a usage or check error (nothing ran), \
            3 a lock timed out, 4 a program is missing, 5 the kernel refused, 6 no space; `exit N` gives N. \
            `wds plan` and `wds verify` exit 10 when the host differs from what the script would make.
            """,
        version: version,
        subcommands: [Run.self, Trace.self, Check.self, FormatCommand.self, State.self, PlanCommand.self, ApplyCommand.self, VerifyCommand.self, ReplCommand.self, Help.self, Manual.self, SandboxInner.self],
        defaultSubcommand: Run.self
    )
}

extension WDS {
    /// The subcommands' names, known without building the parser's command
    /// tree (the fast path in main.swift); `wds --help` lists the same.
    static let subcommandNames: Set<String> = [
        "run", "trace", "check", "fmt", "state", "plan", "apply", "verify", "repl", "builtins", "manual", "sandbox-inner",
    ]
}

func processEnvironment() -> [String: String] {
    var result: [String: String] = [:]
    var pointer = environ
    while let entry = pointer.pointee {
        let text = String(cString: entry)
        if let equals = text.firstIndex(of: "=") {
            result[String(text[..<equals])] = String(text[text.index(after: equals)...])
        }
        pointer += 1
    }
    return result
}

