import Interpreter
import Lexer

/// The nftables ruleset as `wds run --sandbox` shows it (before and after
/// the run, by table, chain and set), and the live names the REPL completes.
enum NftSnapshot {
    /// The tables iptables-nft keeps its rules in: the sandbox shows them as iptables rules already.
    static func isIptablesTable(_ id: NftTableID) -> Bool {
        (id.family == .ip || id.family == .ip6) && ["filter", "nat", "mangle", "raw", "security"].contains(id.name)
    }

    static func take() -> FamilySnapshot? {
        guard let json = try? Libnftables.run("list ruleset", flags: Libnftables.outputJSON), json.status == 0,
              let terse = try? Libnftables.run("list ruleset", flags: Libnftables.outputTerse),
              let listing = try? NftListing(NftListing.stable(json.output), autoMerge: NftListing.autoMergeSets(terse.output)) else {
            return nil
        }
        var areas: [(area: String, lines: [String])] = []
        var shown: [String] = []
        for id in listing.tables where !isIptablesTable(id) {
            shown.append(id.words)
            areas.append(("nftables \(id.words)", ["table \(id.words)"]))
            for set in listing.sets where set.table == id {
                var lines = ["\(NftSetBuiltins.describe(set.model))"]
                if let shape = set.model.shape { lines += set.model.elements.map { $0.text(shape) } }
                areas.append(("nftables \(id.words), \(set.model.kind) \(set.name)", lines))
            }
            for chain in listing.chains where chain.table == id {
                var lines = [chain.base.map { NftChainBuiltins.describe($0) } ?? "a regular chain"]
                for rule in listing.rules where rule.table == id && rule.chain == chain.name {
                    lines.append(NftRuleEntry(kernel: rule.expressions, comment: rule.comment, handle: nil, family: id.family).text(family: id.family))
                }
                areas.append(("nftables \(id.words), chain \(chain.name)", lines))
            }
        }
        // The text of every table but iptables-nft's, as nft prints it.
        var text = ""
        for words in shown {
            if let table = try? Libnftables.run("list table \(words)", flags: 0), table.status == 0 { text += table.output }
        }
        return FamilySnapshot(title: "nftables ruleset after the run (nft list table, iptables-nft's tables left out)", text: text,
                              areas: areas)
    }

    /// Table, chain, set and map names for the REPL's completion.
    static func liveNames(_ parameter: String, _ type: ArgumentType, _ host: Host) -> [String] {
        guard case .custom(let placeholder, _) = type, ["TABLE", "CHAIN", "SET", "MAP"].contains(placeholder) else { return [] }
        let location = SourceRange(file: SourceFile(name: "completion", text: ""), start: 0, end: 0)
        guard case .process(0, let output, _)? = try? host.perform(.family(AnyFamilyEffect(NftListEffect(words: ["ruleset"]))), at: location),
              let listing = try? NftListing(output) else { return [] }
        switch placeholder {
        case "TABLE": return listing.tables.map(\.name)
        case "CHAIN": return listing.chains.map(\.name)
        case "SET": return listing.sets.filter { !$0.model.isMap }.map(\.name)
        default: return listing.sets.filter { $0.model.isMap }.map(\.name)
        }
    }
}
