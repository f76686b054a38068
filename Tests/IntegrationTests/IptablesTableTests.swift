import Foundation
import XCTest

/// Whole chains and tables, in a namespace: policies read and set (undone
/// with the run, planned, verified), tables flushed without creating them,
/// and rules found by `rules` deleted by their record or their number.
final class IptablesTableTests: XCTestCase {
    func testPoliciesAreReadSetUndoneAndVerified() throws {
        try Namespace.requireNamespaces()
        let set = try Namespace.temporaryScript("""
            echo before $(chain policy FORWARD) $(chain policy INPUT --ipv6)
            chain set-policy FORWARD DROP
            chain set-policy INPUT DROP --ipv6
            chain set-policy PREROUTING DROP --table raw
            echo after $(chain policy FORWARD) $(chain policy INPUT --ipv6) $(chain policy PREROUTING --table raw)
            chain ensure mine
            try { echo $(chain policy mine) } catch err { echo "caught: $err.message" }

            """)
        let failing = try Namespace.temporaryScript("""
            chain set-policy OUTPUT DROP
            chain set-policy FORWARD ACCEPT
            fail "stop"

            """, name: "failing.wds")
        let output = try Namespace.temporaryScript("chain set-policy OUTPUT DROP\n", name: "output.wds")
        let result = Namespace.run("""
            "$WDS" run \(Namespace.shellQuote(set)); echo "status=$?"
            "$WDS" run \(Namespace.shellQuote(failing)) 2>/dev/null; echo "status=$?"
            iptables -S | grep -- '^-P'; ip6tables -S INPUT; iptables -t raw -S PREROUTING
            "$WDS" plan \(Namespace.shellQuote(output))
            iptables -P FORWARD ACCEPT
            "$WDS" verify --fix \(Namespace.shellQuote(set)) | grep -v '^  iptables'; iptables -S FORWARD
            """)
        XCTAssertEqual(result.standardOutput, """
            before ACCEPT ACCEPT
            after DROP DROP DROP
            caught: 'mine' is a user chain of table 'filter'; only built-in chains have a policy
            status=0
            status=1
            -P INPUT ACCEPT
            -P FORWARD DROP
            -P OUTPUT ACCEPT
            -P INPUT DROP
            -P PREROUTING DROP
            iptables IPv4 filter, chain OUTPUT:
              ~ policy ACCEPT -> DROP
            1 change(s) in 1 area(s)
            different:
            fixed: 1 missing or different piece(s) put back; extra ones left as they are
            -P FORWARD DROP

            """, result.standardError)
        // A policy is ACCEPT or DROP, checked before anything runs; user chains have none.
        let bad = try Namespace.temporaryScript("chain set-policy FORWARD REJECT\n", name: "bad.wds")
        let user = try Namespace.temporaryScript("chain ensure mine\nchain set-policy mine DROP\n", name: "user.wds")
        let refused = Namespace.run("""
            "$WDS" run \(Namespace.shellQuote(bad)); echo "status=$?"
            "$WDS" run \(Namespace.shellQuote(user)); echo "status=$?"
            """)
        XCTAssertEqual(refused.standardOutput, "status=2\nstatus=1\n", refused.standardError)
        XCTAssertTrue(refused.standardError.contains("'REJECT' is not one of ACCEPT, DROP"), refused.standardError)
        XCTAssertTrue(refused.standardError.contains("user.wds:2:18: error: 'mine' is not a built-in chain of table 'filter'"),
                      refused.standardError)
    }

    func testFlushingATableNeverCreatesIt() throws {
        try Namespace.requireNamespaces()
        let script = try Namespace.temporaryScript("""
            iptables flush --table nat --delete-chains
            iptables flush --table mangle --ipv6
            chain flush --if-exists nosuch
            chain ensure a
            chain ensure b
            rule append a --jump b
            rule append FORWARD --jump a
            iptables flush
            echo $(chain names) $(count $(rules))
            iptables flush --delete-chains
            echo $(chain names)
            try { chain flush nosuch } catch err { echo "caught: $err.message" }

            """)
        let result = Namespace.run("""
            iptables -P FORWARD DROP
            "$WDS" run \(Namespace.shellQuote(script)); echo "status=$?"
            iptables-save | grep '^[*:]'; ip6tables-save | grep -c '^[*]' || true
            """)
        XCTAssertEqual(result.standardOutput, """
            [INPUT FORWARD OUTPUT a b] 0
            [INPUT FORWARD OUTPUT]
            caught: unknown chain 'nosuch' in table 'filter' (iptables: No chain/target/match by that name)
            status=0
            *filter
            :INPUT ACCEPT [0:0]
            :FORWARD DROP [0:0]
            :OUTPUT ACCEPT [0:0]
            0

            """, result.standardError)
    }

    func testRulesAreDeletedByRecordOrNumber() throws {
        try Namespace.requireNamespaces()
        let script = try Namespace.temporaryScript("""
            for r in $(chain list c) {
              echo $r.number $r.negated $r.rest
              if $r.comment == legacy { rule delete-record $r }
            }
            let before = $(rules c)
            rule delete-at c 1
            echo $(count $(rules c))
            rule delete-record $before.first
            try { rule delete-record $before.first } catch err { echo "caught: $err.message" }
            rule delete-record $before.first --if-exists
            for r in $(rules --table nat) { rule delete-record $r }

            """)
        let result = Namespace.run("""
            iptables -N c
            iptables -A c -s 192.0.2.1 -j ACCEPT
            iptables -A c -m comment --comment legacy -j DROP
            iptables -A c ! -s 10.0.0.0/8 -p tcp ! --dport 22 -m addrtype --src-type LOCAL -j ACCEPT
            iptables -A c -s 192.0.2.1 -j ACCEPT
            iptables -t nat -A POSTROUTING -s 198.51.100.0/24 -j MASQUERADE
            "$WDS" run \(Namespace.shellQuote(script)); echo "status=$?"
            iptables -S c; iptables -t nat -S POSTROUTING
            """)
        XCTAssertEqual(result.standardOutput, """
            1 [] []
            2 [] []
            3 [source dport] [-m addrtype --src-type LOCAL]
            4 [] []
            2
            caught: chain 'c' in table 'filter' no longer holds `-A c -s 192.0.2.1/32 -j ACCEPT`
            status=0
            -N c
            ! -A c ! -s 10.0.0.0/8 -p tcp -m tcp ! --dport 22 -m addrtype --src-type LOCAL -j ACCEPT
            -P POSTROUTING ACCEPT

            """.replacingOccurrences(of: "! -A c", with: "-A c"), result.standardError)
    }

    /// `iptables use` picks the programs, as GARDEN_IPTABLES_BIN does: every
    /// read, change, undo and canonical form goes through iptables-legacy.
    func testTheIptablesProgramsAreChosenByTheScript() throws {
        try Namespace.requireNamespaces()
        let script = try Namespace.temporaryScript("""
            iptables use $(env GARDEN_IPTABLES_BIN "iptables")
            chain ensure picked
            rule ensure picked --src-type LOCAL --jump ACCEPT
            rule ensure picked --match [hashlimit --hashlimit-upto 5/sec --hashlimit-name h] --jump ACCEPT
            echo $(chain names)

            """)
        let failing = try Namespace.temporaryScript("""
            iptables use legacy
            chain create undone
            rule append undone --jump DROP
            iptables commit
            fail "stop"

            """, name: "failing.wds")
        let late = try Namespace.temporaryScript("chain ensure x\niptables use nft\n", name: "late.wds")
        let result = Namespace.run("""
            export GARDEN_IPTABLES_BIN=/usr/sbin/iptables-legacy
            "$WDS" run \(Namespace.shellQuote(script)) && "$WDS" run \(Namespace.shellQuote(script)); echo "status=$?"
            # Two reads of picked, both through iptables-legacy: does it exist (`-S picked 1`), then its rules.
            "$WDS" trace \(Namespace.shellQuote(script)) | grep -c '^# probe: /usr/sbin/iptables-legacy -w -t filter -S picked' || true
            "$WDS" run \(Namespace.shellQuote(failing)) 2>/dev/null; echo "status=$?"
            "$WDS" run \(Namespace.shellQuote(late)); echo "status=$?"
            iptables-legacy-save -t filter | grep -v '^#'; iptables-nft-save | grep -c picked || true
            """)
        XCTAssertEqual(result.standardOutput, """
            [INPUT FORWARD OUTPUT picked]
            [INPUT FORWARD OUTPUT picked]
            status=0
            2
            status=1
            status=1
            *filter
            :INPUT ACCEPT [0:0]
            :FORWARD ACCEPT [0:0]
            :OUTPUT ACCEPT [0:0]
            :picked - [0:0]
            -A picked -m addrtype --src-type LOCAL -j ACCEPT
            -A picked -m hashlimit --hashlimit-upto 5/sec --hashlimit-burst 5 --hashlimit-name h -j ACCEPT
            COMMIT
            0

            """, result.standardError)
        XCTAssertTrue(result.standardError.contains("late.wds:2:1: error: `iptables use` must come before the run's first iptables statement"),
                      result.standardError)
    }

    /// A chain name mistyped in any rule or chain change gets the chain it most likely meant.
    func testAMistypedChainGetsASuggestion() throws {
        try Namespace.requireNamespaces()
        let script = try Namespace.temporaryScript("""
            chain ensure warden-forward
            try { rule append warden-froward --jump ACCEPT } catch err { echo $err.message }
            try { chain flush FORWRAD } catch err { echo $err.message }
            rule append FORWARD --jump warden-forwad

            """)
        let result = Namespace.run("\"$WDS\" run \(Namespace.shellQuote(script)); echo \"status=$?\"")
        XCTAssertEqual(result.standardOutput, """
            unknown chain 'warden-froward' in table 'filter' (iptables: No chain/target/match by that name)
            unknown chain 'FORWRAD' in table 'filter' (iptables: No chain/target/match by that name)
            status=5

            """, result.standardError)
        XCTAssertTrue(result.standardError.contains("""
            test.wds:4:1: error: unknown chain 'warden-forwad' in table 'filter' (iptables: No chain/target/match by that name)
             4 | rule append FORWARD --jump warden-forwad
               | ^~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
            hint: did you mean 'warden-forward'?
            """), result.standardError)
    }
}
