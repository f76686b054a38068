/// What every part of wds knows of iptables' tables: the chains each is born
/// with, and the block iptables-restore reads for one.
public enum IptablesTables {
    /// The chains each table is born with. iptables-nft shows them (policy
    /// ACCEPT, no rules) even before nf_tables holds them: it creates a table's
    /// base chains the first time a rule needs one.
    public static let builtinChains: [String: [String]] = [
        "filter": ["INPUT", "FORWARD", "OUTPUT"],
        "nat": ["PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"],
        "mangle": ["PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"],
        "raw": ["PREROUTING", "OUTPUT"],
        "security": ["INPUT", "FORWARD", "OUTPUT"],
    ]

    /// One table's block of iptables-restore input: `*TABLE`, the lines, `COMMIT`: the one
    /// writer of the format (a transaction's commit, its undo, `verify --fix`, the canonical-form helper).
    public static func restoreBlock(table: String, lines: [String]) -> String {
        "*\(table)\n" + lines.map { $0 + "\n" }.joined() + "COMMIT\n"
    }
}
