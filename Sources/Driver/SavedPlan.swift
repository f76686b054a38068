import Backends
import Builtins
import Interpreter
import Lexer

/// A plan saved by `wds plan --out`, and what `wds apply` and `wds show` do
/// with it. The file is not trusted: apply performs only what it re-derives.
/// It re-evaluates the plan's script — each of its files pinned by SHA-256 —
/// with the plan's arguments and the environment variables the plan read,
/// against the live host, under the families' locks, and refuses unless the
/// result is exactly the plan's effects. What a reviewer reads is derived from
/// those effects (`wds show`), never stored beside them, and the plan's digest
/// (the SHA-256 of the file, printed by `wds plan --out`) pins the file that
/// was reviewed: `wds apply --expect DIGEST`.
public enum SavedPlan {
    public static let version = 2

    /// The plan as a file: everything apply needs to re-derive it, and the effects it must find.
    public static func serialize(_ plan: Plan) -> String {
        JSON.object([
            ("wds-plan", .number(Double(version))),
            ("script", .string(plan.script)),
            ("arguments", .array(plan.arguments.map(JSON.string))),
            ("environment", .array(plan.environment.map { .object([("name", .string($0.name)), ("value", $0.value.map(JSON.string) ?? .null)]) })),
            ("runProbes", .bool(plan.runProbes)),
            ("files", .array(plan.files.map { .object([("path", .string($0.path)), ("sha256", .string($0.sha256))]) })),
            // The host as the plan read it: apply re-reads it and refuses where it answers differently.
            ("probes", .array(plan.probes.map {
                .object([("effect", $0.effect.json), ("location", .string($0.location)),
                         ("sha256", .string(ProbeRecorder.fingerprint($0.effect, $0.answer)))])
            })),
            ("effects", .array(plan.mutations.map { .object([("effect", $0.effect.json), ("location", .string($0.location))]) })),
        ]).serialized + "\n"
    }

    /// What `wds plan --out` prints and `wds apply --expect` takes.
    public static func digest(_ text: String) -> String { "sha256:" + SHA256.hex(text) }

    /// Every file of the scripts (what each sources, and their run-script children), once, with its SHA-256.
    static func files(of scripts: [Script]) -> [(path: String, sha256: String)] {
        var seen: Set<ObjectIdentifier> = []
        var files: [(path: String, sha256: String)] = []
        func visit(_ script: Script) {
            guard seen.insert(ObjectIdentifier(script)).inserted else { return }
            let path = Paths.absolute(script.file.path ?? script.file.name)
            if !files.contains(where: { $0.path == path }) {
                files.append((path, SHA256.digest(script.file.bytes).map { byte in
                    let digits = String(byte, radix: 16)
                    return digits.count == 1 ? "0" + digits : digits
                }.joined()))
            }
            for sourced in script.sourced.values.sorted(by: { $0.file.name < $1.file.name }) { visit(sourced) }
            for child in script.children.values.sorted(by: { $0.file.name < $1.file.name }) { visit(child) }
        }
        scripts.forEach(visit)
        return files
    }

    /// A saved plan read back: what it claims, not yet what apply trusts.
    struct Parsed {
        var script: String
        var arguments: [String]
        var environment: [(name: String, value: String?)]
        var runProbes: Bool
        var files: [(path: String, sha256: String)]
        var probes: [(effect: Effect, location: String, sha256: String)]
        var effects: [(effect: Effect, location: String)]

        init?(_ text: String) {
            guard let json = try? JSON.parse(text), json["wds-plan"] == .number(Double(SavedPlan.version)),
                  let script = json["script"]?.stringValue,
                  let arguments = json["arguments"]?.arrayValue?.compactMap(\.stringValue),
                  let environment = json["environment"]?.arrayValue, let files = json["files"]?.arrayValue,
                  let effects = json["effects"]?.arrayValue, let probes = json["probes"]?.arrayValue,
                  case .bool(let runProbes)? = json["runProbes"] else { return nil }
            self.script = script
            self.arguments = arguments
            self.runProbes = runProbes
            self.environment = []
            for entry in environment {
                guard let name = entry["name"]?.stringValue else { return nil }
                self.environment.append((name, entry["value"]?.stringValue))
            }
            self.files = []
            for entry in files {
                guard let path = entry["path"]?.stringValue, let sha = entry["sha256"]?.stringValue else { return nil }
                self.files.append((path, sha))
            }
            self.probes = []
            for entry in probes {
                guard let effect = entry["effect"].flatMap(Effect.init(json:)), let location = entry["location"]?.stringValue,
                      let sha = entry["sha256"]?.stringValue else { return nil }
                self.probes.append((effect, location, sha))
            }
            self.effects = []
            for entry in effects {
                guard let effect = entry["effect"].flatMap(Effect.init(json:)), let location = entry["location"]?.stringValue else { return nil }
                self.effects.append((effect, location))
            }
        }
    }

    /// `wds show PLAN`: what apply would do, derived from the effects it must re-derive.
    public static func show(text: String, name: String, output: Driver.Output) -> Int32 {
        _ = Builtins.standard  // registers the decoders of the families' effects
        guard let parsed = Parsed(text) else {
            output(Diagnostic("'\(name)' is not a wds plan (made by `wds plan --out` of this version)", at: nil).render(), true)
            return ExitStatus.usage
        }
        var out = "plan \(digest(text))\n"
        out += "script: \(shellLine([parsed.script] + parsed.arguments))\n"
        for (variable, value) in parsed.environment { out += "environment: \(variable)=\(value.map(shellQuote) ?? "(unset)")\n" }
        for file in parsed.files { out += "file: \(file.path) sha256:\(file.sha256)\n" }
        for probe in parsed.probes { out += "read: \(probe.effect.shellCommand)  # \(probe.location) sha256:\(probe.sha256)\n" }
        if parsed.runProbes { out += "probe programs: run\n" }
        out += "effects, in order (apply performs these only if the script, here, makes exactly them again):\n"
        let location = SourceRange(file: SourceFile(name: name, text: ""), start: 0, end: 0)
        for (effect, place) in parsed.effects {
            // As `trace --format restore` prints it: each iptables commit with its whole payload.
            let line = TraceHost.line(for: effect, at: location, format: .restore)
            // The place the plan names, in place of the plan file's own.
            out += line.replacingAll("  # \(location.shortLocation)", with: "  # \(place)") + "\n"
        }
        output(out, false)
        return ExitStatus.success
    }

    /// `wds apply [--expect DIGEST | --trust-plan] PLAN`.
    public static func apply(text: String, name: String, expect: String?, trusted: Bool, output: @escaping Driver.Output) -> Int32 {
        _ = Builtins.standard  // registers the decoders of the families' effects
        func refuse(_ message: String, hint: String? = nil) -> Int32 {
            output(Diagnostic(message, at: nil, hint: hint ?? "nothing was applied").render(), true)
            return ExitStatus.failure
        }
        let actual = digest(text)
        if let expect {
            guard expect == actual || "sha256:" + expect == actual else {
                return refuse("'\(name)' is not the plan that was reviewed: its digest is \(actual), not \(expect)")
            }
        } else if !trusted {
            output(Diagnostic("apply needs the digest of the plan that was reviewed: `wds apply --expect \(actual) \(name)`", at: nil,
                              hint: "`wds plan --out` printed it; `--trust-plan` applies a plan file you trust as it is").render(), true)
            return ExitStatus.usage
        }
        guard let parsed = Parsed(text) else {
            return refuse("'\(name)' is not a wds plan (made by `wds plan --out` of this version)")
        }
        for file in parsed.files {
            guard let bytes = FileBytes.read(file.path) else { return refuse("cannot read \(file.path), which the plan was made from") }
            let now = SHA256.digest(bytes).map { byte in
                let digits = String(byte, radix: 16)
                return digits.count == 1 ? "0" + digits : digits
            }.joined()
            if now != file.sha256 { return refuse("\(file.path) has changed since the plan was made", hint: "nothing was applied; make a new plan") }
        }
        var environment: [String: String] = [:]
        for (variable, value) in parsed.environment { environment[variable] = value }
        let location = SourceRange(file: SourceFile(name: name, text: ""), start: 0, end: 0)
        let system = SystemHost(output: output)
        // Re-derive once to learn which locks the plan's families hold, take them, and re-derive under them.
        func rederive() -> Plan? {
            Planner.plan(path: parsed.script, arguments: parsed.arguments, environment: environment,
                         runProbes: parsed.runProbes, command: "wds apply", output: { _, _ in }).0
        }
        /// Which of the plan's reads the host answers differently now, to say why a re-derivation failed.
        func changedRead() -> String? {
            let live = ReadOnlyHost(system)
            for probe in parsed.probes {
                if case .probeProgram = probe.effect, !parsed.runProbes { continue }
                let answer = try? live.perform(probe.effect, at: location)
                if answer.map({ ProbeRecorder.fingerprint(probe.effect, $0) }) != probe.sha256 {
                    return "`\(probe.effect.shellCommand)` (read at \(probe.location)) answers differently now"
                }
            }
            return nil
        }
        guard let first = rederive() else {
            return refuse("the host has changed since the plan was made: " + (changedRead() ?? "the plan's script no longer runs here as it did"),
                          hint: "nothing was applied; make a new plan with `wds plan --out`")
        }
        defer { for hold in first.holds.reversed() { _ = try? system.perform(hold.release, at: location) } }
        do {
            for hold in first.holds { _ = try system.perform(hold.take, at: location) }
        } catch let failure as CommandFailure {
            output(failure.render(), true)
            return failure.status
        } catch {
            return ExitStatus.failure
        }
        guard let again = rederive() else {
            return refuse("the host has changed since the plan was made: " + (changedRead() ?? "the plan's script no longer runs here as it did"))
        }
        // The host must answer every read as it did for the reviewer: the re-derivation's own reads, not the file's list.
        let read = again.probes.map { ($0.effect, $0.location, ProbeRecorder.fingerprint($0.effect, $0.answer)) }
        for (index, probe) in read.enumerated() {
            guard index < parsed.probes.count, parsed.probes[index].effect == probe.0, parsed.probes[index].sha256 == probe.2 else {
                return refuse("the host has changed since the plan was made: `\(probe.0.shellCommand)` (read at \(probe.1)) answers differently now",
                              hint: "nothing was applied; make a new plan with `wds plan --out`")
            }
        }
        if read.count != parsed.probes.count { return refuse("the plan's reads of the host do not match what its script reads now") }
        let derived = again.mutations.map { ($0.effect, $0.location) }
        let common = min(derived.count, parsed.effects.count)
        let mismatch = (0..<common).first { derived[$0].0 != parsed.effects[$0].effect || derived[$0].1 != parsed.effects[$0].location }
        if let index = mismatch ?? (derived.count != parsed.effects.count ? common : nil) {
            let claimed = index < parsed.effects.count ? "`\(parsed.effects[index].effect.shellCommand)` (\(parsed.effects[index].location))" : "nothing more"
            let now = index < derived.count ? "`\(derived[index].0.shellCommand)` (\(derived[index].1))" : "nothing more"
            return refuse("the plan does not match what its script does on this host now: at effect \(index + 1) the plan has \(claimed), the script makes \(now)",
                          hint: "nothing was applied; the host or the plan file changed since the plan was made: make a new plan")
        }
        let held = Set(first.holds.map { $0.take.kind } + first.holds.map { $0.release.kind })
        for (effect, place) in parsed.effects {
            if held.contains(effect.kind) { continue }  // the locks are held already, until the end
            do {
                let result = try system.perform(effect, at: location)
                // A family's transaction (iptables-restore, nft -f) answers a refusal as a status, not a failure.
                if case .family(let wrapped) = effect, case .process(let status, _, let errorOutput) = result, status != 0 {
                    return refuse("\(wrapped.effect.family) refused the plan's commit (from \(place)): \(errorOutput)",
                                  hint: "the effects before it were applied")
                }
            } catch let failure as CommandFailure {
                output(failure.render(), true)
                return failure.status
            } catch {
                return refuse("\(effect.shellCommand) failed: \(error)", hint: "the effects before it were applied")
            }
        }
        return ExitStatus.success
    }
}
