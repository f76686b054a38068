import Foundation
import XCTest

/// A saved plan is a file anyone with write access could edit between review
/// and apply: `wds apply` performs only what it re-derives from the plan's
/// pinned script against the live host, and `--expect DIGEST` ties it to the
/// file the reviewer read. Each tampering is applied in a throwaway namespace,
/// which must come out unchanged.
final class PlanTamperTests: XCTestCase {
    static let scripts = Namespace.repositoryRoot.appendingPathComponent("scripts").path
    static let environment = "export POOL_NETWORK=10.254.0.0/22 ALLOW_NETWORKS=10.0.0.0/8 DENY_NETWORKS=192.168.0.0/16"

    /// Plans net.wds setup into $D/plan.json (digest in $DIGEST), lets `edit` change it (python3 with
    /// the JSON as `plan`), applies it with `apply`, and prints "status=N" and whether the namespace changed.
    func tamper(_ edit: String, apply: String = "--trust-plan") -> Namespace.Result {
        Namespace.run("""
            \(Self.environment)
            D=$(mktemp -d)
            "$WDS" plan --out $D/plan.json \(Self.scripts)/net.wds setup > $D/out
            DIGEST=$(sed -n 's/^plan digest: //p' $D/out)
            python3 - "$D/plan.json" <<'PY'
            import json, sys
            path = sys.argv[1]
            plan = json.load(open(path))
            \(edit)
            json.dump(plan, open(path, "w"))
            PY
            before=$(iptables-save | grep -v '^#'; cat /proc/sys/net/ipv4/ip_forward)
            "$WDS" apply \(apply) $D/plan.json; echo "status=$?"
            after=$(iptables-save | grep -v '^#'; cat /proc/sys/net/ipv4/ip_forward)
            [ "$before" = "$after" ] && echo unchanged || echo CHANGED
            [ -e /tmp/wds-pwned ] && echo PWNED && rm -f /tmp/wds-pwned
            true
            """)
    }

    func testAnAddedRuleInARestorePayloadIsRefused() throws {
        try Namespace.requireNamespaces()
        let edit = """
            for step in plan["effects"]:
                e = step["effect"]
                if e["effect"] == "iptablesRestore":
                    e["payload"] = e["payload"].replace("COMMIT", "-A INPUT -s 6.6.6.6/32 -j ACCEPT\\nCOMMIT", 1)
                    break
            """
        for apply in ["--trust-plan", "--expect $DIGEST"] {
            let result = tamper(edit, apply: apply)
            XCTAssertEqual(result.standardOutput, "status=1\nunchanged\n", "\(apply): \(result.standardError)")
        }
        XCTAssertTrue(tamper(edit).standardError.contains("the plan does not match what its script does on this host now"))
        XCTAssertTrue(tamper(edit, apply: "--expect $DIGEST").standardError.contains("is not the plan that was reviewed"))
    }

    func testAnAddedProgramIsRefused() throws {
        try Namespace.requireNamespaces()
        let result = tamper("""
            plan["effects"].insert(0, {"effect": {"effect": "runProgram", "argv": ["touch", "/tmp/wds-pwned"], "capture": False}, "location": "net.wds:1"})
            """)
        XCTAssertEqual(result.standardOutput, "status=1\nunchanged\n", result.standardError)
    }

    /// Without its probes, the plan no longer says what the host looked like: apply reads the
    /// host itself, so an emptied list is a mismatch, not a skipped check.
    func testDeletedProbesAreRefused() throws {
        try Namespace.requireNamespaces()
        let result = tamper("plan[\"probes\"] = []")
        XCTAssertEqual(result.standardOutput, "status=1\nunchanged\n", result.standardError)
    }

    /// An edited environment (a network allowed that the reviewer never saw) changes the script's effects.
    func testAnEditedEnvironmentIsRefused() throws {
        try Namespace.requireNamespaces()
        let result = tamper("""
            for variable in plan["environment"]:
                if variable["name"] == "ALLOW_NETWORKS":
                    variable["value"] = "0.0.0.0/0"
            """)
        XCTAssertEqual(result.standardOutput, "status=1\nunchanged\n", result.standardError)
    }

    /// What the reviewer reads is derived from the effects: there is nothing to hide a sysctl from.
    func testShowDerivesEveryChangeFromTheEffects() throws {
        try Namespace.requireNamespaces()
        let result = Namespace.run("""
            \(Self.environment)
            D=$(mktemp -d)
            "$WDS" plan --out $D/plan.json \(Self.scripts)/net.wds setup > $D/out
            "$WDS" show $D/plan.json > $D/show; echo "status=$?"
            grep -c '^plan sha256:' $D/show
            grep -c '> /proc/sys/net/ipv4/ip_forward  # ' $D/show
            [ "$(sed -n 's/^plan digest: //p' $D/out)" = "$(sed -n 's/^plan //p' $D/show)" ] && echo "same digest"
            """)
        XCTAssertEqual(result.standardOutput, "status=0\n1\n1\nsame digest\n", result.standardError)
    }

    /// A consistent forgery — the script, its pinned digest and the effects all edited to agree,
    /// as a fresh `wds plan --out` of an edited script makes them — is a different file:
    /// `--expect` with the reviewed digest refuses it.
    func testAConsistentForgeryFailsTheReviewedDigest() throws {
        try Namespace.requireNamespaces()
        let result = Namespace.run("""
            \(Self.environment)
            D=$(mktemp -d)
            cp \(Self.scripts)/net.wds $D/net.wds
            "$WDS" plan --out $D/plan.json $D/net.wds setup > $D/out
            REVIEWED=$(sed -n 's/^plan digest: //p' $D/out)
            printf '%s\\n' 'rule append INPUT --source 198.51.100.66 --jump ACCEPT' >> $D/net.wds
            "$WDS" plan --out $D/plan.json $D/net.wds setup > /dev/null
            "$WDS" apply --expect "$REVIEWED" $D/plan.json; echo "status=$?"
            iptables-save | grep -c 198.51.100.66 || true
            "$WDS" apply $D/plan.json; echo "status=$?"
            """)
        XCTAssertEqual(result.standardOutput, "status=1\n0\nstatus=2\n", result.standardError)
        XCTAssertTrue(result.standardError.contains("is not the plan that was reviewed"), result.standardError)
        XCTAssertTrue(result.standardError.contains("apply needs the digest of the plan that was reviewed"), result.standardError)
    }

    /// A plan made on one host and applied on another (another uplink address) is refused there.
    func testAPlanMovedToAnotherHostIsRefused() throws {
        try Namespace.requireNamespaces()
        let planFile = try Namespace.temporaryScript("", name: "plan.json")
        _ = Namespace.run("""
            \(Self.environment)
            "$WDS" plan --out \(Namespace.shellQuote(planFile)) \(Self.scripts)/net.wds setup
            """)
        var other = Namespace.Uplink()
        other.address = "192.0.2.15/24"
        other.gateway = "192.0.2.1"
        let applied = Namespace.run("""
            \(Self.environment)
            "$WDS" apply --trust-plan \(Namespace.shellQuote(planFile)); echo "status=$?"
            iptables-save | grep -c warden || true
            """, uplink: other)
        XCTAssertEqual(applied.standardOutput, "status=1\n0\n", applied.standardError)
        XCTAssertTrue(applied.standardError.contains("the host has changed since the plan was made"), applied.standardError)
    }
}
