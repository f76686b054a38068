#if canImport(Glibc)
import Glibc
#endif
import HostSystem
import Interpreter
import Netlink

/// What `iptables -S CHAIN [N]` tells a decision — whether the chain exists,
/// and whether it holds N rules — read from nf_tables over netlink when the
/// iptables program is iptables-nft, whose chains are nf_tables chains of
/// table `ip filter` (`ip6 filter` for ip6tables, and so on). An iptables
/// process loads its cache of the table before it answers (~1.3 ms for a
/// new chain, 4–9 ms for a chain of 1000 rules, docs/performance.md); one
/// netlink request takes microseconds, and a dump of a chain's rules is read
/// only as far as the question needs. The trace still names the `iptables -S`
/// command, which gives the same answer.
///
/// Answered as JSON: `{"exists": false}`, or `{"exists": true, "rules": K}`
/// where K is the number of rules up to N (K < N: the chain holds exactly K).
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

    /// The chain's rules counted up to `limit`; nil when only the program can tell.
    static func size(tool: IptablesTool, family: AddressFamily, table: String, chain: String, upTo limit: Int) -> Size? {
        guard isNftables(tool.command(family)) else { return nil }
        let builtin = IptablesTables.builtinChains[table]?.contains(chain) ?? false
        do {
            let rules = try NetfilterNetlink.request(getRule, family: number(family), dump: true,
                                                     attributes: NetfilterNetlink.attribute(1, string: table)
                                                         + NetfilterNetlink.attribute(2, string: chain),
                                                     limit: max(limit, 1))
            // A dump of an absent chain is empty too: an empty answer asks whether the chain exists.
            if rules.isEmpty, !builtin, try !exists(family: family, table: table, chain: chain) { return .absent }
            return .rules(min(rules.count, limit))
        } catch let failure as NetfilterNetlink.Failure where failure.errno == ENOENT {
            // No such table. A built-in chain exists for iptables-nft before nf_tables has it.
            return builtin ? .rules(0) : .absent
        } catch {
            return nil
        }
    }

    /// True when nf_tables says the chain is absent (and it is not one iptables-nft shows anyway);
    /// false when it exists or only the program can tell.
    static func isAbsent(tool: IptablesTool, family: AddressFamily, table: String, chain: String) -> Bool {
        guard !(IptablesTables.builtinChains[table]?.contains(chain) ?? false), isNftables(tool.command(family)) else { return false }
        return (try? !exists(family: family, table: table, chain: chain)) ?? false
    }

    private static func exists(family: AddressFamily, table: String, chain: String) throws -> Bool {
        do {
            _ = try NetfilterNetlink.request(getChain, family: number(family), dump: false,
                                             attributes: NetfilterNetlink.attribute(1, string: table)
                                                 + NetfilterNetlink.attribute(3, string: chain))
            return true
        } catch let failure as NetfilterNetlink.Failure where failure.errno == ENOENT {
            return false
        }
    }

    private static func number(_ family: AddressFamily) -> UInt8 { family == .ipv4 ? 2 : 10 }  // NFPROTO_IPV4, NFPROTO_IPV6

    // nf_tables message types (NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_…).
    static let getChain: UInt16 = 10 << 8 | 4
    static let getRule: UInt16 = 10 << 8 | 7

    /// Whether `program` (found as a spawn would find it) is xtables-nft-multi, under any name.
    /// Asked once per program and process: PATH and the alternatives do not change under a run.
    static func isNftables(_ program: String) -> Bool {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        if let known = resolved[program] { return known }
        var answer = false
        if let path = Spawn.resolve(program), let real = realpath(path, nil) {
            answer = String(cString: real).hasSuffix("/xtables-nft-multi")
            free(real)
        }
        resolved[program] = answer
        return answer
    }

    nonisolated(unsafe) private static var resolved: [String: Bool] = [:]
    nonisolated(unsafe) private static var mutex: pthread_mutex_t = {
        var mutex = pthread_mutex_t()
        pthread_mutex_init(&mutex, nil)
        return mutex
    }()
}
