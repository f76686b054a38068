import ArgumentParser
import Backends
import Driver
import HostSystem
import Interpreter

/// The inside of the `iptables-canonical` probe (`IptablesCanonicalProbe`):
/// run by wds itself in a throwaway network namespace, it restores the lines
/// into that namespace's empty table and prints what iptables-save prints
/// back, so the rule parts wds has no model of get the kernel's canonical form
/// without the host's ruleset ever seeing them.
struct IptablesCanonical: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "iptables-canonical",
        abstract: "Internal: what iptables-save prints for restore lines, in a throwaway network namespace.",
        shouldDisplay: false)

    @Option(help: "The table.")
    var table: String

    @Flag(help: "ip6tables instead of iptables.")
    var ipv6 = false

    @Option(help: "The iptables program whose save and restore run (iptables-legacy, …).")
    var program: String?

    @Argument(help: "Restore lines (-N CHAIN, -A CHAIN …).")
    var lines: [String] = []

    func run() throws {
        let family: AddressFamily = ipv6 ? .ipv6 : .ipv4
        guard let tool = program.map(IptablesTool.init(program:)) ?? .standard else { throw ValidationError("bad --program") }
        let payload = IptablesTables.restoreBlock(table: table, lines: lines)
        let restored = try Spawn.run([tool.restoreCommand(family)], input: payload, capture: true)
        guard restored.status == 0 else {
            Driver.standardOutput(restored.standardError, true)
            throw ExitCode(restored.status)
        }
        let saved = try Spawn.run([tool.saveCommand(family), "-t", table], capture: true)
        Driver.standardOutput(saved.standardOutput, false)
        if saved.status != 0 { Driver.standardOutput(saved.standardError, true) }
        throw ExitCode(saved.status)
    }
}
