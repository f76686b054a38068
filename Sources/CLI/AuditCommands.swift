import Backends
import Driver
import HostSystem
import Interpreter
import Lexer

#if canImport(Glibc)
import Glibc
#endif

struct PlanCommand: RunnableCommand {
    var out: String?
    var runProbes: Bool
    var format: ReportFormat
    var color: ColorOptions
    var script: ScriptArguments

    init(_ arguments: ParsedArguments) {
        out = arguments.value("out")
        runProbes = arguments.flag("run-probes")
        format = ReportFormat(rawValue: arguments.value("format")!)!  // one of the table's choices
        color = ColorOptions(arguments)
        script = ScriptArguments(arguments)
    }

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

struct ApplyCommand: RunnableCommand {
    var expect: String?
    var trustPlan: Bool
    var plan: String

    init(_ arguments: ParsedArguments) {
        expect = arguments.value("expect")
        trustPlan = arguments.flag("trust-plan")
        plan = arguments.positional("plan")!
    }

    func run() throws {
        throw ExitCode(SavedPlan.apply(text: try readPlan(plan), name: plan, expect: expect, trusted: trustPlan,
                                       output: Driver.standardOutput))
    }
}

struct ShowCommand: RunnableCommand {
    var plan: String

    init(_ arguments: ParsedArguments) {
        plan = arguments.positional("plan")!
    }

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

struct VerifyCommand: RunnableCommand {
    var fix: Bool
    var runProbes: Bool
    var format: ReportFormat
    var script: ScriptArguments

    init(_ arguments: ParsedArguments) {
        fix = arguments.flag("fix")
        runProbes = arguments.flag("run-probes")
        format = ReportFormat(rawValue: arguments.value("format")!)!  // one of the table's choices
        script = ScriptArguments(arguments)
    }

    func validate() throws {
        guard format != .sarif else { throw ValidationError("--format must be text or json, not 'sarif'") }
    }

    func run() throws {
        throw ExitCode(Planner.verify(path: script.file, arguments: script.arguments, environment: processEnvironment(),
                                      fix: fix, runProbes: runProbes, format: format, output: Driver.standardOutput))
    }
}

