import Foundation
import XCTest

/// `nft-rule` against the kernel: every typed expression is written by wds,
/// printed back by nft, and compared; a rule's identity is the kernel's form,
/// so `ensure` run twice adds nothing.
final class NftablesRuleTests: XCTestCase {
    /// Tables, chains and sets the rules below use.
    static let prelude = """
        nft-table ensure inet t
        nft-table ensure ip t4
        nft-table ensure ip6 t6
        nft-set ensure inet t a4 --type ipv4_addr --flags interval
        nft-set ensure inet t a6 --type ipv6_addr
        nft-set ensure inet t ports --type inet_service --flags interval
        nft-map ensure inet t vm --type ifname --to verdict
        nft-map ensure inet t pm --type inet_service --to verdict
        nft-chain ensure inet t c
        nft-chain ensure inet t target
        nft-chain ensure inet t pre --type nat --hook prerouting
        nft-chain ensure inet t post --type nat --hook postrouting
        nft-chain ensure ip t4 c
        nft-chain ensure ip t4 post --type nat --hook postrouting
        nft-chain ensure ip6 t6 c
        nft-chain ensure ip6 t6 post --type nat --hook postrouting

        """

    /// Each line one rule (chain, then options); the `alias` ones are another line's rule written differently.
    static let rules: [(chain: String, options: String, alias: Bool)] = [
        ("inet t c", "--iif eth0 --accept", false),
        ("inet t c", "! --iif w-* --oif lo --drop", false),
        ("inet t c", "--protocol tcp --accept", false),
        ("inet t c", "! --protocol udp --accept", false),
        ("inet t c", "--protocol tcp --dport 80 --accept", false),
        ("inet t c", "--protocol tcp --dport 8000-8080,443,80 --accept", false),
        ("inet t c", "--protocol udp --sport 53 --dport 1024:65535 --accept", false),
        ("inet t c", "--protocol tcp ! --dport 22 --drop", false),
        ("inet t c", "--protocol tcp --dport @ports --accept", false),
        ("inet t c", "--protocol sctp --dport 9 --accept", false),
        ("inet t c", "--saddr 10.0.0.0/8 --daddr 192.0.2.1 --accept", false),
        ("inet t c", "--daddr 192.0.2.2/32 --drop", false),
        ("inet t c", "--daddr 192.0.2.3/24 --drop", false),
        ("inet t c", "! --saddr @a4 --drop", false),
        ("inet t c", "--daddr @a6 --accept", false),
        ("inet t c", "--saddr 2001:db8::/32 --daddr 2001:DB8:0::1 --accept", false),
        ("inet t c", "--daddr 0.0.0.0/0 --drop", false),
        ("inet t c", "--icmp-type echo-request --accept", false),
        ("inet t c", "--protocol icmp --icmp-type echo-request --accept", true),
        ("inet t c", "--icmp-type echo-request,echo-reply --accept", false),
        ("inet t c", "--icmpv6-type nd-neighbor-solicit,echo-request --accept", false),
        ("inet t c", "! --icmp-type echo-request --drop", false),
        ("inet t c", "--ct-state related,established --accept", false),
        ("inet t c", "! --ct-state new --drop", false),
        ("inet t c", "--ct-state invalid --drop", false),
        ("inet t c", "--mark 0x10 --accept", false),
        ("inet t c", "! --mark 0x1/0xff --drop", false),
        ("inet t c", "--limit 10/second --accept", false),
        ("inet t c", "--limit 5/minute --limit-burst 10 --accept", false),
        ("inet t c", "--counter --accept", false),
        ("inet t c", "--counter", false),
        ("inet t c", "--log --drop", false),
        ("inet t c", "--log-prefix \"wds: \" --log-level info --drop", false),
        ("inet t c", "--log-level warn --accept", false),
        ("inet t c", "--reject", false),
        ("inet t c", "--reject-with tcp-reset", false),
        ("inet t c", "--protocol tcp --dport 25 --reject-with tcp-reset", false),
        ("inet t c", "--reject-with icmp-host-unreachable", false),
        ("inet t c", "--reject-with icmpx-admin-prohibited", false),
        ("inet t c", "--reject-with icmpv6-no-route", false),
        ("inet t c", "--return", false),
        ("inet t c", "--jump target", false),
        ("inet t c", "--goto target", false),
        ("inet t c", "--vmap iifname:vm", false),
        ("inet t c", "--protocol udp --vmap dport:pm", false),
        ("inet t c", "--comment \"a comment\" --accept", false),
        ("inet t c", "--iif lo --protocol tcp --saddr 10.0.0.1 --daddr 10.0.0.2 --sport 1 --dport 2 --ct-state new --mark 5 --limit 10/second --counter --log-prefix p --accept --comment all", false),
        ("inet t pre", "--protocol tcp --dport 8080 --redirect", false),
        ("inet t pre", "--protocol tcp --dport 8081 --redirect-to 80", false),
        ("inet t pre", "--protocol tcp --dport 61001 --dnat 10.254.0.2:8080", false),
        ("inet t pre", "--protocol tcp --dport 8082 --dnat \"[2001:db8::1]:80\"", false),
        ("inet t pre", "--daddr 198.51.100.1 --dnat 10.0.0.1", false),
        ("inet t post", "--saddr 10.254.0.0/22 --snat 10.0.2.15", false),
        ("inet t post", "--oif eth0 --masquerade", false),
        ("ip t4 c", "--reject", false),
        ("ip t4 c", "--reject-with tcp-reset", false),
        ("ip t4 c", "--protocol tcp --reject-with tcp-reset", true),
        ("ip t4 c", "--saddr 10.0.0.0/8 --accept", false),
        ("ip t4 c", "--reject-with icmp-host-prohibited", false),
        ("ip t4 post", "--saddr 10.0.0.0/8 --snat 1.2.3.4", false),
        ("ip t4 post", "--protocol tcp --dport 1 --snat 1.2.3.4:1000", false),
        ("ip6 t6 c", "--reject", false),
        ("ip6 t6 c", "--saddr 2001:db8::/64 --accept", false),
        ("ip6 t6 post", "--masquerade", false),
        ("ip6 t6 post", "--saddr 2001:db8::/64 --protocol tcp --dport 1 --snat \"[2001:db8::2]:1000\"", false),
    ]

    static var script: String {
        var text = prelude
        for rule in rules { text += "nft-rule ensure \(rule.chain) \(rule.options)\n" }
        // What wds says each rule is, before nft has seen it.
        for table in ["inet t", "ip t4", "ip6 t6"] {
            text += "for r in $(nft-rule list \(table)) { echo \"\(table)|$r.chain|$r.json\" }\n"
        }
        return text
    }

    /// Every typed expression as nft prints it back, predicted by wds before the commit;
    /// and ensure, run again, finds every rule (aliases included) and adds none.
    func testEveryExpressionIsWhatNftPrintsBack() throws {
        let path = "/tmp/t/test.wds"
        let (run, ruleset) = try ScriptRun.nft(Self.script, setup: "", command: "run", arguments: "",
                                               files: [:])
        XCTAssertEqual(run.status, 0, run.standardError)
        // What wds predicted, chain by chain, against what the kernel printed.
        var predicted: [String: [String]] = [:]
        for line in run.standardOutput.split(separator: "\n") {
            let parts = line.split(separator: "|", maxSplits: 2).map(String.init)
            guard parts.count == 3 else { continue }
            let json = try JSONSerialization.jsonObject(with: Data(parts[2].utf8), options: .fragmentsAllowed)
            predicted["\(parts[0]) \(parts[1])", default: []].append(NftRuleset.canonical(json))
        }
        for chain in Set(Self.rules.map(\.chain)) {
            let (table, name) = (String(chain.split(separator: " ").prefix(2).joined(separator: " ")), String(chain.split(separator: " ")[2]))
            let kernel = ruleset.rules(table, name).map { $0.split(separator: "#", maxSplits: 1).first.map(String.init) ?? $0 }
            let expected = Self.rules.filter { $0.chain == chain && !$0.alias }.count
            XCTAssertEqual(kernel.count, expected, "\(chain): \(kernel)")
            XCTAssertEqual(predicted[chain] ?? [], kernel, "wds's prediction differs from nft's form in \(chain)")
        }
        // A second run compares every rule with the kernel's: nothing to add.
        let again = try ScriptRun.nft(Self.script, setup: "\"$WDS\" run \(path) >/dev/null 2>&1 || true")
        XCTAssertEqual(again.run.status, 0, again.run.standardError)
        XCTAssertEqual(NftRuleset.canonical(again.ruleset.items), NftRuleset.canonical(ruleset.items))
    }
}
