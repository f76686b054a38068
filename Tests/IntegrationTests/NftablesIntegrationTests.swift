import Foundation
import XCTest

/// The nftables builtins run for real, each test in a fresh network namespace,
/// and judged by what `nft -j list ruleset` prints afterwards, compared with
/// what the script says it made.
final class NftablesIntegrationTests: XCTestCase {
    func testTablesOfEveryFamily() throws {
        let script = """
            for family in [ip ip6 inet bridge netdev] { nft-table create $family t }
            nft-table ensure inet t
            nft-table create inet t || echo "create refused: it exists"
            nft-table create inet gone
            nft-table delete inet gone
            nft-table delete inet never --if-exists
            if nft-table exists bridge t { echo "bridge t exists" }
            if ! nft-table exists inet gone { echo "inet gone does not" }
            nft-table flush inet full
            for t in $(nft-table list) { echo "$t.family $t.name" }

            """
        let setup = """
            nft add table inet full && nft add chain inet full c && nft add rule inet full c accept
            nft add set inet full s '{ type ipv4_addr; }' && nft add element inet full s '{ 192.0.2.1 }'
            """
        let (run, ruleset) = try ScriptRun.nft(script, setup: setup)
        XCTAssertEqual(run.status, 0, run.standardError)
        XCTAssertEqual(run.standardOutput, """
            create refused: it exists
            bridge t exists
            inet gone does not
            bridge t
            inet full
            inet t
            ip t
            ip6 t
            netdev t

            """)
        XCTAssertEqual(Set(ruleset.tables), ["ip t", "ip6 t", "inet t", "bridge t", "netdev t", "inet full"])
        // A flushed table keeps its chains, sets and their elements; only rules go.
        XCTAssertEqual(ruleset.rules("inet full", "c"), [])
        XCTAssertNotNil(ruleset.chain("inet full", "c"))
        XCTAssertEqual(ruleset.elements("inet full", "s"), ["\"192.0.2.1\""])
    }

    func testChainsRegularAndBase() throws {
        let script = """
            nft-table create inet t
            nft-chain create inet t forward --hook forward --priority filter --policy drop
            nft-chain create inet t pre --type nat --hook prerouting
            nft-chain create inet t post --type nat --hook postrouting --priority 110
            nft-chain create inet t regular
            nft-chain ensure inet t forward --hook forward --policy accept
            nft-chain ensure inet t regular
            try { nft-chain ensure inet t forward --hook input } catch e { echo "refused: $e.message" }
            nft-chain create inet t regular || echo "create refused"
            nft-table create netdev n
            nft-chain create netdev n ingress --hook ingress --device eth0
            nft-table create bridge b
            nft-chain create bridge b forward --hook forward
            nft-rule add inet t forward --jump regular
            nft-rule add inet t regular --accept
            try { nft-chain delete inet t regular } catch e { echo "refused: $e.message" }
            nft-chain flush inet t regular
            try { nft-chain delete inet t regular } catch e { echo "refused: $e.message" }
            nft-chain flush inet t forward
            nft-chain delete inet t regular
            nft-chain delete inet t regular --if-exists
            if nft-chain exists inet t pre { echo "pre exists" }
            if ! nft-chain exists inet nosuch pre { echo "no table, no chain" }
            echo $(nft-chain names inet t)

            """
        let (run, ruleset) = try ScriptRun.nft(script)
        XCTAssertEqual(run.status, 0, run.standardError)
        XCTAssertEqual(run.standardOutput, """
            refused: chain 'forward' in table 'inet t' exists as type filter hook forward priority 0 policy accept; it cannot become type filter hook input priority 0 policy accept (nft: Device or resource busy)
            create refused
            refused: chain 'regular' in table 'inet t' still has 1 rule(s) (nft: Device or resource busy)
            refused: chain 'regular' in table 'inet t' is still the target of a rule of chain 'forward' (`jump regular`) (nft: Device or resource busy)
            pre exists
            no table, no chain
            [forward pre post]

            """)
        func base(_ table: String, _ chain: String) -> String {
            guard let object = ruleset.chain(table, chain) else { return "missing" }
            return ["type", "hook", "prio", "policy"].map { "\(object[$0] ?? "-")" }.joined(separator: " ")
        }
        XCTAssertEqual(base("inet t", "forward"), "filter forward 0 accept")  // ensure changed the policy
        XCTAssertEqual(base("inet t", "pre"), "nat prerouting -100 accept")
        XCTAssertEqual(base("inet t", "post"), "nat postrouting 110 accept")
        XCTAssertNil(ruleset.chain("inet t", "regular"))
        XCTAssertEqual(base("netdev n", "ingress"), "filter ingress 0 accept")
        XCTAssertEqual(base("bridge b", "forward"), "filter forward -200 accept")
        XCTAssertEqual(ruleset.rules("inet t", "forward"), [])
    }

    func testInsertPlacesAndDelete() throws {
        let setup = """
            nft add table inet t && nft add chain inet t c
            nft add rule inet t c ip saddr 192.0.2.1 accept
            nft add rule inet t c ip saddr 192.0.2.2 accept
            """
        let script = """
            let first = ""
            let second = ""
            for r in $(nft-chain list inet t c) {
              if $r.position == 1 { first = $r.handle }
              if $r.position == 2 { second = $r.handle }
            }
            nft-rule insert inet t c --saddr 198.51.100.1 --drop
            nft-rule insert inet t c --position 2 --saddr 198.51.100.2 --drop
            nft-rule insert inet t c --after-handle $first --saddr 198.51.100.3 --drop
            nft-rule insert inet t c --before-handle $second --saddr 198.51.100.4 --drop
            nft-rule insert inet t c --before "ip saddr 198.51.100.1 drop" --saddr 198.51.100.5 --drop
            nft-rule insert inet t c --after "ip saddr 192.0.2.2 accept" --saddr 198.51.100.6 --drop
            nft-rule add inet t c --saddr 198.51.100.7 --drop
            nft-rule delete inet t c --saddr 198.51.100.7 --drop
            nft-rule delete inet t c --handle $first
            nft-rule delete inet t c --saddr 203.0.113.1 --drop --if-exists
            try { nft-rule delete inet t c --saddr 203.0.113.1 --drop } catch e { echo "refused: $e.message" }
            if nft-rule exists inet t c --saddr 198.51.100.2 --drop { echo "exists" }
            if ! nft-rule exists inet t c --saddr 198.51.100.7 --drop { echo "deleted in the same batch" }
            for r in $(nft-chain list inet t c) { echo "$r.position $r.saddr $r.verdict" }

            """
        let (run, ruleset) = try ScriptRun.nft(script, setup: setup)
        XCTAssertEqual(run.status, 0, run.standardError)
        XCTAssertEqual(run.standardOutput, """
            refused: chain 'c' in table 'inet t' holds no such rule (nft: No such file or directory)
            exists
            deleted in the same batch
            1 198.51.100.5 drop
            2 198.51.100.1 drop
            3 198.51.100.2 drop
            4 198.51.100.3 drop
            5 198.51.100.4 drop
            6 192.0.2.2 accept
            7 198.51.100.6 drop

            """)
        let addresses = ruleset.rules("inet t", "c").compactMap { rule -> String? in
            guard let range = rule.range(of: #"[0-9.]+(?=\"\}\},\{)"#, options: .regularExpression) else { return nil }
            return String(rule[range])
        }
        XCTAssertEqual(addresses, ["198.51.100.5", "198.51.100.1", "198.51.100.2", "198.51.100.3", "198.51.100.4",
                                   "192.0.2.2", "198.51.100.6"])
    }

    func testSetsAndMaps() throws {
        let script = """
            nft-table create inet t
            nft-set create inet t allow --type ipv4_addr --flags interval --auto-merge
            nft-set create inet t strict --type ipv4_addr --flags interval
            nft-set create inet t ports --type inet_service
            nft-set create inet t six --type ipv6_addr --flags interval,timeout --timeout 1h
            nft-set add inet t allow 10.0.0.0/8 10.1.0.0/16 11.0.0.0/8 192.0.2.7 192.0.2.8
            nft-set add inet t strict 10.0.0.0/8 198.51.100.0/24
            try { nft-set add inet t strict 10.1.0.0/16 } catch e { echo "refused: $e.message" }
            nft-set add inet t strict 10.0.0.0/8
            nft-set remove inet t strict 198.51.100.0/24
            try { nft-set remove inet t allow 10.1.0.0/16 } catch e { echo "refused: $e.message" }
            nft-set add inet t ports 80 443 80
            nft-set add inet t six 2001:db8::/32 --timeout 30m
            if nft-set contains inet t strict 10.0.0.0/8 { echo "strict holds 10.0.0.0/8" }
            if ! nft-set contains inet t allow 10.1.0.0/16 { echo "allow holds it only inside 10.0.0.0/7" }
            echo "allow: $(join $(nft-set list inet t allow) " ")"
            echo "ports: $(join $(nft-set list inet t ports) " ")"
            nft-set ensure inet t allow --type ipv4_addr --flags interval --auto-merge
            try { nft-set ensure inet t allow --type ipv4_addr } catch e { echo "refused: $e.message" }
            nft-map create inet t vm --type ifname --to verdict
            nft-map create inet t portmap --type inet_service --to ipv4_addr
            nft-chain create inet t inst
            nft-chain create inet t forward --hook forward
            nft-map add inet t vm w-a "goto inst" w-b accept
            nft-map add inet t vm w-a "goto inst"
            try { nft-map add inet t vm w-a drop } catch e { echo "refused: $e.message" }
            nft-map add inet t portmap 61001 10.254.0.2
            echo "w-a: $(nft-map get inet t vm w-a)"
            nft-rule add inet t forward --vmap iifname:vm
            nft-rule add inet t forward --daddr @allow --accept
            try { nft-set delete inet t allow } catch e { echo "refused: $e.message" }
            nft-map remove inet t vm w-b
            nft-set flush inet t ports
            nft-set create inet t scratch --type mark
            nft-set delete inet t scratch
            nft-set delete inet t scratch --if-exists
            if nft-set exists inet t allow { echo "allow exists" }
            if ! nft-set exists inet t vm { echo "vm is a map, not a set" }
            if nft-map exists inet t vm { echo "vm exists" }
            nft-map ensure inet t vm --type ifname --to verdict
            try { nft-map ensure inet t vm --type ifname --to ipv4_addr } catch e { echo "refused: $e.message" }
            nft-map create inet t gone --type mark --to verdict
            nft-map add inet t gone 1 drop
            nft-map flush inet t gone
            echo "gone: $(count $(nft-map list inet t gone)) elements"
            nft-map delete inet t gone
            nft-map delete inet t gone --if-exists
            nft-map remove inet t vm w-zzz --if-exists
            for e in $(nft-map list inet t vm) { echo "vm: $e.key -> $e.value" }

            """
        let (run, ruleset) = try ScriptRun.nft(script)
        XCTAssertEqual(run.status, 0, run.standardError)
        XCTAssertEqual(run.standardOutput, """
            refused: '10.1.0.0/16' overlaps '10.0.0.0/8', which the set holds (it has no auto-merge) (nft: interval overlaps with an existing one)
            refused: element '10.1.0.0/16' does not exist in set (it holds it only as part of a larger one, or not at all) (nft: No such file or directory)
            strict holds 10.0.0.0/8
            allow holds it only inside 10.0.0.0/7
            allow: 10.0.0.0/7 192.0.2.7-192.0.2.8
            ports: 80 443
            refused: set 'allow' in table 'inet t' exists as set of ipv4_addr flags interval auto-merge; it cannot become set of ipv4_addr (nft: File exists)
            refused: element 'w-a' already exists with another value (nft: File exists)
            w-a: goto inst
            refused: set 'allow' in table 'inet t' is still used by a rule of chain 'forward' (`ip daddr @allow accept`) (nft: Device or resource busy)
            allow exists
            vm is a map, not a set
            vm exists
            refused: map 'vm' in table 'inet t' exists as map of ifname : verdict; it cannot become map of ifname : ipv4_addr (nft: File exists)
            gone: 0 elements
            vm: w-a -> goto inst

            """)
        XCTAssertEqual(ruleset.elements("inet t", "allow"), [
            #"{"prefix":{"addr":"10.0.0.0","len":7}}"#, #"{"range":["192.0.2.7","192.0.2.8"]}"#,
        ])
        XCTAssertEqual(ruleset.elements("inet t", "strict"), [#"{"prefix":{"addr":"10.0.0.0","len":8}}"#])
        XCTAssertEqual(ruleset.elements("inet t", "ports"), [])
        XCTAssertEqual(ruleset.elements("inet t", "six"), [#"{"elem":{"timeout":1800,"val":{"prefix":{"addr":"2001:db8::","len":32}}}}"#])
        XCTAssertEqual(ruleset.elements("inet t", "vm"), [#"["w-a",{"goto":{"target":"inst"}}]"#])
        XCTAssertEqual(ruleset.elements("inet t", "portmap"), [#"[61001,"10.254.0.2"]"#])
        XCTAssertNil(ruleset.set("inet t", "scratch"))
        XCTAssertNil(ruleset.set("inet t", "gone"))
        XCTAssertEqual(ruleset.set("inet t", "six")?["timeout"] as? Int, 3600)
        XCTAssertEqual(ruleset.rules("inet t", "forward").count, 2)
    }

    /// Sets and maps the kernel already holds are read over netlink: every type wds models, intervals
    /// (their boundaries joined again), timeouts, verdicts; one key at a time where that is all a statement needs.
    func testSetsTheKernelHoldsReadBack() throws {
        let setup = """
            nft -f - <<'EOF'
            add table inet k
            add chain inet k c
            add set inet k v4 { type ipv4_addr; flags interval; auto-merge; }
            add element inet k v4 { 10.0.0.0/8, 192.0.2.7-192.0.2.9, 203.0.113.0/24, 198.51.100.1 }
            add set inet k v6 { type ipv6_addr; flags interval; }
            add element inet k v6 { 2001:db8::/32, ::1 }
            add set inet k open { type ipv4_addr; flags interval; }
            add element inet k open { 0.0.0.0/0 }
            add set inet k ports { type inet_service; flags interval; }
            add element inet k ports { 22, 8000-8080 }
            add set inet k names { type ifname; }
            add element inet k names { "eth0", "w-abc-0" }
            add set inet k marks { type mark; }
            add element inet k marks { 0x10, 0xffffffff }
            add set inet k protos { type inet_proto; }
            add element inet k protos { tcp, ipv6-icmp }
            add set inet k macs { type ether_addr; }
            add element inet k macs { 02:00:00:00:00:01 }
            add set inet k ttl { type ipv4_addr; flags timeout; timeout 1h; }
            add element inet k ttl { 192.0.2.1 timeout 30m, 192.0.2.2 }
            add map inet k vm { type ifname : verdict; }
            add element inet k vm { "w-a" : goto c, "w-b" : accept, "w-c" : drop, "w-d" : jump c }
            add map inet k pm { type inet_service : ipv4_addr; }
            add element inet k pm { 80 : 10.0.0.1 }
            EOF
            """
        let script = """
            for set in [v4 v6 open ports names marks protos macs ttl] { echo "$set: $(join $(nft-set list inet k $set) " ")" }
            for e in $(nft-map list inet k vm) { echo "vm: $e.key -> $e.value" }
            echo "pm: $(nft-map get inet k pm 80)"
            if nft-set contains inet k names w-abc-0 { echo "names holds w-abc-0" }
            if ! nft-set contains inet k names w-xyz-0 { echo "names does not hold w-xyz-0" }
            if nft-set contains inet k v4 192.0.2.7-192.0.2.9 { echo "v4 holds the range" }
            nft-map remove inet k vm w-b
            nft-map add inet k vm w-e "goto c"
            try { nft-map add inet k vm w-a accept } catch e { echo "refused: $e.message" }

            """
        let (run, ruleset) = try ScriptRun.nft(script, setup: setup)
        XCTAssertEqual(run.status, 0, run.standardError)
        XCTAssertEqual(run.standardOutput, """
            v4: 10.0.0.0/8 192.0.2.7-192.0.2.9 198.51.100.1 203.0.113.0/24
            v6: ::1 2001:db8::/32
            open: 0.0.0.0/0
            ports: 22 8000-8080
            names: eth0 w-abc-0
            marks: 16 4294967295
            protos: tcp icmpv6
            macs: 02:00:00:00:00:01
            ttl: 192.0.2.1 192.0.2.2
            vm: w-a -> goto c
            vm: w-b -> accept
            vm: w-c -> drop
            vm: w-d -> jump c
            pm: 10.0.0.1
            names holds w-abc-0
            names does not hold w-xyz-0
            v4 holds the range
            refused: element 'w-a' already exists with another value (nft: File exists)

            """)
        XCTAssertEqual(Set(ruleset.elements("inet k", "vm")), [
            #"["w-a",{"goto":{"target":"c"}}]"#, #"["w-c",{"drop":null}]"#, #"["w-d",{"jump":{"target":"c"}}]"#,
            #"["w-e",{"goto":{"target":"c"}}]"#,
        ])
    }

    /// `||`, `if` and `try` see what the statement decided, and the rest of the run's changes are applied.
    func testConditionsSeeTheModel() throws {
        let script = """
            nft-table create inet t || echo "exists"
            if ! nft-chain create inet t c { echo "c exists" }
            try { nft-rule add inet t absent --accept } catch e { echo "caught: $e.message" }
            try { nft-rule add inet t c --jump nowhere } catch e { echo "caught: $e.message" }
            try { nft-rule add inet t c --daddr @nothing --accept } catch e { echo "caught: $e.message" }
            nft-chain create inet t applied

            """
        let (run, ruleset) = try ScriptRun.nft(script, setup: "nft add table inet t && nft add chain inet t c")
        XCTAssertEqual(run.status, 0, run.standardError)
        XCTAssertEqual(run.standardOutput, """
            exists
            c exists
            caught: unknown chain 'absent' in table 'inet t' (nft: No such file or directory)
            caught: unknown chain 'nowhere' in table 'inet t' (nft: No such file or directory)
            caught: unknown set 'nothing' in table 'inet t' (nft: No such file or directory)

            """)
        XCTAssertNotNil(ruleset.chain("inet t", "applied"))
    }

    /// A rule the kernel refuses in the middle of a script leaves the ruleset byte for byte as it
    /// was; the failure names the statement whose line nft refused. The same for a raw rule nft
    /// cannot read, and a keyword used as a name.
    func testARefusalAtCommitLeavesTheRulesetAsItWas() throws {
        let cases = [
            ("nft-rule add inet keep post --protocol tcp --dport 80 --dnat 192.0.2.1:8080", "Operation not supported"),
            ("nft-rule add inet keep c --nft \"tcp dport 22 frobnicate\"", "syntax error"),
        ]
        for (refused, message) in cases {
            let script = """
                nft-table ensure inet keep
                nft-chain ensure inet keep c
                nft-chain ensure inet keep post --type nat --hook postrouting
                nft-rule delete inet keep c --drop
                nft-rule add inet keep c --nft "tcp dport 22 counter accept"
                nft-set add inet keep s 198.51.100.1
                \(refused)
                write-file /tmp/after "a file, after the refused rule"

                """
            let setup = """
                nft add table inet keep && nft add chain inet keep c && nft add rule inet keep c drop
                nft add set inet keep s '{ type ipv4_addr; }' && nft add element inet keep s '{ 192.0.2.1 }'
                nft add table ip other && nft add chain ip other c && nft add rule ip other c counter accept
                nft list ruleset > /tmp/before.txt; nft -j list ruleset > /tmp/before.json
                """
            let result = try ScriptRun.run(script, setup: setup, after: """
                nft list ruleset | cmp - /tmp/before.txt && nft -j list ruleset | cmp - /tmp/before.json && echo "byte for byte"
                ls /tmp/after 2>/dev/null
                """)
            XCTAssertEqual(result.status, 5, result.standardError)
            XCTAssertTrue(result.standardError.contains("test.wds:7:1: error: nft refused `"), result.standardError)
            XCTAssertTrue(result.standardError.contains(message), result.standardError)
            XCTAssertTrue(result.standardError.contains("no change of this nftables batch was applied"), result.standardError)
            XCTAssertEqual(result.after, "byte for byte\n")
        }
    }

    /// A failed run undoes the batches it had committed, and what the failing statement of a
    /// caught failure changed.
    func testAFailedRunUndoesItsCommittedBatches() throws {
        let script = """
            nft-table create inet new
            nft-rule delete inet keep c --drop
            nft-rule insert inet keep c --accept --comment first
            nft-rule add inet keep c --counter --comment last
            nft-set add inet keep s 198.51.100.0/24
            nft-set remove inet keep s 192.0.2.1
            nft-chain flush inet keep full
            nft-chain delete inet keep gone
            nft-chain ensure inet keep forward --hook forward --policy drop
            nft commit
            nft-table delete inet doomed
            nft-table create inet doomed
            nft commit
            fail "stop here"

            """
        let setup = """
            nft -f - <<'EOF'
            add table inet keep
            add chain inet keep c
            add chain inet keep gone
            add chain inet keep full
            add chain inet keep forward { type filter hook forward priority 0; policy accept; }
            add rule inet keep c ip saddr 192.0.2.9 counter accept
            add rule inet keep c drop
            add rule inet keep c tcp dport 22 accept
            add rule inet keep full jump gone
            add rule inet keep full ip daddr 192.0.2.10 drop
            add set inet keep s { type ipv4_addr; flags interval; }
            add element inet keep s { 192.0.2.1, 203.0.113.0/24 }
            add table inet doomed
            add chain inet doomed c
            add rule inet doomed c tcp dport 80 accept
            EOF
            """
        let (result, before, after) = try ScriptRun.nftBeforeAfter(script, setup: setup)
        XCTAssertEqual(result.status, 1, result.standardError)
        XCTAssertTrue(result.standardError.contains("wds: undid the 2 change(s) this run had made"), result.standardError)
        XCTAssertEqual(after.digest, before.digest)

        let caught = """
            def half() {
              nft-chain create inet keep half
              nft-rule add inet keep half --accept
              nft commit
              nft-set add inet keep s 198.51.100.0/24
              fail "half way"
            }
            nft-chain create inet keep kept
            if half { echo "no" } else { echo "half failed" }

            """
        let (run, ruleset) = try ScriptRun.nft(caught, setup: setup)
        XCTAssertEqual(run.status, 0, run.standardError)
        XCTAssertEqual(run.standardOutput, "half failed\n")
        XCTAssertNotNil(ruleset.chain("inet keep", "kept"))
        XCTAssertNil(ruleset.chain("inet keep", "half"))
        XCTAssertEqual(ruleset.elements("inet keep", "s").count, 2)
    }

    /// What a program did is seen by the statements after it.
    func testTheModelForgetsAfterAProgram() throws {
        let script = """
            if nft-table exists inet web { echo "before: yes" } else { echo "before: no" }
            run nft add table inet web
            if nft-table exists inet web { echo "after: yes" } else { echo "after: no" }
            nft-chain create inet web c

            """
        let (run, ruleset) = try ScriptRun.nft(script)
        XCTAssertEqual(run.standardOutput, "before: no\nafter: yes\n", run.standardError)
        XCTAssertNotNil(ruleset.chain("inet web", "c"))
    }
}
