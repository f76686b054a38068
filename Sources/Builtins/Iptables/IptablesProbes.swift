#if canImport(Glibc)
import Glibc
#endif
import HostSystem
import Interpreter
import Lexer

/// The iptables family's reads of the host: probes, which change nothing (no
/// undo, no batch to commit), answered by the live host in every backend and
/// fingerprinted by a saved plan. Each keeps the top-level name saved plans
/// gave it when it was the host's own (`planName`).
extension Effect {
    /// `iptables-save -t TABLE`, answered with `.text`.
    public static func iptablesSave(family: AddressFamily, table: String, tool: IptablesTool = .standard) -> Effect {
        .family(AnyFamilyEffect(IptablesSaveProbe(addressFamily: family, table: table, tool: tool)))
    }

    static func iptablesList(family: AddressFamily, table: String, chain: String, tool: IptablesTool, rule: Int? = nil) -> Effect {
        .family(AnyFamilyEffect(IptablesListProbe(addressFamily: family, table: table, chain: chain, tool: tool, rule: rule)))
    }

    static func iptablesCanonical(family: AddressFamily, table: String, lines: [String], tool: IptablesTool) -> Effect {
        .family(AnyFamilyEffect(IptablesCanonicalProbe(addressFamily: family, table: table, lines: lines, tool: tool)))
    }
}

/// `iptables-save -t TABLE`: the table as iptables prints it.
struct IptablesSaveProbe: FamilyEffect {
    var addressFamily: AddressFamily
    var table: String
    var tool: IptablesTool

    var family: String { IptablesEffects.family }
    var kind: String { "iptables-save" }
    var planName: String? { "iptablesSave" }
    var isMutation: Bool { false }
    var argv: [String] { [tool.saveCommand(addressFamily), "-t", table] }
    var fields: JSON { .object([("family", .string(addressFamily.rawValue)), ("table", .string(table))] + IptablesEffects.program(tool)) }

    func perform(at location: SourceRange) throws -> EffectResult {
        .text(try Spawn.runTool(argv, at: location).standardOutput)
    }

    func undo(at location: SourceRange) throws -> FamilyUndo { .nothing }

    /// Without what changes on its own: the `# Generated … on DATE` comments and the packet counters of its chains.
    func stableAnswer(_ answer: EffectResult) -> EffectResult {
        guard case .text(let text) = answer else { return answer }
        return .text(text.split(separator: "\n", omittingEmptySubsequences: false).compactMap { line -> Substring? in
            if line.hasPrefix("#") { return nil }
            if line.hasPrefix(":"), let bracket = line.lastIndex(of: "[") { return line[..<bracket] }
            return line
        }.joined(separator: "\n"))
    }
}

/// One chain's rules (`iptables -w -t TABLE -S CHAIN`): answered with `.process`, status 1 when the
/// chain does not exist. With `rule`, only that rule (`-S CHAIN N`): the chain exists (status 0), and
/// holds at least N rules when something is printed; what a decision needs without fetching a long
/// chain whole. Where the program is iptables-nft, answered without it, over netlink
/// (`IptablesNftChains`), as `.text` JSON: `{"exists": false}`, or with `rule`, `{"exists": true,
/// "rules": K}`, K counted up to N.
struct IptablesListProbe: FamilyEffect {
    var addressFamily: AddressFamily
    var table: String
    var chain: String
    var tool: IptablesTool
    var rule: Int?

    var family: String { IptablesEffects.family }
    var kind: String { "iptables-list" }
    var planName: String? { "iptablesList" }
    var isMutation: Bool { false }
    var argv: [String] { [tool.command(addressFamily), "-w", "-t", table, "-S", chain] + (rule.map { [String($0)] } ?? []) }
    var fields: JSON {
        .object([("family", .string(addressFamily.rawValue)), ("table", .string(table)), ("chain", .string(chain))]
                + IptablesEffects.program(tool) + (rule.map { [("rule", JSON.number(Double($0)))] } ?? []))
    }

    func perform(at location: SourceRange) throws -> EffectResult {
        // Over netlink where that gives the same answer: a count (with `rule`), or that the chain is absent.
        if let rule {
            if let size = IptablesNftChains.size(tool: tool, family: addressFamily, table: table, chain: chain, upTo: rule) {
                return size.answer
            }
        } else if IptablesNftChains.isAbsent(tool: tool, family: addressFamily, table: table, chain: chain) {
            return IptablesNftChains.Size.absent.answer
        }
        return try Spawn.runProgram(argv, capture: true, captureError: true, at: location)
    }

    func undo(at location: SourceRange) throws -> FamilyUndo { .nothing }
}

/// What iptables-save prints for restore `lines` given to an empty table: run by this wds in a
/// throwaway network namespace (`unshare --net`), so the host's ruleset never sees them; how wds
/// learns the canonical form of a rule part it has no model of. Answered with `.process`.
struct IptablesCanonicalProbe: FamilyEffect {
    var addressFamily: AddressFamily
    var table: String
    var lines: [String]
    var tool: IptablesTool

    var family: String { IptablesEffects.family }
    var kind: String { "iptables-canonical" }
    var planName: String? { "iptablesCanonical" }
    var isMutation: Bool { false }
    /// The inner command's options, after `wds iptables-canonical` (the CLI's `IptablesCanonicalCommand`).
    private var options: [String] {
        ["--table", table] + (addressFamily == .ipv6 ? ["--ipv6"] : []) + (tool == .standard ? [] : ["--program", tool.command(.ipv4)])
    }
    var argv: [String] { ["unshare", "--net", "--", "wds", "iptables-canonical"] + options + ["--"] + lines }
    var fields: JSON {
        .object([("family", .string(addressFamily.rawValue)), ("table", .string(table)), ("lines", .array(lines.map(JSON.string)))]
                + IptablesEffects.program(tool))
    }

    func perform(at location: SourceRange) throws -> EffectResult {
        // As root a network namespace of its own; otherwise one in a user namespace where wds is root.
        let unshare = getuid() == 0 ? ["unshare", "--net", "--"] : ["unshare", "--user", "--map-root-user", "--net", "--"]
        return try Spawn.runProgram(unshare + [Spawn.currentExecutable, "iptables-canonical"] + options + ["--"] + lines,
                                    capture: true, captureError: true, at: location)
    }

    func undo(at location: SourceRange) throws -> FamilyUndo { .nothing }
}
