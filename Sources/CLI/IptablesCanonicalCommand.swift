import Backends
import Driver
import HostSystem
import Interpreter

/// The inside of the `iptables-canonical` probe (`IptablesCanonicalProbe`):
/// run by wds itself in a throwaway network namespace, it restores the lines
/// into that namespace's empty table and prints what iptables-save prints
/// back, so the rule parts wds has no model of get the kernel's canonical form
/// without the host's ruleset ever seeing them.
struct IptablesCanonical: RunnableCommand {
    var table: String
    var ipv6: Bool
    var program: String?
    var lines: [String]

    init(_ arguments: ParsedArguments) {
        table = arguments.value("table")!
        ipv6 = arguments.flag("ipv6")
        program = arguments.value("program")
        lines = arguments.positionalList("lines")
    }

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
