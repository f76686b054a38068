import ArgumentParser
import Backends
import Driver
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
            With --out, the plan is saved with a fingerprint of everything it read, for `wds apply`.
            """)

    @Option(help: "Save the plan (its effects and the fingerprints of the live state it read) to this file.")
    var out: String?

    @OptionGroup var script: ScriptArguments

    func run() throws {
        let (plan, status) = Planner.plan(path: script.file, arguments: script.arguments,
                                          environment: processEnvironment(), output: Driver.standardOutput)
        guard let plan else { throw ExitCode(status) }
        Spawn.writeAll(1, Array(plan.report.utf8))
        if let out {
            do {
                _ = try SystemHost().perform(.writeFile(path: out, contents: Planner.save(plan), append: false),
                                             at: .init(file: .init(name: out, text: ""), start: 0, end: 0))
            } catch let failure as CommandFailure {
                Spawn.writeAll(2, Array(failure.render().utf8))
                throw ExitCode(failure.status)
            }
        }
        throw ExitCode(status)
    }
}

struct ApplyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Perform exactly the effects of a saved plan, if the host still is as the plan read it.")

    @Argument(help: "A plan saved by `wds plan --out`.")
    var plan: String

    func run() throws {
        let bytes: [UInt8]
        switch FileBytes.contents(of: plan) {
        case .success(let contents): bytes = contents
        case .failure(let failure):
            Spawn.writeAll(2, Array(Diagnostic("cannot read plan '\(plan)': \(failure)", at: nil).render().utf8))
            throw ExitCode(ExitStatus.usage)
        }
        throw ExitCode(Planner.apply(planText: String(decoding: bytes, as: UTF8.self), name: plan, output: Driver.standardOutput))
    }
}

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check that the host still holds everything the script would make; list what is missing or extra.",
        discussion: "Exit status: 0 no drift, 10 drift. With --fix, what is missing or different is put back; extra pieces stay.")

    @Flag(help: "Put back what is missing or different (extra pieces are left as they are).")
    var fix = false

    @OptionGroup var script: ScriptArguments

    func run() throws {
        throw ExitCode(Planner.verify(path: script.file, arguments: script.arguments, environment: processEnvironment(),
                                      fix: fix, output: Driver.standardOutput))
    }
}
