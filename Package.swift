// swift-tools-version:6.0
// wds: a small shell-like language for preparing container hosts.
// The targets follow the pipeline: Lexer → Interpreter (parser, checker,
// evaluator, effect seam) → HostSystem → Builtins → Backends (trace, system) → CLI.
import PackageDescription

let package = Package(
    name: "wds",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "wds", targets: ["wds"]),
    ],
    // No package dependencies: the command line is wds's own (Sources/CLI/CommandLine), so that no
    // Foundation module is linked into the binary and slows its start-up (docs/performance.md).
    targets: [
        .target(name: "Lexer"),
        // Exclusivity stays checked in every build: a tool that runs as root keeps Swift's
        // memory-safety checks, which cost the evaluator about 10 % (docs/performance.md).
        // The host model: effects, their results and coding, the Host and FamilyEffect protocols, the
        // formats every layer reads and writes (JSON, SHA-256, shell quoting). Below the interpreter,
        // so the language knows the host only through it.
        .target(name: "HostModel", dependencies: ["Lexer"]),
        .target(name: "Interpreter", dependencies: ["Lexer", "HostModel"]),
        // setns(2) and unshare(2), which Swift's Glibc module does not export.
        .target(name: "CNamespaces"),
        // An rtnetlink client (links, addresses, routes, network namespaces), in-process: no `ip` processes.
        .target(name: "Netlink", dependencies: ["CNamespaces"]),
        // What both the families' own effects and the backends need of the system: paths walked
        // without untrusted links (SafePath), errno messages and exit statuses, the one mountinfo parser.
        .target(name: "HostSystem", dependencies: ["Lexer", "Interpreter"]),
        .target(name: "Builtins", dependencies: ["Lexer", "Interpreter", "Netlink", "HostSystem"]),
        .target(name: "Backends", dependencies: ["Lexer", "Interpreter", "Netlink", "HostSystem"]),
        .target(name: "Driver", dependencies: ["Lexer", "Interpreter", "HostSystem", "Builtins", "Backends"]),
        // GNU readline (GPL-3.0-or-later), from Debian's libreadline-dev.
        .target(name: "CReadline", linkerSettings: [.linkedLibrary("readline")]),
        .target(name: "Repl", dependencies: ["Lexer", "Interpreter", "HostSystem", "Builtins", "Backends", "Driver", "CReadline"]),
        // `wds lsp`: the Language Server Protocol over stdio, on the parser, checker, completer and formatter.
        .target(name: "LanguageServer", dependencies: ["Lexer", "Interpreter", "Builtins", "Driver", "Repl"]),
        .executableTarget(
            name: "wds",
            dependencies: [
                "Lexer", "Interpreter", "HostSystem", "Builtins", "Backends", "Driver", "Repl", "LanguageServer",
            ],
            path: "Sources/CLI"
        ),
        // What several test targets share: the built binary's path, expected-file sections.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "LexerTests", dependencies: ["Lexer"]),
        .testTarget(name: "NetlinkTests", dependencies: ["Netlink"]),
        .testTarget(name: "InterpreterTests", dependencies: ["Lexer", "Interpreter", "HostSystem", "Builtins", "Backends", "Driver", "TestSupport"]),
        .testTarget(name: "ReplTests", dependencies: ["Repl", "Interpreter", "Builtins", "TestSupport"]),
        .testTarget(name: "IntegrationTests", dependencies: ["Lexer", "Interpreter", "Builtins", "Driver", "TestSupport"]),
        .testTarget(
            name: "ScriptTests",
            dependencies: ["Lexer", "Interpreter", "Builtins", "Backends", "Driver", "TestSupport"],
            resources: [.copy("Scripts")]
        ),
    ]
)
