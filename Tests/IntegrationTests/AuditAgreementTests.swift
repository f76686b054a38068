import Foundation
import XCTest

/// What `trace`, `plan`, `apply` and `verify` say agrees with what `wds run`
/// does, in the cases an adversarial pass found them apart. Each runs the
/// same script every way in a fresh namespace and compares what each left.
final class AuditAgreementTests: XCTestCase {
    /// A caught failure undoes what its statement changed (`try`, `if`, `||`),
    /// but not past a point of no return. The trace used to answer the probes
    /// after it as if nothing had been undone (`exists` true where the run
    /// says false), the plan listed the undone files, verify after a
    /// successful run reported them missing (and `--fix` would have made
    /// them), and `wds apply` of the saved plan wrote them. The run itself
    /// undid nothing of a caught failure after a program in the same block
    /// (`undone` stayed): the point of no return emptied the journal, and the
    /// savepoint's count of steps then named none of the steps after it.
    func testACaughtFailureIsUndoneInTracePlanApplyAndVerifyAsInTheRun() throws {
        try Namespace.requireNamespaces()
        let script = """
            write-file /tmp/w/a "a"
            try { write-file /tmp/w/b "b"; fail "half way" } catch e { echo "caught" }
            echo "b: $(exists /tmp/w/b)"
            def f() { append-file /tmp/w/a "more"; fail "in f" }
            if f { echo yes } else { echo no }
            f || echo "or"
            echo "a: $(read-file /tmp/w/a)"
            try { write-file /tmp/w/kept "k"; run true; write-file /tmp/w/undone "u"; fail "after a program" } catch e {}
            echo "kept: $(exists /tmp/w/kept) undone: $(exists /tmp/w/undone)"
            try { mkdir /tmp/w/d; mount tmpfs /tmp/w/d; sysctl set net.ipv4.ip_forward 1; fail "m" } catch e {}
            echo "d: $(is-dir /tmp/w/d) forwarding: $(sysctl get net.ipv4.ip_forward)"

            """
        let result = Namespace.run("""
            private_tmp
            mkdir -p /tmp/w /run/s && printf '%s' \(Namespace.shellQuote(script)) > /run/s/test.wds
            state() { find /tmp/w | sort; cat /tmp/w/a; echo; grep -c ' /tmp/w/' /proc/self/mountinfo; cat /proc/sys/net/ipv4/ip_forward; }
            echo "== trace"; "$WDS" trace /run/s/test.wds > /run/s/trace; echo "status=$?"
            grep "^printf '%s.n' [^>]*  #" /run/s/trace | sed 's/^printf .%s.n. //; s/  #.*//'
            "$WDS" plan --out /run/s/plan /run/s/test.wds > /run/s/plan.out; echo "plan=$?"
            grep -v '^plan digest' /run/s/plan.out
            "$WDS" apply --expect $(sed -n 's/^plan digest: //p' /run/s/plan.out) /run/s/plan > /dev/null; echo "apply=$?"
            applied=$(state)
            rm -rf /tmp/w/*; echo 0 > /proc/sys/net/ipv4/ip_forward
            echo "== run"; "$WDS" run /run/s/test.wds; echo "status=$?"
            ran=$(state)
            [ "$applied" = "$ran" ] && echo "apply left what the run left" || printf 'apply:\\n%s\\nrun:\\n%s\\n' "$applied" "$ran"
            echo "$ran"
            "$WDS" verify /run/s/test.wds | tail -1; echo "verify=${PIPESTATUS[0]}"
            """)
        XCTAssertEqual(result.standardOutput, """
            == trace
            status=0
            caught
            'b: false'
            no
            or
            'a: a'
            'kept: true undone: false'
            'd: false forwarding: 0'
            plan=10
            files:
              + /tmp/w/a (1 bytes)
              + /tmp/w/kept (1 bytes)
            programs (not simulated: what they change is not shown):
              ~ true  # /run/s/test.wds:8
            3 change(s) in 2 area(s)
            apply=0
            == run
            caught
            b: false
            no
            or
            a: a
            kept: true undone: false
            d: false forwarding: 0
            status=0
            apply left what the run left
            /tmp/w
            /tmp/w/a
            /tmp/w/kept
            a
            0
            0
            no drift: the host holds everything test.wds would make, but for what those programs do
            verify=0

            """, result.standardError)
    }

    /// An integer sysctl reads what is written as C integers in any base and
    /// prints them back in decimal, tab-separated: `010` is 8. The trace and
    /// the plan answered `sysctl get` with the text written (`010`), so a
    /// condition on it took the other branch than the run; verify after the
    /// run reported `64 -> 010`-style drift forever; and a failed run left the
    /// value in place, its undo finding "8" where it expected "010". A
    /// parameter written with `write-file` was a file to the model, so
    /// `sysctl get` after it answered the old value.
    func testSysctlValuesAreWhatTheKernelPrintsBack() throws {
        try Namespace.requireNamespaces()
        let script = """
            sysctl set net.ipv4.ip_default_ttl 010
            echo "ttl: $(sysctl get net.ipv4.ip_default_ttl)"
            if $(sysctl get net.ipv4.ip_default_ttl) == "8" { echo "eight" } else { echo "not eight" }
            sysctl set net.ipv4.ip_local_port_range "0x9c40   50000"
            echo "range: $(replace $(sysctl get net.ipv4.ip_local_port_range) "\\t" "<tab>")"
            write-file /proc/sys/net/ipv4/ip_forward "1\\n"
            echo "forward: $(sysctl get net.ipv4.ip_forward)"
            append-file /proc/sys/net/ipv4/ip_default_ttl "0x30\\n"
            append-file /proc/sys/net/ipv4/ip_default_ttl "8\\n"
            echo "ttl: $(sysctl get net.ipv4.ip_default_ttl)"

            """
        let result = Namespace.run("""
            mkdir -p /run/s && printf '%s' \(Namespace.shellQuote(script)) > /run/s/test.wds
            printf '%s\\n' 'sysctl set net.ipv4.ip_default_ttl 0x20' 'fail "stop"' > /run/s/fails.wds
            printf '%s\\n' 'append-file /proc/sys/net/ipv4/ip_default_ttl "0x30\\n"' 'fail "stop"' > /run/s/fails-too.wds
            echo "== trace"; "$WDS" trace /run/s/test.wds > /run/s/trace; echo "status=$?"
            grep "^printf '%s.n' " /run/s/trace | grep -v " > /proc/" | sed 's/^printf .%s.n. //; s/  #.*//'
            echo "== plan"; "$WDS" plan /run/s/test.wds; echo "plan=$?"
            echo "== run"; "$WDS" run /run/s/test.wds; echo "status=$?"
            "$WDS" verify /run/s/test.wds; echo "verify=$?"
            "$WDS" plan /run/s/test.wds; echo "plan=$?"
            "$WDS" run /run/s/fails.wds 2>/dev/null; echo "status=$? ttl=$(cat /proc/sys/net/ipv4/ip_default_ttl)"
            "$WDS" run /run/s/fails-too.wds 2>/dev/null; echo "status=$? ttl=$(cat /proc/sys/net/ipv4/ip_default_ttl)"
            """)
        XCTAssertEqual(result.standardOutput, """
            == trace
            status=0
            'ttl: 8'
            eight
            'range: 40000<tab>50000'
            'forward: 1'
            'ttl: 8'
            == plan
            sysctls:
              ~ net.ipv4.ip_default_ttl: 64 -> 8
              ~ net.ipv4.ip_forward: 0 -> 1
              ~ net.ipv4.ip_local_port_range: 32768\t60999 -> 40000\t50000
            3 change(s) in 1 area(s)
            plan=10
            == run
            ttl: 8
            eight
            range: 40000<tab>50000
            forward: 1
            ttl: 8
            status=0
            no drift: the host holds everything test.wds would make
            verify=0
            no changes: the host already is what test.wds would make it
            plan=0
            status=1 ttl=8
            status=1 ttl=8

            """, result.standardError)
    }

    /// Setting a link down takes its IPv6 addresses and every route through
    /// it; deleting an IPv4 primary takes its secondaries, the routes that
    /// send from them and, with the link's last IPv4 address, every IPv4
    /// route through it. A failed run (or a caught failure) undid only the
    /// change itself and said "undid the 1 change(s)": the host kept none of
    /// what the kernel had taken with it.
    func testAFailedRunPutsBackWhatTheKernelTookWithALinkDownOrAnAddress() throws {
        try Namespace.requireNamespaces()
        let result = Namespace.run("""
            ip link add w-a type veth peer name w-b; ip link set w-b up
            ip addr add 192.0.2.1/24 dev w-a; ip addr add 192.0.2.9/24 dev w-a; ip -6 addr add 2001:db8::1/64 dev w-a nodad
            ip link set w-a up
            ip route add 198.51.100.0/24 via 192.0.2.254; ip route add 203.0.113.0/24 dev w-a src 192.0.2.9
            ip -6 route add 2001:db8:1::/64 via 2001:db8::fe
            snap() { ip -br addr show dev w-a | sed 's/ fe80[^ ]*//'; ip route show dev w-a; ip -6 route show dev w-a | grep -v fe80; }
            before=$(snap); mkdir -p /run/s
            printf '%s\\n' 'link set w-a --down' 'fail "stop"' > /run/s/down.wds
            printf '%s\\n' 'address delete w-a 192.0.2.1/24' 'fail "stop"' > /run/s/address.wds
            printf '%s\\n' 'try { link set w-a --down; address delete w-a 192.0.2.1/24; fail "stop" } catch e { echo caught }' > /run/s/caught.wds
            for s in down address caught; do
              "$WDS" run /run/s/$s.wds 2>/dev/null; echo "$s status=$?"
              after=$(snap); [ "$before" = "$after" ] && echo "$s: as before" || diff <(echo "$before") <(echo "$after")
            done
            """)
        XCTAssertEqual(result.standardOutput, """
            down status=1
            down: as before
            address status=1
            address: as before
            caught
            caught status=0
            caught: as before

            """, result.standardError)
    }

    /// The model took only the routes that sent from a deleted address, and
    /// only where it had read the routes already: after deleting a link's last
    /// IPv4 address the trace still listed the routes through it that the
    /// kernel had flushed, and a route read after the delete came back from
    /// the kernel as it was before.
    func testTheTraceSeesTheRoutesAnAddressTakesWithIt() throws {
        try Namespace.requireNamespaces()
        let script = """
            address delete w-a 192.0.2.9/24
            for r in $(route list --dev w-a --ipv4) { echo "a: $r.dst" }
            address delete w-a 192.0.2.1/24
            for r in $(route list --dev w-a --ipv4) { echo "b: $r.dst" }
            address delete w-a 198.51.100.1/24
            for r in $(route list --dev w-a --ipv4) { echo "c: $r.dst" }
            echo done

            """
        let result = Namespace.run("""
            ip link add w-a type veth peer name w-b; ip link set w-b up
            ip addr add 192.0.2.1/24 dev w-a; ip addr add 192.0.2.9/24 dev w-a; ip addr add 198.51.100.1/24 dev w-a
            ip link set w-a up
            ip route add 203.0.113.0/24 via 192.0.2.254; ip route add 203.0.113.128/25 via 198.51.100.254 src 192.0.2.9
            ip route add 10.9.0.0/16 via 198.51.100.254
            mkdir -p /run/s && printf '%s' \(Namespace.shellQuote(script)) > /run/s/test.wds
            "$WDS" trace /run/s/test.wds | grep "^printf '%s.n' " | sed 's/^printf .%s.n. //; s/  #.*//' | tr -d "'" > /run/s/trace
            "$WDS" run /run/s/test.wds > /run/s/run; echo "status=$?"
            diff /run/s/trace /run/s/run && echo "the trace agrees"
            cat /run/s/run
            """)
        XCTAssertEqual(result.standardOutput, """
            status=0
            the trace agrees
            a: 10.9.0.0/16
            a: 192.0.2.0/24
            a: 198.51.100.0/24
            a: 203.0.113.0/24
            b: 10.9.0.0/16
            b: 198.51.100.0/24
            b: 203.0.113.0/24
            done

            """, result.standardError)
    }

    /// A failed run undoes its changes before its `cleanup` blocks run; the
    /// trace of the same run did not, so its cleanup answered from a host
    /// still holding them (and took the other branch than the run's).
    func testACleanupAfterAFailureSeesInTheTraceWhatItSeesInTheRun() throws {
        try Namespace.requireNamespaces()
        let script = """
            cleanup { echo "cleanup: a $(exists /tmp/w/a), kept $(exists /tmp/w/kept), b $(exists /tmp/w/b)" }
            write-file /tmp/w/a "a"
            run true
            write-file /tmp/w/kept "k"
            lock /tmp/w/lock { write-file /tmp/w/b "b" }
            fail "the end"

            """
        let result = Namespace.run("""
            private_tmp
            mkdir -p /tmp/w /run/s && printf '%s' \(Namespace.shellQuote(script)) > /run/s/test.wds
            "$WDS" trace /run/s/test.wds 2>/dev/null | grep "^printf '%s.n' " | sed 's/^printf .%s.n. //; s/  #.*//' | tr -d "'"
            "$WDS" run /run/s/test.wds 2>/dev/null; echo "status=$?"
            """)
        XCTAssertEqual(result.standardOutput, """
            cleanup: a true, kept false, b false
            cleanup: a true, kept false, b false
            status=1

            """, result.standardError)
    }

    /// verify took any mount at the mount point for the script's: a read-only
    /// bind of /etc or a ramfs where the script mounts a tmpfs was "no drift".
    func testVerifySeesAnotherFileSystemAtAMountPoint() throws {
        try Namespace.requireNamespaces()
        let result = Namespace.run("""
            private_tmp
            mkdir -p /tmp/w/m /run/s && printf '%s\\n' 'mount tmpfs /tmp/w/m --options size=1m' > /run/s/test.wds
            "$WDS" run /run/s/test.wds; echo "run=$?"
            "$WDS" verify /run/s/test.wds; echo "verify=$?"
            umount /tmp/w/m; mount -t ramfs -o ro ramfs /tmp/w/m
            "$WDS" verify /run/s/test.wds; echo "verify=$?"
            """)
        XCTAssertEqual(result.standardOutput, """
            run=0
            no drift: the host holds everything test.wds would make
            verify=0
            different:
              mounts: /tmp/w/m ramfs ramfs -> tmpfs none
            verify=10

            """, result.standardError)
    }

    /// A batch committed inside a `try` block (a file write commits it) that
    /// then fails is undone by the run; the saved plan kept its commit, and
    /// the re-opened batch's commit after it, so `wds apply` created what the
    /// run undid and then failed half-way ("Chain already exists").
    func testApplyOfACaughtFailureAfterACommitLeavesWhatTheRunLeaves() throws {
        try Namespace.requireNamespaces()
        let script = """
            chain create w-keep
            try {
              chain create w-undone
              rule append w-undone --jump ACCEPT
              write-file /tmp/w/x "x"
              fail "half way"
            } catch e { echo "caught" }
            try { nft-table create inet w-t; write-file /tmp/w/y "y"; fail "again" } catch e { echo "caught again" }
            rule append w-keep --jump DROP

            """
        let result = Namespace.run("""
            private_tmp
            mkdir -p /tmp/w /run/s && printf '%s' \(Namespace.shellQuote(script)) > /run/s/test.wds
            iptables -N scratch && iptables -X scratch
            state() { iptables -S | grep w-; nft list tables | grep -v 'ip filter'; ls /tmp/w; }
            "$WDS" plan --out /run/s/plan /run/s/test.wds > /run/s/plan.out; echo "plan=$?"
            "$WDS" apply --expect $(sed -n 's/^plan digest: //p' /run/s/plan.out) /run/s/plan > /dev/null; echo "apply=$?"
            applied=$(state)
            iptables -F w-keep; iptables -X w-keep
            "$WDS" run /run/s/test.wds > /dev/null; echo "run=$?"
            ran=$(state)
            [ "$applied" = "$ran" ] && echo "apply left what the run left" || printf 'apply:\\n%s\\nrun:\\n%s\\n' "$applied" "$ran"
            echo "$ran"
            """)
        XCTAssertEqual(result.standardOutput, """
            plan=10
            apply=0
            run=0
            apply left what the run left
            -N w-keep
            -A w-keep -j DROP

            """, result.standardError)
    }

    /// What a reviewer reads to decide on an untrusted script: a name with a
    /// newline started a line of its own in the plan, in verify's report and
    /// in the sandbox's report (a forged "+ /etc" or "== sysctls"),
    /// and a carriage return or an escape acted on the terminal. Each is shown
    /// escaped now, as diagnostics show them.
    func testAPlanAndASandboxReportShowHostileNamesOnOneLine() throws {
        try Namespace.requireNamespaces()
        let planned = Namespace.run("""
            private_tmp
            mkdir -p /tmp/w /run/s
            printf '%s\\n' 'mkdir "/tmp/w/a\\n  + "' 'mkdir "/tmp/w/a\\n  + /etc"' 'mkdir "/tmp/w/b\\rc"' > /run/s/test.wds
            "$WDS" plan /run/s/test.wds; echo "plan=$?"
            "$WDS" verify /run/s/test.wds; echo "verify=$?"
            """)
        XCTAssertEqual(planned.standardOutput, """
            directories:
              + /tmp/w/a\\n  + 
              + /tmp/w/a\\n  + /etc
              + /tmp/w/b\\rc
            3 change(s) in 1 area(s)
            plan=10
            missing:
              directories: /tmp/w/a\\n  + 
              directories: /tmp/w/a\\n  + /etc
              directories: /tmp/w/b\\rc
            verify=10

            """, planned.standardError)

        let sandboxed = Namespace.run("""
            private_tmp
            printf '%s\\n' 'run touch "/tmp/forged\\n== sysctls\\n  (none)"' > /tmp/test.wds
            "$WDS" run --sandbox /tmp/test.wds; echo "status=$?"
            """, uplink: nil, namespaces: ["--uts"])
        XCTAssertTrue(sandboxed.standardOutput.contains("== files and directories\n+ /tmp/forged\\n== sysctls\\n  (none) (0 bytes)\n"),
                      sandboxed.standardOutput + sandboxed.standardError)
        XCTAssertEqual(sandboxed.standardOutput.components(separatedBy: "== sysctls").count, 3, sandboxed.standardOutput)
    }

    /// A caught failure goes back no further than the last point of no
    /// return inside its block, in every family: the trace and the plan took
    /// back a chain committed before a program (which the run keeps), and a
    /// child script's changes (a child wds is a point of no return; one that
    /// fails undoes its own changes, but not past its own points of no return).
    func testACaughtFailureStopsAtAPointOfNoReturnInTraceAndPlanAsInTheRun() throws {
        try Namespace.requireNamespaces()
        let script = """
            try { chain create w-kept; run true; chain create w-undone; fail "after a program" } catch e { echo "caught" }
            echo "kept: $(chain exists w-kept) undone: $(chain exists w-undone)"
            try { write-file /tmp/w/before "b"; run-script "$script_dir/child.wds" ok; write-file /tmp/w/after "a"; fail "x" } catch e {}
            try { run-script "$script_dir/child.wds" fail } catch e {}
            echo "before: $(exists /tmp/w/before) child: $(exists /tmp/w/child) after: $(exists /tmp/w/after)"
            echo "child kept: $(exists /tmp/w/child-kept) child undone: $(exists /tmp/w/child-undone)"

            """
        let child = """
            if $1 == "fail" { write-file /tmp/w/child-kept "k"; run true; write-file /tmp/w/child-undone "u"; fail "child fails" }
            write-file /tmp/w/child "c"

            """
        let result = Namespace.run("""
            private_tmp
            mkdir -p /tmp/w /run/s && printf '%s' \(Namespace.shellQuote(script)) > /run/s/test.wds
            printf '%s' \(Namespace.shellQuote(child)) > /run/s/child.wds
            "$WDS" trace /run/s/test.wds 2>/dev/null | grep "^printf '%s.n' " | sed 's/^printf .%s.n. //; s/  #.*//' | tr -d "'"
            "$WDS" plan /run/s/test.wds 2>/dev/null | grep -v '^  ~ '; echo "plan=${PIPESTATUS[0]}"
            "$WDS" run /run/s/test.wds 2>/dev/null; echo "run=$?"
            """)
        XCTAssertEqual(result.standardOutput, """
            caught
            kept: true undone: false
            before: true child: true after: false
            child kept: true child undone: false
            iptables IPv4 filter, chain w-kept:
              + new chain w-kept
            files:
              + /tmp/w/before (1 bytes)
              + /tmp/w/child (1 bytes)
              + /tmp/w/child-kept (1 bytes)
            programs (not simulated: what they change is not shown):
            6 change(s) in 3 area(s)
            plan=10
            caught
            kept: true undone: false
            before: true child: true after: false
            child kept: true child undone: false
            run=0

            """, result.standardError)
    }

    /// With `--no-batch` each iptables change is its own commit, which the
    /// journal undoes when a caught failure takes its statement back; the
    /// model kept it, so `rules` and `chain exists` after the failure
    /// answered what the kernel no longer held (1 rule where there were 0).
    func testNoBatchProbesAfterACaughtFailureAreWhatTheKernelHolds() throws {
        try Namespace.requireNamespaces()
        let script = """
            chain create w-a
            try { rule append w-a --jump ACCEPT; rule append w-missing --jump DROP } catch e { echo "caught" }
            echo "rules: $(count $(rules w-a))"
            try { chain create w-b; write-file /tmp/w/f "x"; rule insert w-b 5 --jump DROP } catch e { echo "caught again" }
            echo "b: $(chain exists w-b) f: $(exists /tmp/w/f)"

            """
        let result = Namespace.run("""
            private_tmp
            mkdir -p /tmp/w /run/s && printf '%s' \(Namespace.shellQuote(script)) > /run/s/test.wds
            "$WDS" trace --no-batch /run/s/test.wds | grep "^printf '%s.n' " | sed 's/^printf .%s.n. //; s/  #.*//' | tr -d "'"
            "$WDS" run --no-batch /run/s/test.wds; echo "run=$?"
            iptables -S | grep w-
            """)
        XCTAssertEqual(result.standardOutput, """
            caught
            rules: 0
            caught again
            b: false f: false
            caught
            rules: 0
            caught again
            b: false f: false
            run=0
            -N w-a

            """, result.standardError)
    }

    /// A trace replayed in bash does what the run did: where a caught failure
    /// undoes what its statement changed (files, modes, directories, sysctls,
    /// mounts), the trace prints the commands that undo it, as it does for
    /// links; before, a replay kept everything the run had undone.
    func testTheTraceOfACaughtFailureReplaysAsTheRun() throws {
        try Namespace.requireNamespaces()
        let script = """
            write-file /tmp/w/existing "new"
            try {
              mkdir --parents /tmp/w/d/e
              write-file /tmp/w/d/e/f "f"
              write-file /tmp/w/existing "newer"
              chmod 0600 /tmp/w/existing
              sysctl set net.ipv4.ip_forward 1
              mount tmpfs /tmp/w/d
              fail "half way"
            } catch e { echo "caught" }
            echo "d: $(exists /tmp/w/d) existing: $(read-file /tmp/w/existing)"

            """
        let result = Namespace.run("""
            private_tmp
            mkdir -p /tmp/w /run/s && printf '%s' \(Namespace.shellQuote(script)) > /run/s/test.wds
            echo old > /tmp/w/existing
            snap() { ls -lR /tmp/w | grep -v total; cat /tmp/w/existing; echo; cat /proc/sys/net/ipv4/ip_forward; grep -c ' /tmp/w/' /proc/self/mountinfo; }
            "$WDS" trace /run/s/test.wds > /run/s/trace.sh; echo "trace=$?"
            bash /run/s/trace.sh > /run/s/replayed.out 2>&1; replayed=$(snap)
            umount /tmp/w/d 2>/dev/null; rm -rf /tmp/w/d; echo old > /tmp/w/existing; chmod 644 /tmp/w/existing; echo 0 > /proc/sys/net/ipv4/ip_forward
            "$WDS" run /run/s/test.wds > /run/s/run.out; echo "run=$?"; ran=$(snap)
            [ "$replayed" = "$ran" ] && echo "the replay left what the run left" || diff <(echo "$replayed") <(echo "$ran")
            diff /run/s/replayed.out /run/s/run.out && echo "and printed the same"
            echo "$ran" | tail -3
            """)
        XCTAssertEqual(result.standardOutput, """
            trace=0
            run=0
            the replay left what the run left
            and printed the same
            new
            0
            0

            """, result.standardError)
    }

    /// Undone latest first, a link set up goes down again and the kernel takes
    /// its IPv6 addresses and routes with it; the undo of adding them then
    /// found nothing and reported "could not undo" though the host was left
    /// as it was found. What is gone already counts as undone.
    func testAFailedRunSaysItUndidWhatTheKernelTookAlready() throws {
        try Namespace.requireNamespaces()
        let result = try ScriptRun.run("""
            veth create w-a w-b
            address add w-a 2001:db8::1/64 --nodad
            link set w-a --up
            link set w-b --up
            route add 2001:db8:5::/64 --via 2001:db8::fe
            fail "stop"
            """, after: "ip -br link | grep -c w- || true")
        XCTAssertEqual(result.status, 1, result.standardError)
        XCTAssertEqual(result.standardError, "stop\nwds: undid the 5 change(s) this run had made\n")
        XCTAssertEqual(result.after, "0\n")
    }

    /// The file model took every change: a trace's `mkdir` of a folder that
    /// exists, `rmdir` of a missing or non-empty one, `remove-file` of a
    /// folder, a write over a folder or under a file all succeeded, so each
    /// `||` and `try` took the other branch than the run, and `remove-empty-dirs`
    /// of a folder holding a file passed where the run fails. The model now
    /// fails each where the run does, with the run's words.
    func testTheFileModelFailsWhereTheRunFails() throws {
        try Namespace.requireNamespaces()
        let script = """
            mkdir /tmp/w/x
            try { mkdir /tmp/w/x } catch e { echo "1 $e.message" }
            try { mkdir /tmp/w/nope/y } catch e { echo "2 $e.message" }
            try { rmdir /tmp/w/missing } catch e { echo "3 $e.message" }
            write-file /tmp/w/x/f "f"
            try { rmdir /tmp/w/x } catch e { echo "4 $e.message" }
            try { remove-file /tmp/w/x } catch e { echo "5 $e.message" }
            try { mkdir /tmp/w/x/f } catch e { echo "6 $e.message" }
            try { write-file /tmp/w/x "over a folder" } catch e { echo "7 $e.message" }
            try { mkdir --parents /tmp/w/x/f/g } catch e { echo "8 $e.message" }
            try { rmdir /tmp/w/x/f } catch e { echo "9 $e.message" }
            try { remove-empty-dirs /tmp/w/x } catch e { echo "10 $e.message" }
            try { write-file /tmp/w/x/f/g "under a file" } catch e { echo "11 $e.message" }
            try { chmod 0600 /tmp/w/nope/g } catch e { echo "12 $e.message" }
            remove-file /tmp/w/missing
            echo done

            """
        let result = Namespace.run("""
            private_tmp
            mkdir -p /tmp/w /run/s && printf '%s' \(Namespace.shellQuote(script)) > /run/s/test.wds
            # The trace's output lines, replayed: what the trace says the run prints.
            "$WDS" trace /run/s/test.wds | grep "^printf '%s.n' " | sed 's/  #.*//' | bash > /run/s/trace
            "$WDS" run /run/s/test.wds > /run/s/run; echo "run=$?"
            diff /run/s/trace /run/s/run && echo "the trace agrees"
            cat /run/s/run
            """)
        XCTAssertEqual(result.standardOutput, """
            run=0
            the trace agrees
            1 cannot create directory '/tmp/w/x': File exists
            2 cannot reach '/tmp/w/nope/y': '/tmp/w/nope' does not exist
            3 cannot remove directory '/tmp/w/missing': No such file or directory
            4 cannot remove directory '/tmp/w/x': Directory not empty
            5 cannot remove '/tmp/w/x': Is a directory
            6 cannot create directory '/tmp/w/x/f': File exists
            7 cannot open '/tmp/w/x' for writing: Is a directory
            8 cannot reach '/tmp/w/x/f/g': '/tmp/w/x/f' is not a directory
            9 cannot remove directory '/tmp/w/x/f': Not a directory
            10 cannot remove directory '/tmp/w/x': Directory not empty
            11 cannot reach '/tmp/w/x/f/g': '/tmp/w/x/f' is not a directory
            12 cannot reach '/tmp/w/nope/g': '/tmp/w/nope' does not exist
            done

            """, result.standardError)
    }
}
