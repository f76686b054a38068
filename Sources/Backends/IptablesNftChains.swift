#if canImport(Glibc)
import Glibc
#endif
import Interpreter
import Netlink

/// What `iptables -S CHAIN` tells a decision — whether the chain exists, and
/// how many rules it holds — read from nf_tables over netlink when the
/// iptables program is iptables-nft, whose chains are nf_tables chains of
/// table `ip filter` (`ip6 filter` for ip6tables, and so on). An iptables
/// process loads its cache of the table before it answers (~1.3 ms for a
/// new chain, 4–9 ms for a chain of 1000 rules, docs/performance.md); one
/// netlink request takes microseconds. The trace still names the `iptables -S`
/// command, which gives the same answer.
///
/// Answered as JSON: `{"exists": false}`, or `{"exists": true, "rules": N}`.
/// nil — ask the program — when the program is not iptables-nft (legacy, a
/// wrapper, missing) or nf_tables does not answer (no CAP_NET_ADMIN): the
/// program then says what it says, as before.
enum IptablesNftChains {
    enum Size: Equatable {
        case absent
        case rules(Int)

        var answer: EffectResult {
            switch self {
            case .absent: return .text(JSON.object([("exists", .bool(false))]).serialized)
            case .rules(let count): return .text(JSON.object([("exists", .bool(true)), ("rules", .number(Double(count)))]).serialized)
            }
        }
    }

    static func size(tool: IptablesTool, family: AddressFamily, table: String, chain: String) -> Size? {
        guard isNftables(tool.command(family)) else { return nil }
        let nfFamily: UInt8 = family == .ipv4 ? 2 : 10  // NFPROTO_IPV4, NFPROTO_IPV6
        let builtin = IptablesTables.builtinChains[table]?.contains(chain) ?? false
        do {
            let rules = try NetfilterNetlink.request(getRule, family: nfFamily, dump: true,
                                                     attributes: NetfilterNetlink.attribute(1, string: table)
                                                         + NetfilterNetlink.attribute(2, string: chain))
            if rules.isEmpty, !builtin {
                // No rules: the chain may be empty, or absent (a dump of an absent chain is empty too).
                _ = try NetfilterNetlink.request(getChain, family: nfFamily, dump: false,
                                                 attributes: NetfilterNetlink.attribute(1, string: table)
                                                     + NetfilterNetlink.attribute(3, string: chain))
            }
            return .rules(rules.count)
        } catch let failure as NetfilterNetlink.Failure where failure.errno == ENOENT {
            // No such table or chain. A built-in chain exists for iptables-nft before nf_tables has it.
            return builtin ? .rules(0) : .absent
        } catch {
            return nil
        }
    }

    // nf_tables message types (NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_…).
    static let getChain: UInt16 = 10 << 8 | 4
    static let getRule: UInt16 = 10 << 8 | 7

    /// Whether `program` (found as a spawn would find it) is xtables-nft-multi, under any name.
    static func isNftables(_ program: String) -> Bool {
        guard let path = Spawn.resolve(program), let real = realpath(path, nil) else { return false }
        defer { free(real) }
        let resolved = String(cString: real)
        return resolved.hasSuffix("/xtables-nft-multi")
    }
}
