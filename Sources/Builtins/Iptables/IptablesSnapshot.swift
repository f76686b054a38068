import HostSystem
import Interpreter
import Lexer

/// The iptables rulesets as `wds run --sandbox` shows them, before and after
/// the run: `iptables-save` and `ip6tables-save`, normalized as the Warden
/// reference data is (comments dropped, counters zeroed), and their lines by
/// table ("IPv4 filter") for the report's changes.
enum IptablesSnapshot {
    static let title = "IPv4 ruleset after the run (iptables-save, normalized)"

    /// For REPL completion of a chain: the chains of the table the command names (`--table nat`),
    /// filter by default, of IPv6 with --ipv6, as the host's iptables-save prints them.
    static func chainNames(_ type: ArgumentType, _ options: [String: String], _ host: Host) -> [String] {
        guard case .chain = type else { return [] }
        let table = options["--table"] ?? "filter"
        let family: AddressFamily = options["--ipv6"] != nil ? .ipv6 : .ipv4
        let location = SourceRange(file: SourceFile(name: "completion", text: ""), start: 0, end: 0)
        guard case .text(let saved)? = try? host.perform(.iptablesSave(family: family, table: table), at: location) else { return [] }
        return (try? IptablesTableState.parse(saved, table: table, family: family))?.chains ?? []
    }

    static func take() -> FamilySnapshot? {
        var text = ""
        var areas: [(area: String, lines: [String])] = []
        for (family, command) in [("IPv4", "iptables-save"), ("IPv6", "ip6tables-save")] {
            guard let saved = try? Spawn.run([command], capture: true), saved.status == 0 else { continue }
            let (normalized, tables) = read(saved.standardOutput, family: family)
            // The IPv4 ruleset is the snapshot's text under its title; the IPv6 one follows under its own.
            if !normalized.isEmpty {
                text += family == "IPv4" ? normalized : "== IPv6 ruleset after the run (iptables-save, normalized)\n" + normalized
            }
            areas += tables
        }
        return FamilySnapshot(title: title, text: text, areas: areas)
    }

    /// One pass over iptables-save's output: the text the report shows
    /// (comments dropped, chain counters zeroed, as the Warden reference data
    /// is), and each table's lines without counters, for the report's changes.
    /// A table iptables-save does not print has its built-in chains,
    /// accepting, and no rules: so a table the run brings into being is no
    /// change until the run changes it.
    static func read(_ saved: String, family: String) -> (normalized: String, tables: [(area: String, lines: [String])]) {
        var normalized = ""
        var tables: [String: [String]] = [:]
        var table = ""
        for line in saved.split(separator: "\n") where !line.hasPrefix("#") {
            // Counters are not state the script made.
            var counterless = Substring(line)
            if line.hasPrefix(":"), let bracket = line.lastIndex(of: "[") {
                normalized += line[..<bracket] + "[0:0]\n"
                counterless = line[..<bracket]
                while counterless.last == " " { counterless = counterless.dropLast() }
            } else {
                normalized += line + "\n"
            }
            if line.hasPrefix("*") {
                table = String(line.dropFirst())
                if tables[table] == nil { tables[table] = [] }
            } else if line != "COMMIT" {
                tables[table, default: []].append(String(counterless))
            }
        }
        for (name, chains) in IptablesTables.builtinChains where tables[name] == nil {
            tables[name] = chains.map { ":\($0) ACCEPT" }
        }
        return (normalized, tables.keys.sorted().map { ("\(family) \($0)", tables[$0]!) })
    }
}
