import Foundation
import XCTest

/// The audits of the nftables family: the trace replays exactly, `--format
/// nft` is one nft script of the whole transaction, plan and verify show the
/// changes per table, chain and set and `--fix` puts back what is missing,
/// a saved plan applies, and the sandbox shows what a run made.
final class NftablesAuditTests: XCTestCase {
    /// A host with a table of its own, which the script changes in every way it can.
    static let setup = """
        nft -f - <<'EOF'
        add table inet keep
        add chain inet keep c
        add chain inet keep old
        add rule inet keep c ip saddr 192.0.2.9 counter accept
        add rule inet keep c drop
        add rule inet keep c tcp dport 22 accept
        add set inet keep s { type ipv4_addr; flags interval; }
        add element inet keep s { 192.0.2.1, 203.0.113.0/24 }
        EOF
        """

    static let script = """
        nft-table ensure inet warden
        nft-set ensure inet warden allowed --type ipv4_addr --flags interval --auto-merge
        nft-set add inet warden allowed 10.0.0.0/8 10.1.0.0/16 198.51.100.0/24
        nft-map ensure inet warden containers --type ifname --to verdict
        nft-chain ensure inet warden forward --hook forward --policy accept
        nft-chain ensure inet warden default
        nft-chain ensure inet warden instance-abc
        nft-rule ensure inet warden instance-abc --goto default
        nft-map add inet warden containers w-abc-0 "goto instance-abc"
        nft-rule ensure inet warden forward --iif w-* --vmap iifname:containers
        nft-rule ensure inet warden default --ct-state established,related --accept
        nft-rule ensure inet warden default --daddr @allowed --return
        nft-rule ensure inet warden default --drop
        nft-rule ensure inet warden default --position 2 --counter --comment "second"
        nft-rule delete inet keep c --drop --if-exists
        nft-rule ensure inet keep c --position 2 --saddr 198.51.100.7 --drop
        nft-rule ensure inet keep c --log-prefix "kept: " --accept
        nft-rule add inet keep c --comment "made and removed" --accept
        nft-rule delete inet keep c --comment "made and removed" --accept
        nft-set remove inet keep s 192.0.2.1 --if-exists
        nft-chain delete inet keep old --if-exists
        nft commit
        nft-chain ensure inet warden post --type nat --hook postrouting
        nft-rule ensure inet warden post --saddr 10.254.0.0/22 --snat 10.0.2.15

        """

    /// The ruleset a real run leaves.
    func runResult() throws -> NftRuleset {
        let (run, ruleset) = try ScriptRun.nft(Self.script, setup: Self.setup)
        XCTAssertEqual(run.status, 0, run.standardError)
        return ruleset
    }

    func testTheTraceReplaysExactly() throws {
        let expected = try runResult()
        let traced = try ScriptRun.run(Self.script, setup: Self.setup, command: "trace",
                                       after: "bash /tmp/.out >/tmp/.replay 2>&1 || cat /tmp/.replay; nft -j list ruleset")
        XCTAssertEqual(traced.status, 0, traced.standardError)
        XCTAssertTrue(traced.standardOutput.contains("nft -f - <<'WDS_NFT'  # /tmp/t/test.wds:21"), traced.standardOutput)
        XCTAssertTrue(traced.standardOutput.contains("# nft: delete rule inet keep c handle "), traced.standardOutput)
        XCTAssertEqual(try NftRuleset(traced.after).digest, expected.digest)
        // The batch never sends the rule the script made and removed again.
        XCTAssertFalse(traced.standardOutput.split(separator: "\n").contains { $0.hasPrefix("add rule") && $0.contains("made and removed") },
                       traced.standardOutput)
    }

    func testFormatNftIsTheWholeTransactionAsOneNftScript() throws {
        let expected = try runResult()
        let traced = try ScriptRun.run(Self.script, setup: Self.setup, command: "trace --format nft",
                                       after: "nft -c -f /tmp/.out && nft -f /tmp/.out && nft -j list ruleset")
        XCTAssertEqual(traced.status, 0, traced.standardError)
        XCTAssertTrue(traced.standardOutput.hasPrefix("#!/usr/sbin/nft -f\n"), traced.standardOutput)
        XCTAssertTrue(traced.standardOutput.contains("add rule inet warden forward iifname \"w-*\" iifname vmap @containers  # /tmp/t/test.wds:10\n"),
                      traced.standardOutput)
        XCTAssertEqual(try NftRuleset(traced.after).digest, expected.digest)
    }

    func testPlanApplyVerifyAndFix() throws {
        let expected = try runResult()
        let result = try ScriptRun.run(Self.script, setup: Self.setup, command: "plan --out /tmp/p.plan", after: """
            echo "plan=$(grep -v '^plan digest: ' /tmp/.out | tail -1)"
            "$WDS" apply --expect "$(sed -n 's/^plan digest: //p' /tmp/.out)" /tmp/p.plan; echo "apply=$?"
            nft -j list ruleset > /tmp/applied.json
            "$WDS" verify /tmp/t/test.wds; echo "verify=$?"
            nft delete element inet warden allowed '{ 198.51.100.0/24 }'
            nft delete rule inet warden default handle $(nft -a list chain inet warden default | grep 'return' | sed 's/.*handle //')
            nft delete chain inet warden post
            "$WDS" verify /tmp/t/test.wds; echo "verify=$?"
            "$WDS" verify --fix /tmp/t/test.wds | tail -1
            "$WDS" verify /tmp/t/test.wds; echo "verify=$?"
            echo '#### applied'
            cat /tmp/applied.json
            """)
        XCTAssertEqual(result.status, 10, result.standardError)
        XCTAssertTrue(result.standardOutput.contains("""
            nftables inet warden, chain default:
              + new chain default
              + ct state established,related accept
              + counter comment "second"
              + ip daddr @allowed return
              + drop

            """), result.standardOutput)
        XCTAssertTrue(result.standardOutput.contains("""
            nftables inet keep, chain c:
              + ip saddr 198.51.100.7 drop
              - drop
              + log prefix "kept: " accept

            """), result.standardOutput)
        XCTAssertTrue(result.standardOutput.contains("nftables inet keep, chain old:\n  - chain old deleted\n"), result.standardOutput)
        XCTAssertTrue(result.standardOutput.contains("nftables inet keep, set s:\n  - 192.0.2.1\n"), result.standardOutput)
        XCTAssertTrue(result.standardOutput.contains("nftables inet warden, set allowed:\n  + new set of ipv4_addr flags interval auto-merge\n  + 10.0.0.0/8\n  + 198.51.100.0/24\n"),
                      result.standardOutput)
        let parts = result.after.components(separatedBy: "#### applied\n")
        XCTAssertEqual(parts.first, """
            plan=22 change(s) in 10 area(s)
            apply=0
            no drift: the host holds everything test.wds would make
            verify=0
            missing:
              nftables inet warden, set allowed: 198.51.100.0/24
              nftables inet warden, chain default: ip daddr @allowed return
              nftables inet warden, chain post: new chain post (type nat hook postrouting priority 100 policy accept)
              nftables inet warden, chain post: ip saddr 10.254.0.0/22 snat ip to 10.0.2.15
            verify=10
            fixed: 4 missing or different piece(s) put back; extra ones left as they are
            no drift: the host holds everything test.wds would make
            verify=0

            """)
        XCTAssertEqual(try NftRuleset(parts.last ?? "").digest, expected.digest)
    }

    func testTheSandboxShowsNftablesChanges() throws {
        // The sandbox starts from empty namespaces of its own (with the uplink's stand-in): the
        // host's tables are not there, so the script makes its `keep` table first.
        let sandboxed = "run nft -f /tmp/t/keep.nft\n" + Self.script
        let keep = Self.setup.components(separatedBy: "\n").dropFirst().dropLast().joined(separator: "\n")
        let result = try ScriptRun.run(sandboxed, files: ["keep.nft": keep], command: "run --sandbox",
                                       after: "nft list table inet warden 2>&1 | head -1")
        XCTAssertEqual(result.status, 0, result.standardError)
        XCTAssertTrue(result.standardOutput.contains("== nftables changes\n"), result.standardOutput)
        XCTAssertTrue(result.standardOutput.contains("+ [nftables inet warden, map containers] \"w-abc-0\" : goto instance-abc\n"), result.standardOutput)
        XCTAssertTrue(result.standardOutput.contains("+ [nftables inet keep, chain c] log prefix \"kept: \" accept\n"), result.standardOutput)
        XCTAssertFalse(result.standardOutput.contains("chain old"), result.standardOutput)
        // The namespace the test made holds no warden table: the sandbox's own namespaces did.
        XCTAssertEqual(result.after, "Error: No such file or directory\n")
    }
}
