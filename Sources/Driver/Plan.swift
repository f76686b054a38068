import Backends
import Builtins
import Interpreter
import Lexer

/// `wds plan`, `wds apply` and `wds verify`: the script is evaluated against
/// an in-memory copy of the live host — reads go to the host, read-only;
/// changes go to a simulation and to the iptables model — and what would
/// change is shown per area. A saved plan keeps the exact effects to perform
/// and a fingerprint of every piece of live state it read, so applying it on
/// a host that has moved on is refused.
public struct Plan {
    /// One line of the difference: `+` added, `-` removed, `~` changed, under an area heading.
    public typealias Line = PlanLine

    public var script: String
    public var arguments: [String]
    /// What `wds apply` re-derives the plan from, besides the host: the environment
    /// variables the run read (nil: unset), every script file it loaded with its
    /// SHA-256, and whether probe programs ran.
    public var environment: [(name: String, value: String?)] = []
    public var files: [(path: String, sha256: String)] = []
    public var runProbes = false
    public var lines: [Line]
    public var probes: [ProbeRecorder.Probe]
    public var mutations: [MutationRecorder.Mutation]
    /// What `verify --fix` performs: the missing pieces only, and how many pieces that is.
    var fixes: [Effect] = []
    var fixedCount = 0
    /// What each family holds while verify checks the host and fixes it (a lock, and its release).
    var holds: [(take: Effect, release: Effect)] = []

    /// A family's part of the plan.
    mutating func add(_ family: FamilyPlan) {
        lines += family.lines
        fixes += family.fixes
        fixedCount += family.fixedCount
        if let hold = family.holdDuringFix { holds.append(hold) }
    }

    public var hasChanges: Bool { !lines.isEmpty }

    /// Where a plan lists what it cannot look into.
    static let programsArea = "programs (not simulated: what they change is not shown)"

    /// The difference as text: area headings, then `+`/`-`/`~` lines; or "no changes".
    public var report: String { report(colors: false) }

    /// The difference as text, `+` lines green, `-` red and `~` yellow if `colors` (a terminal).
    public func report(colors: Bool) -> String {
        guard hasChanges else { return "no changes: the host already is what \(Paths.base(script)) would make it\n" }
        var out = ""
        var area = ""
        for line in lines {
            if line.area != area {
                area = line.area
                // A name from a value cannot start a line of its own or act on the terminal: the reviewer reads this.
                out += "\(Diagnostic.escaped(area)):\n"
            }
            let text = "\(line.sign.rawValue) \(Diagnostic.escaped(line.text))"
            guard colors else {
                out += "  \(text)\n"
                continue
            }
            let code: String
            switch line.sign {
            case .add: code = "32"
            case .remove: code = "31"
            case .change: code = "33"
            }
            out += "  \u{1B}[\(code)m\(text)\u{1B}[0m\n"
        }
        let areas = Set(lines.map(\.area)).count
        out += "\(lines.count) change(s) in \(areas) area(s)\n"
        return out
    }
}

public enum Planner {
    /// Evaluates the script against the live host without changing it.
    /// The script's `run --probe` programs are started only with `runProbes` (`--run-probes`).
    public static func plan(path: String, arguments: [String], environment: [String: String], runProbes: Bool = false,
                            command: String = "wds plan", output: @escaping Driver.Output) -> (Plan?, Int32) {
        let (script, diagnostics) = Driver.load(path: path)
        guard let script, diagnostics.isEmpty else {
            for diagnostic in diagnostics { output(diagnostic.render(), true) }
            return (nil, ExitStatus.usage)
        }
        let live: Host = ReadOnlyHost(SystemHost(output: { _, _ in }))
        let recorder = ProbeRecorder(runProbes ? live : ProbeProgramGate(live, command: command))
        let simulation = SimulatedHost(probes: recorder, childTraceArguments: nil)
        let mutations = MutationRecorder(simulation)
        let context = RunContext(host: mutations, environment: environment, arguments: arguments)
        Builtins.standard.installFamilies(in: context, batch: true)
        // A child script is planned with its parent, on the same simulated host.
        context.runScriptInProcess = { childPath, childArguments, call in
            try Driver.runChild(path: childPath, arguments: childArguments, call: call)
        }
        let interpreter = Interpreter(registry: Builtins.standard, context: context, scriptPath: path)
        let location = SourceRange(file: script.file, start: 0, end: 0)
        var plan = Plan(script: path, arguments: arguments, lines: [], probes: [], mutations: [])
        do {
            var status = try interpreter.run(script)
            try context.commitOpenBatches()
            // What the script's cleanup blocks leave is part of the end state too.
            status = interpreter.runCleanups(after: status) { output($0, true) }
            if status != ExitStatus.success {
                // What a failing run leaves is not a plan: say so, with the run's own status.
                output("wds: the run would end with status \(status); no plan\n", true)
                return (nil, status)
            }
            for family in context.transactionalFamilies.compactMap({ $0 as? PlannableFamily }) {
                plan.add(try family.plan(context, at: location))
            }
        } catch let failure as CommandFailure {
            context.abandonOpenBatches()
            output(failure.render(), true)
            output("wds: the run would fail here; no plan\n", true)
            return (nil, failure.status)
        } catch let diagnostic as Diagnostic {
            context.abandonOpenBatches()
            output(diagnostic.render(), true)
            return (nil, ExitStatus.failure)
        } catch {
            output("wds: internal error: \(error)\n", true)
            return (nil, ExitStatus.failure)
        }
        for change in simulation.plannedChanges(live: recorder, at: location) {
            plan.lines.append(Plan.Line(area: change.area, sign: change.sign, text: change.text))
            if change.sign != .remove, let effect = change.effect {
                plan.fixes.append(effect)
                plan.fixedCount += 1
            }
        }
        // Programs cannot be simulated: each is a change the plan cannot look into, always shown
        // and always counted. (A script started with `run-script` is planned in this run, the
        // child continuing the parent's model; its content is fingerprinted with the parent's.)
        for mutation in mutations.mutations {
            guard case .family(let wrapped) = mutation.effect, wrapped.effect.isOpaqueToPlans else { continue }
            plan.lines.append(Plan.Line(area: Plan.programsArea, sign: .change,
                                        text: "\(shellLine(wrapped.effect.argv))  # \(mutation.location)"))
        }
        plan.probes = recorder.probes
        plan.mutations = mutations.mutations
        plan.environment = context.inputs.environment
        plan.files = SavedPlan.files(of: [script] + context.inputs.scripts)
        plan.runProbes = runProbes
        return (plan, plan.hasChanges ? ExitStatus.changesPending : ExitStatus.success)
    }

    // MARK: Verify

    /// `wds verify`: what the script would add is missing (drift), what it would remove is extra.
    /// With `fix`, only the missing pieces are put back.
    public static func verify(path: String, arguments: [String], environment: [String: String], fix: Bool,
                              runProbes: Bool = false, format: ReportFormat = .text, output: @escaping Driver.Output) -> Int32 {
        let (plan, status) = plan(path: path, arguments: arguments, environment: environment, runProbes: runProbes,
                                  command: "wds verify", output: output)
        guard let plan else { return status }
        // What programs do, wds cannot see: say so, rather than call it drift every time.
        let drift = plan.lines.filter { $0.area != Plan.programsArea }
        var report = VerifyReport(script: path)
        report.unverifiable = plan.lines.filter { $0.area == Plan.programsArea }
        report.missing = drift.filter { $0.sign == .add }
        report.different = drift.filter { $0.sign == .change }
        report.extra = drift.filter { $0.sign == .remove }
        // JSON is one document: it is printed once, with what --fix put back.
        func printJSON() { output(report.json.serialized + "\n", false) }
        if format != .text, !report.drift || !fix {
            printJSON()
            return report.drift ? ExitStatus.changesPending : ExitStatus.success
        }
        var out = ""
        if format == .text, !report.unverifiable.isEmpty {
            out += "cannot verify (programs wds does not simulate):\n" + report.unverifiable.map { "  \(Diagnostic.escaped($0.text))\n" }.joined()
        }
        guard !drift.isEmpty else {
            output(out + "no drift: the host holds everything \(Paths.base(path)) would make"
                   + (report.unverifiable.isEmpty ? "" : ", but for what those programs do") + "\n", false)
            return ExitStatus.success
        }
        if format == .text {
            for (title, lines) in [("missing", report.missing), ("different", report.different), ("extra", report.extra)] {
                guard !lines.isEmpty else { continue }
                out += "\(title):\n" + lines.map { "  \(Diagnostic.escaped($0.area)): \(Diagnostic.escaped($0.text))\n" }.joined()
            }
            output(out, false)
        }
        guard fix else { return ExitStatus.changesPending }
        let location = SourceRange(file: SourceFile(name: Paths.base(path), text: ""), start: 0, end: 0)
        let system = SystemHost(output: output)
        // As apply does: take each family's lock, then make sure the host is still as verify read it,
        // so the positions of the missing pieces are still right.
        defer { for hold in plan.holds.reversed() { _ = try? system.perform(hold.release, at: location) } }
        do {
            for hold in plan.holds { _ = try system.perform(hold.take, at: location) }
        } catch let failure as CommandFailure {
            output(failure.render(), true)
            return failure.status
        } catch {
            return ExitStatus.failure
        }
        let live = ReadOnlyHost(system)
        for probe in plan.probes where (try? live.perform(probe.effect, at: location)).map({ ProbeRecorder.fingerprint(probe.effect, $0) })
            != ProbeRecorder.fingerprint(probe.effect, probe.answer) {
            output(Diagnostic("the host changed while verify was reading it: `\(probe.effect.shellCommand)` answers differently now",
                              at: nil, hint: "nothing was fixed; run verify again").render(), true)
            return ExitStatus.failure
        }
        do {
            for effect in plan.fixes {
                // A refusal some programs answer rather than throw (iptables-restore) is a refusal too.
                if case .process(let code, _, let errorOutput) = try system.perform(effect, at: location), code != 0 {
                    output(Diagnostic("the kernel refused the fix `\(effect.shellCommand)`: \(errorOutput)", at: nil).render(), true)
                    return ExitStatus.kernelRefused
                }
            }
        } catch let failure as CommandFailure {
            output(failure.render(), true)
            return failure.status
        } catch {
            return ExitStatus.failure
        }
        let fixed = plan.fixedCount
        if format != .text {
            report.fixed = fixed
            printJSON()
            return ExitStatus.success
        }
        let moved = drift.filter { $0.sign == .change && $0.text.hasPrefix("moved to position") }.count
        output("fixed: \(fixed) missing or different piece(s) put back; extra ones left as they are"
               + (moved > 0 ? "; \(moved) rule(s) out of order left as they are (run the script to reorder)" : "") + "\n", false)
        return ExitStatus.success
    }
}
