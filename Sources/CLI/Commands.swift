import Builtins
import Driver

/// wds's command line, as one table: every subcommand with its help, options,
/// arguments and the code it runs. The parser, `--help`, `wds manual`, the
/// shell completions and `--experimental-dump-help` all read this table
/// (CommandLine/). main.swift's fast path (`wds FILE`) never builds it.
enum Commands {
    static let root = CommandSpec(
        name: "wds",
        abstract: "Prepare container hosts with checked, traceable scripts.",
        // One line per paragraph: the help wraps each at the terminal's width.
        discussion: """
            `wds FILE [ARGS…]` is `wds run FILE [ARGS…]`, so a script may start with `#!/usr/bin/env wds`.

            Exit status: 0 success, 1 a failure while running, 2 a usage or check error (nothing ran), \
            3 a lock timed out, 4 a program is missing, 5 the kernel refused, 6 no space; `exit N` gives N. \
            `wds plan` and `wds verify` exit 10 when the host differs from what the script would make.
            """,
        subcommands: [run, trace, check, fmt, state, plan, apply, show, verify, repl, lsp, builtins, help, manual,
                      sandboxInner, iptablesCanonical],
        defaultSubcommand: "run")

    // MARK: - Options several subcommands share

    static let color = OptionSpec.value(
        "color", default: ColorChoice.auto.rawValue, choices: ColorChoice.allCases.map(\.rawValue),
        help: "Colour the diagnostics (and fmt's diff, plan's lines): auto (on a terminal, unless NO_COLOR is set), always or never.",
        brief: "Colour the diagnostics")

    static let runProbes = OptionSpec.flag(
        "run-probes",
        help: "Start the script's `run --probe` programs on this host. Without it nothing is started: the run stops, "
            + "with a message, at the first statement that needs a probe program's answer. A probe program is only "
            + "declared read-only; nothing holds it to that.",
        brief: "Also start the script's run --probe programs")

    /// `--format` of plan and verify: text or json (sarif is check's alone, refused by their `validate`).
    static func reportFormat(_ help: String) -> OptionSpec {
        .value("format", default: ReportFormat.text.rawValue, choices: ReportFormat.allCases.map(\.rawValue), help: help,
               brief: "Output format", completion: .words(["text", "json"]))
    }

    /// A script, then its own arguments, untouched.
    static let script: [PositionalSpec] = [
        PositionalSpec(name: "file", help: "The script to run (`-` for standard input).", completion: .script),
        PositionalSpec(name: "arguments", help: "Arguments for the script ($1, $2, … and $args).", optional: true,
                       passthrough: true),
    ]

    static let planFile = PositionalSpec(name: "plan", help: "A plan saved by `wds plan --out`.")

    // MARK: - The subcommands, in `wds --help`'s order

    static let run = CommandSpec(
        name: "run",
        abstract: "Check a script, then run it for real on this host.",
        discussion: """
            With --sandbox it runs for real inside a throwaway container (user, PID, UTS, IPC, mount, network and \
            cgroup namespaces, read-only locked mounts, a copy of the host's uplink), then prints everything it \
            changed; nothing outside the sandbox changes.
            """,
        options: [
            .flag("sandbox", help: "Run in a throwaway container and report everything the script changed; the host does not change.",
                  brief: "Run in throwaway namespaces and report the state"),
            .flag("no-batch", help: "Apply each iptables change at once (one `iptables -w` each) instead of one commit per run.",
                  brief: "Apply each iptables change at once"),
            color,
        ],
        positionals: script,
        perform: Run.perform)

    static let trace = CommandSpec(
        name: "trace",
        abstract: "Check a script, then print every effect it would have, changing nothing.",
        discussion: """
            Each mutation is printed as the equivalent shell command followed by `# FILE:LINE`; probes \
            (reads of the host) are printed as `# probe: …` comments, so the output replays in bash.
            """,
        options: [
            // Checked by Trace.validate, whose message names the formats.
            .value("format", default: "text",
                   help: "Output format: text (replayable shell), json (one object per effect), restore (text with the "
                       + "iptables commits as the exact iptables-restore input), or nft (the nftables transactions as "
                       + "one nft script, everything else as comments).",
                   brief: "Output format", completion: .words(["text", "json", "restore", "nft"])),
            .flag("no-batch", help: "Trace each iptables change as its own `iptables -w` command, with no commit (and each "
                      + "nftables change as its own transaction).",
                  brief: "Trace each iptables change as its own command"),
            .value("state", help: "Answer the script's probes from this state file (see `wds state`) instead of the live host.",
                   brief: "Answer probes from this state file"),
            runProbes,
            // A run-script child's trace continues its parent's, which named the shell already.
            .flag("no-header", help: "Print no shell header.", hidden: true),
            color,
        ],
        positionals: script,
        perform: Trace.perform)

    static let check = CommandSpec(
        name: "check",
        abstract: "Parse and check scripts, and everything they source, without running anything.",
        options: [
            color,
            .value("format", default: ReportFormat.text.rawValue, choices: ReportFormat.allCases.map(\.rawValue),
                   help: "Output format: text (rendered diagnostics on standard error), json, or sarif (SARIF 2.1.0, "
                       + "for code scanning); json and sarif go to standard output.",
                   brief: "Output format"),
        ],
        positionals: [PositionalSpec(name: "files", help: "The scripts to check (`-` for standard input).", repeating: true,
                                     completion: .script)],
        perform: Check.perform)

    static let fmt = CommandSpec(
        name: "fmt",
        abstract: "Rewrite scripts in wds's canonical layout (comments kept; formatting twice changes nothing).",
        discussion: """
            With no flag, each file is rewritten in place (atomically) if it changed; `-` formats standard input to standard output (input that does not parse is given back as it is). A folder stands for every `.wds` file under it (entries whose name starts with `.` are skipped). A file that does not parse is left as it is, and its errors are printed.

            Exit status: 0 all formatted; 1 with --check or --diff, a file is not formatted; 2 a file does not parse, or cannot be read or written.
            """,
        options: [
            .flag("check", help: "Change nothing; name the files that are not formatted, and exit with 1 if there are any.",
                  brief: "Name the files that are not formatted"),
            .flag("diff", help: "Change nothing; print the change formatting would make, as a unified diff (exit 1 if any).",
                  brief: "Print the change as a unified diff"),
            color,
        ],
        positionals: [PositionalSpec(name: "files", help: "The scripts, or folders of scripts, to format (`-` for standard input).",
                                     repeating: true, completion: .script)],
        perform: FormatCommand.perform)

    static let state = CommandSpec(
        name: "state",
        abstract: "Record the live host's answers to a script's probes in a state file, for `wds trace --state`.",
        discussion: "The script is traced (nothing changes); every read of the host it makes is saved with its answer.",
        options: [
            .value("output", short: "o", required: true, help: "The state file to write.", brief: "The state file to write"),
            runProbes,
            color,
        ],
        positionals: script,
        perform: State.perform)

    static let plan = CommandSpec(
        name: "plan",
        abstract: "Show what a script would change on this host, per area, changing nothing.",
        discussion: """
            The script runs against an in-memory copy of the host: reads go to the live host, read-only; \
            changes go to a simulation. Exit status: 0 no changes, 10 changes, 1 a failure, 2 a check error. \
            With --out, the plan is saved (its effects, the script's files pinned by SHA-256, what it read) and its \
            digest printed, for `wds apply --expect`.
            """,
        options: [
            .value("out", help: "Save the plan (its effects and the fingerprints of the live state it read) to this file.",
                   brief: "Save the plan to this file"),
            runProbes,
            reportFormat("Output format: text, or json (the lines with their area and sign, the counts, the digest)."),
            color,
        ],
        positionals: script,
        perform: PlanCommand.perform)

    static let apply = CommandSpec(
        name: "apply",
        abstract: "Perform a saved plan, if its script still makes exactly its effects on this host.",
        discussion: """
            The plan file is not trusted: apply re-evaluates the plan's script (its files pinned by SHA-256) with \
            the plan's arguments and environment against the live host, under the families' locks, and performs \
            the effects only if they are exactly the plan's. --expect pins the file that was reviewed by the \
            digest `wds plan --out` printed.
            """,
        options: [
            .value("expect", valueName: "digest", help: "The digest `wds plan --out` printed for the reviewed plan (sha256:…).",
                   brief: "The digest of the reviewed plan", completion: .words([])),
            .flag("trust-plan", help: "Apply without --expect: the plan file itself is trusted.",
                  brief: "Apply without --expect: the plan file is trusted"),
        ],
        positionals: [planFile],
        perform: ApplyCommand.perform)

    static let show = CommandSpec(
        name: "show",
        abstract: "Print a saved plan: its digest, what it was made from, and the effects apply would perform.",
        positionals: [planFile],
        perform: ShowCommand.perform)

    static let verify = CommandSpec(
        name: "verify",
        abstract: "Check that the host still holds everything the script would make; list what is missing or extra.",
        discussion: "Exit status: 0 no drift, 10 drift. With --fix, what is missing or different is put back; extra pieces stay.",
        options: [
            .flag("fix", help: "Put back what is missing or different (extra pieces are left as they are).",
                  brief: "Put back what is missing or different"),
            runProbes,
            reportFormat("Output format: text, or json (missing, different, extra and unverifiable pieces, the counts, "
                         + "how many --fix put back)."),
        ],
        positionals: script,
        perform: VerifyCommand.perform)

    static let repl = CommandSpec(
        name: "repl",
        abstract: "An interactive console: statements are checked and run as you type them.",
        discussion: """
            On a terminal it uses GNU readline (your ~/.inputrc, history in ~/.wds_history or $WDS_HISTORY). \
            It traces by default unless run as root; `:trace on|off` switches.

            Without a terminal it reads statements from standard input, without prompts, and stops at the \
            first one that fails (with its status) unless --keep-going is given; input that ends inside a \
            block is an error. `exit N` leaves with status N.
            """,
        options: [
            .flag("trace", help: "Start tracing (nothing changes).", brief: "Start tracing (nothing changes)"),
            .flag("run", help: "Start executing for real.", brief: "Start executing for real"),
            .flag("keep-going", help: "Without a terminal, go on after a statement fails (the status is then the last failure's).",
                  brief: "Without a terminal, go on after a failure"),
        ],
        perform: ReplCommand.perform)

    static let lsp = CommandSpec(
        name: "lsp",
        abstract: "A Language Server Protocol server on standard input and output, for editors.",
        discussion: """
            Diagnostics as `wds check` gives them, completion as the REPL's, hover with a builtin's reference, \
            go to definition of functions and variables, and formatting as `wds fmt`. An editor starts it; \
            docs/editors.md shows VS Code, Neovim and Helix.
            """,
        perform: LspCommand.perform)

    static let builtins = CommandSpec(
        name: "builtins",
        abstract: "Describe the builtins: all of them in one line each, or one in full.",
        options: [
            .flag("markdown", help: "Print the reference as Markdown (the Builtins section of docs/language.md).",
                  brief: "Print the reference as Markdown"),
        ],
        positionals: [PositionalSpec(name: "name", help: "A builtin or family name, such as `rule` or `mkdir`.", optional: true,
                                     completion: .builtinNames),
                      PositionalSpec(name: "subcommand", help: "One subcommand of a family: `wds builtins rule append`.", optional: true,
                                     completion: .words([]))],
        perform: BuiltinsCommand.perform)

    /// `wds help trace` is `wds trace --help`.
    static let help = CommandSpec(
        name: "help",
        abstract: "Show subcommand help information.",
        positionals: [PositionalSpec(name: "subcommands", help: "The subcommand to describe.", optional: true, repeating: true,
                                     completion: .subcommandNames)],
        perform: showHelp)

    /// `wds help NAME`: NAME's help; `wds help` (or an unknown NAME), wds's own.
    @Sendable static func showHelp(_ arguments: ParsedArguments) {
        let name = arguments.positionalList("subcommands").first
        let command = name.flatMap { root.subcommand(named: $0) }
        let help = command.map { HelpText.help($0, path: "wds " + $0.name) } ?? HelpText.help(root, path: "wds")
        print(help, terminator: "")
    }

    static let manual = CommandSpec(
        name: "manual",
        abstract: "Print the wds(1) man page (roff) from the command definitions, the language reference and the builtin registry.",
        hidden: true,
        options: [
            .value("language", help: "docs/language.md, for the language sections; without it the page has only the commands and builtins."),
        ],
        perform: Manual.perform)

    static let sandboxInner = CommandSpec(
        name: "sandbox-inner",
        abstract: "Internal: the inside of `wds run --sandbox`.",
        hidden: true,
        options: [
            .value("stage", default: "run", help: "fence or run."),
            .value("uplink", help: "The host uplink to copy: NAME,ADDRESS/LENGTH,GATEWAY."),
            .value("cgroup-mount", help: "Where the cgroup v2 hierarchy is mounted."),
            .value("cgroup", help: "The cgroup delegated to the sandbox, on the host."),
            .value("no-cgroup", help: "Why no cgroup is delegated."),
        ],
        positionals: script,
        perform: SandboxInner.perform)

    static let iptablesCanonical = CommandSpec(
        name: "iptables-canonical",
        abstract: "Internal: what iptables-save prints for restore lines, in a throwaway network namespace.",
        hidden: true,
        options: [
            .value("table", required: true, help: "The table."),
            .flag("ipv6", help: "ip6tables instead of iptables."),
            .value("program", help: "The iptables program whose save and restore run (iptables-legacy, …)."),
        ],
        positionals: [PositionalSpec(name: "lines", help: "Restore lines (-N CHAIN, -A CHAIN …).", optional: true, repeating: true)],
        perform: IptablesCanonical.perform)
}
