import HostSystem
import Interpreter
import Lexer

/// The iptables family's own changes: a command run at once (`--no-batch`), a
/// change staged in the open batch, the batch's commit (`iptables-restore
/// --noflush`), and the transaction lock held from the run's first read of
/// the ruleset to its commit; its reads are in IptablesProbes.swift. None is
/// undone by the journal: the engine (`IptablesTransaction`) reverts a
/// committed batch itself. Each keeps the top-level name saved plans gave it
/// when it was the host's own (`planName`).
enum IptablesEffects {
    static let family = "iptables"
    static let planNames = ["iptables", "iptablesRestore", "iptablesStaged", "iptablesLock", "iptablesUnlock",
                            "iptablesSave", "iptablesList", "iptablesCanonical"]

    /// Reads an effect back from a saved plan (its top-level name as the kind).
    static func decode(kind: String, fields: JSON) -> (any FamilyEffect)? {
        func string(_ key: String) -> String? { fields[key]?.stringValue }
        let family = string("family").flatMap(AddressFamily.init(rawValue:))
        let tool = string("program").flatMap(IptablesTool.init(program:)) ?? .standard
        let arguments = fields["arguments"]?.arrayValue?.compactMap(\.stringValue)
        switch kind {
        case "iptables", "iptablesStaged":
            guard let family, let table = string("table"), let arguments else { return nil }
            let command = IptablesRun(addressFamily: family, table: table, arguments: arguments, tool: tool)
            return kind == "iptables" ? command : IptablesStagedChange(command: command)
        case "iptablesRestore":
            guard let family, let payload = string("payload") else { return nil }
            return IptablesRestore(addressFamily: family, payload: payload, tool: tool)
        case "iptablesLock":
            guard let path = string("path"), case .number(let timeout)? = fields["timeout"] else { return nil }
            return IptablesLock(path: path, timeoutSeconds: Int(timeout))
        case "iptablesUnlock":
            guard let path = string("path") else { return nil }
            return IptablesUnlock(path: path)
        case "iptablesSave":
            guard let family, let table = string("table") else { return nil }
            return IptablesSaveProbe(addressFamily: family, table: table, tool: tool)
        case "iptablesList":
            guard let family, let table = string("table"), let chain = string("chain") else { return nil }
            var rule: Int?
            if case .number(let n)? = fields["rule"] { rule = Int(n) }
            return IptablesListProbe(addressFamily: family, table: table, chain: chain, tool: tool, rule: rule)
        case "iptablesCanonical":
            guard let family, let table = string("table"), let lines = fields["lines"]?.arrayValue?.compactMap(\.stringValue) else { return nil }
            return IptablesCanonicalProbe(addressFamily: family, table: table, lines: lines, tool: tool)
        default:
            return nil
        }
    }

    /// `program` in a saved plan only when the run chose one (`--iptables legacy`).
    static func program(_ tool: IptablesTool) -> [(String, JSON)] {
        tool == .standard ? [] : [("program", .string(tool.command(.ipv4)))]
    }
}

/// The engine's effects as it names them, each a family effect.
extension Effect {
    static func iptables(family: AddressFamily, table: String, arguments: [String], tool: IptablesTool) -> Effect {
        .family(AnyFamilyEffect(IptablesRun(addressFamily: family, table: table, arguments: arguments, tool: tool)))
    }

    static func iptablesStaged(family: AddressFamily, table: String, arguments: [String], tool: IptablesTool) -> Effect {
        .family(AnyFamilyEffect(IptablesStagedChange(command: IptablesRun(addressFamily: family, table: table, arguments: arguments, tool: tool))))
    }

    static func iptablesRestore(family: AddressFamily, payload: String, tool: IptablesTool) -> Effect {
        .family(AnyFamilyEffect(IptablesRestore(addressFamily: family, payload: payload, tool: tool)))
    }

    static func iptablesLock(path: String, timeoutSeconds: Int) -> Effect {
        .family(AnyFamilyEffect(IptablesLock(path: path, timeoutSeconds: timeoutSeconds)))
    }

    static func iptablesUnlock(path: String) -> Effect { .family(AnyFamilyEffect(IptablesUnlock(path: path))) }
}

/// `iptables -w -t TABLE ARGS…`, run at once (`--no-batch`, and one change a transaction).
struct IptablesRun: FamilyEffect {
    var addressFamily: AddressFamily
    var table: String
    var arguments: [String]
    var tool: IptablesTool

    var family: String { IptablesEffects.family }
    var kind: String { "iptables" }
    var planName: String? { "iptables" }
    var isMutation: Bool { true }
    var argv: [String] { [tool.command(addressFamily), "-w", "-t", table] + arguments }
    var fields: JSON {
        .object([("family", .string(addressFamily.rawValue)), ("table", .string(table)), ("arguments", .array(arguments.map(JSON.string)))]
                + IptablesEffects.program(tool))
    }

    func perform(at location: SourceRange) throws -> EffectResult {
        let outcome = try Spawn.runTool(argv, at: location)
        // A process answers: the engine tells a kernel that saw it from a simulated host's `.done`.
        return .process(status: outcome.status, standardOutput: "", standardError: "")
    }

    func undo(at location: SourceRange) throws -> FamilyUndo { .nothing }  // the engine reverts its own changes
}

/// A change the run's transaction recorded, to be committed later: the trace prints the
/// `iptables -w` command it stands for (as a comment in a restore script); performed by no one.
struct IptablesStagedChange: FamilyEffect {
    var command: IptablesRun

    var family: String { IptablesEffects.family }
    var kind: String { "iptables-staged" }
    var planName: String? { "iptablesStaged" }
    var isMutation: Bool { true }
    var argv: [String] { command.argv }
    var fields: JSON { command.fields }

    func perform(at location: SourceRange) throws -> EffectResult { .done }

    func undo(at location: SourceRange) throws -> FamilyUndo { .nothing }

    func traceLine(format: String, place: String) -> String? {
        format == "restore" ? "# \(shellCommand)  # \(place)" : nil
    }
}

/// One address family's batch, committed with `iptables-restore --noflush`. The system answers
/// `.process` (a refusal is answered, not thrown: the engine maps a `line N failed` back to the
/// statement); a backend that reaches no kernel (trace) answers `.done`.
struct IptablesRestore: FamilyEffect {
    var addressFamily: AddressFamily
    var payload: String
    var tool: IptablesTool

    var family: String { IptablesEffects.family }
    var kind: String { "iptables-restore" }
    var planName: String? { "iptablesRestore" }
    var isMutation: Bool { true }
    var argv: [String] { [tool.restoreCommand(addressFamily), "--noflush"] }
    var shellCommand: String { "\(tool.restoreCommand(addressFamily)) --noflush <<'WDS_RESTORE'\n\(payload)WDS_RESTORE" }
    var fields: JSON { .object([("family", .string(addressFamily.rawValue)), ("payload", .string(payload))] + IptablesEffects.program(tool)) }

    func perform(at location: SourceRange) throws -> EffectResult {
        // Once begun, a commit completes even if wds is killed: the restore runs in a session of
        // its own (a kill of wds's process group misses it) and holds the run's iptables lock
        // until it is done, so the next run that takes the lock sees all of it or none.
        try Spawn.runProgram(argv, capture: true, captureError: true, input: payload, ownSession: true,
                             keep: IptablesLock.held.flatMap(HeldLocks.shared.descriptor), at: location)
    }

    func undo(at location: SourceRange) throws -> FamilyUndo { .nothing }  // the engine reverts a committed batch

    func traceLine(format: String, place: String) -> String? {
        switch format {
        case "text":
            let changes = payload.split(separator: "\n").filter { !$0.hasPrefix("*") && $0 != "COMMIT" }.count
            return "# commit: \(tool.restoreCommand(addressFamily)) --noflush, the \(changes) change(s) above  # \(place)"
        case "restore":
            return "\(tool.restoreCommand(addressFamily)) --noflush <<'WDS_RESTORE'  # \(place)\n\(payload)WDS_RESTORE"
        default:
            return nil
        }
    }
}

/// The flock every wds run holds from its first read of the ruleset to its commit: in the
/// process's table of held locks, so a `lock` block of the same file is re-entrant with it.
struct IptablesLock: FamilyEffect {
    /// The lock while this process's run holds it.
    nonisolated(unsafe) static var held: HeldLocks.Identity?

    var path: String
    var timeoutSeconds: Int

    var family: String { IptablesEffects.family }
    var kind: String { "iptables-lock" }
    var planName: String? { "iptablesLock" }
    var isMutation: Bool { true }
    var isTransactionLock: Bool { true }
    var argv: [String] { ["flock", "-w", String(timeoutSeconds), path] }
    var fields: JSON { .object([("path", .string(path)), ("timeout", .number(Double(timeoutSeconds)))]) }

    func perform(at location: SourceRange) throws -> EffectResult {
        if IptablesLock.held == nil {
            try SafePath.makeDirectory(Paths.directory(path), parents: true, at: location)
            IptablesLock.held = try HeldLocks.shared.acquire(path, timeoutSeconds: timeoutSeconds, at: location)
        }
        return .done
    }

    func undo(at location: SourceRange) throws -> FamilyUndo { .nothing }

    func traceLine(format: String, place: String) -> String? { IptablesLock.commentLine(self, format: format, place: place) }

    /// The lock and its release are comments in a text or restore trace: the run's own, not the script's.
    static func commentLine(_ effect: any FamilyEffect, format: String, place: String) -> String? {
        format == "text" || format == "restore" ? "# \(effect.kind): \(effect.shellCommand)  # \(place)" : nil
    }
}

struct IptablesUnlock: FamilyEffect {
    var path: String

    var family: String { IptablesEffects.family }
    var kind: String { "iptables-unlock" }
    var planName: String? { "iptablesUnlock" }
    var isMutation: Bool { true }
    var isTransactionLock: Bool { true }
    var argv: [String] { ["flock", "-u", path] }
    var fields: JSON { .object([("path", .string(path))]) }

    func perform(at location: SourceRange) throws -> EffectResult {
        if let identity = IptablesLock.held { HeldLocks.shared.release(identity) }
        IptablesLock.held = nil
        return .done
    }

    func undo(at location: SourceRange) throws -> FamilyUndo { .nothing }

    func traceLine(format: String, place: String) -> String? { IptablesLock.commentLine(self, format: format, place: place) }
}
