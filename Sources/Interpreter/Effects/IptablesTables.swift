/// The chains each iptables table is born with. iptables-nft shows them
/// (policy ACCEPT, no rules) even before nf_tables holds them: it creates a
/// table's base chains the first time a rule needs one.
public enum IptablesTables {
    public static let builtinChains: [String: [String]] = [
        "filter": ["INPUT", "FORWARD", "OUTPUT"],
        "nat": ["PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"],
        "mangle": ["PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"],
        "raw": ["PREROUTING", "OUTPUT"],
        "security": ["INPUT", "FORWARD", "OUTPUT"],
    ]
}
