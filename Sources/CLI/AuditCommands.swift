import ArgumentParser
import Backends
import Driver
import HostSystem
import Interpreter
import Lexer

#if canImport(Glibc)
import Glibc
#endif

struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show what a script would change on this host, per area, changing nothing.",
        discussion: """
            The script runs against an in-memory copy of the host: reads go to the live host, read-only; \
            changes go to a simulation. Exit status: 0 no changes, 10 changes, 1 a failure, 2 a check error. \
            With --out, the plan is saved (its effects, the script's files pinned by SHA-256, what it read) and its \
            digest printed, for `wds apply --expect`.
            """)

    @Option(help: "Save the plan (its effects and the fingerprints of the live state it read) to this file.")
    var out: String?

    @Flag(name: .customLong("run-probes"), help: ArgumentHelp(runProbesHelp))
    var runProbes = false

    @Option(help: ArgumentHelp("Output format: text, or json (the lines with their area and sign, the counts, the digest).",
                               valueName: "format"))
    var format: ReportFormat = .text

    @OptionGroup var color: ColorOptions

    @OptionGroup var script: ScriptArguments

    func validate() throws {
        guard format != .sarif else { throw ValidationError("--format must be text or json, not 'sarif'") }
    }

    func run() throws {
        color.apply()
        let (plan, status) = Planner.plan(path: script.file, arguments: script.arguments,
                                          environment: processEnvironment(), runProbes: runProbes, output: Driver.standardOutput)
        guard let plan else { throw ExitCode(status) }
        if format == .text { Spawn.writeAll(1, Array(plan.report(colors: color.choice.enabled(onDescriptor: 1)).utf8)) }
        var digest: String?
        if let out {
            let text = SavedPlan.serialize(plan)
            do {
                try SafePath.writeFile(out, text, append: false, at: .init(file: .init(name: out, text: ""), start: 0, end: 0))
            } catch let failure as CommandFailure {
                Spawn.writeAll(2, Array(failure.render().utf8))
                throw ExitCode(failure.status)
            }
            // What a reviewer pins: `wds apply --expect DIGEST` applies this file and no other.
            digest = SavedPlan.digest(text)
            if format == .text { Spawn.writeAll(1, Array("plan digest: \(SavedPlan.digest(text))\n".utf8)) }
        }
        if format == .json { Spawn.writeAll(1, Array((plan.json(digest: digest).serialized + "\n").utf8)) }
        throw ExitCode(status)
    }
}

struct ApplyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Perform a saved plan, if its script still makes exactly its effects on this host.",
        discussion: """
            The plan file is not trusted: apply re-evaluates the plan's script (its files pinned by SHA-256) with \
            the plan's arguments and environment against the live host, under the families' locks, and performs \
            the effects only if they are exactly the plan's. --expect pins the file that was reviewed by the \
            digest `wds plan --out` printed.
            """)

    @Option(help: ArgumentHelp("The digest `wds plan --out` printed for the reviewed plan (sha256:…).", valueName: "digest"))
    var expect: String?

    @Flag(name: .customLong("trust-plan"), help: "Apply without --expect: the plan file itself is trusted.")
    var trustPlan = false

    @Argument(help: "A plan saved by `wds plan --out`.")
    var plan: String

    func run() throws {
        throw ExitCode(SavedPlan.apply(text: try readPlan(plan), name: plan, expect: expect, trusted: trustPlan,
                                       output: Driver.standardOutput))
    }
}

struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print a saved plan: its digest, what it was made from, and the effects apply would perform.")

    @Argument(help: "A plan saved by `wds plan --out`.")
    var plan: String

    func run() throws {
        throw ExitCode(SavedPlan.show(text: try readPlan(plan), name: plan, output: Driver.standardOutput))
    }
}

/// A saved plan's text, or a usage error that says why it cannot be read.
func readPlan(_ path: String) throws -> String {
    switch FileBytes.contents(of: path) {
    case .success(let bytes): return String(decoding: bytes, as: UTF8.self)
    case .failure(let failure):
        Spawn.writeAll(2, Array(Diagnostic("cannot read plan '\(path)': \(failure)", at: nil).render().utf8))
        throw ExitCode(ExitStatus.usage)
    }
}

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check that the host still holds everything the script would make; list what is missing or extra.",
        discussion: "Exit status: 0 no drift, 10 drift. With --fix, what is missing or different is put back; extra pieces stay.")

    @Flag(help: "Put back what is missing or different (extra pieces are left as they are).")
    var fix = false

    @Flag(name: .customLong("run-probes"), help: ArgumentHelp(runProbesHelp))
    var runProbes = false

    @Option(help: ArgumentHelp("Output format: text, or json (missing, different, extra and unverifiable pieces, the counts, "
                               + "how many --fix put back).", valueName: "format"))
    var format: ReportFormat = .text

    @OptionGroup var script: ScriptArguments

    func validate() throws {
        guard format != .sarif else { throw ValidationError("--format must be text or json, not 'sarif'") }
    }

    func run() throws {
        throw ExitCode(Planner.verify(path: script.file, arguments: script.arguments, environment: processEnvironment(),
                                      fix: fix, runProbes: runProbes, format: format, output: Driver.standardOutput))
    }
}

/// The help of `--run-probes`, the same for trace, state, plan and verify.
let runProbesHelp = "Start the script's `run --probe` programs on this host. Without it nothing is started: the run stops, with a message, at the first statement that needs a probe program's answer. A probe program is only declared read-only; nothing holds it to that."

extension ReportFormat: ExpressibleByArgument {}
