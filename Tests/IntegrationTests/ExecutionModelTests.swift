import Foundation
import XCTest

/// The execution model (docs/execution.md): every statement is decided when
/// it runs, effects reach the host in script order, a failed run undoes what
/// it did, and trace, plan and verify tell the same story as the run. Each
/// test is one of the findings that the model fixed, in a throwaway namespace.
final class ExecutionModelTests: XCTestCase {
    static let scripts = Namespace.repositoryRoot.appendingPathComponent("scripts").path
    static let environment = "export POOL_NETWORK=10.254.0.0/22 ALLOW_NETWORKS=10.0.0.0/8 DENY_NETWORKS=192.168.0.0/16"

    /// Shell lines that give the namespace a private /tmp holding `text` as /tmp/test.wds.
    static func privateTmp(with text: String) -> String {
        "private_tmp\nprintf '%s' \(Namespace.shellQuote(text)) > /tmp/test.wds"
    }

    /// 1. The rules go in before forwarding is turned on, as the script says.
    func testEffectsReachTheHostInScriptOrder() throws {
        try Namespace.requireNamespaces()
        let result = Namespace.run("""
            \(Self.environment)
            strace -f -qq -e trace=execve,openat -o /tmp/wds-order.trace "$WDS" run \(Self.scripts)/net.wds setup >/dev/null
            echo "status=$?"
            grep -E 'execve\\(.*iptables-restore|openat\\(.*ip_forward.*O_WRONLY' /tmp/wds-order.trace | sed -E 's/.*(iptables-restore|ip_forward).*/\\1/'
            rm -f /tmp/wds-order.trace
            """)
        XCTAssertEqual(result.standardOutput, "status=0\niptables-restore\nip_forward\n", result.standardError)
    }

    /// 2. A failure stops the run, and the run leaves the host as it found it: files, directories,
    /// sysctls, mounts and iptables alike, including a batch committed before the failure.
    func testAFailedRunLeavesNoChangeOfAnyFamily() throws {
        try Namespace.requireNamespaces()
        let script = """
            mkdir --parents /tmp/model/a/b
            write-file /tmp/model/a/b/file "new"
            write-file /tmp/model/existing "changed"
            sysctl set net.ipv4.ip_forward 1
            mount tmpfs /tmp/model/a
            chain create first-batch
            iptables commit
            chain create second-batch
            rule append second-batch --jump ACCEPT
            fail "stop here"
            echo never

            """
        let result = Namespace.run("""
            \(Self.privateTmp(with: script))
            mkdir /tmp/model && printf old > /tmp/model/existing
            # iptables-nft makes the built-in filter table on first use, and an undo leaves it (empty): start with it.
            iptables -N scratch && iptables -X scratch
            before=$(iptables-save | grep -v '^#'; cat /proc/sys/net/ipv4/ip_forward; find /tmp/model; cat /tmp/model/existing; grep -c /tmp/model /proc/self/mountinfo)
            "$WDS" run /tmp/test.wds; echo "status=$?"
            after=$(iptables-save | grep -v '^#'; cat /proc/sys/net/ipv4/ip_forward; find /tmp/model; cat /tmp/model/existing; grep -c /tmp/model /proc/self/mountinfo)
            [ "$before" = "$after" ] && echo unchanged || printf '%s\\n----\\n%s\\n' "$before" "$after"
            """)
        XCTAssertEqual(result.standardOutput, "status=1\nunchanged\n", result.standardError)
        XCTAssertTrue(result.standardError.contains("stop here"), result.standardError)
        XCTAssertTrue(result.standardError.contains("wds: undid the "), result.standardError)
    }

    /// 2b. After a program (a point of no return) only what came after it is undone, and the run says so.
    func testAPointOfNoReturnIsNamed() throws {
        try Namespace.requireNamespaces()
        let script = """
            write-file /tmp/before-program "kept"
            run true
            write-file /tmp/after-program "undone"
            fail "stop"

            """
        let result = Namespace.run("""
            \(Self.privateTmp(with: script))
            "$WDS" run /tmp/test.wds; echo "status=$?"
            ls /tmp | grep program
            """)
        XCTAssertEqual(result.standardOutput, "status=1\nbefore-program\n", result.standardError)
        XCTAssertTrue(result.standardError.contains("were not undone (a point of no return)"), result.standardError)
    }

    /// 3. `||`, `if` and `try` see iptables failures when the statement runs, as an unbatched run would,
    /// and the rest of the run's changes are applied.
    func testConditionsSeeIptablesFailures() throws {
        try Namespace.requireNamespaces()
        let script = try Namespace.temporaryScript("""
            chain create X --table nat || echo "exists"
            if ! chain create X --table nat { echo "still exists" }
            try { rule append missing --jump ACCEPT } catch e { echo "caught: $e.message" }
            chain create applied
            """)
        for mode in ["run", "run --no-batch"] {
            let result = Namespace.run("""
                iptables -t nat -N X
                "$WDS" \(mode) \(Namespace.shellQuote(script)); echo "status=$?"
                iptables -S applied 2>/dev/null | head -1
                """)
            XCTAssertEqual(result.standardOutput, """
                exists
                still exists
                caught: unknown chain 'missing' in table 'filter' (iptables: No chain/target/match by that name)
                status=0
                -N applied

                """, "\(mode): \(result.standardError)")
        }
        // The trace takes the same branches, and prints the chain the run creates.
        let traced = Namespace.run("""
            iptables -t nat -N X
            "$WDS" trace \(Namespace.shellQuote(script)) | grep -v '^#' | sed 's/  # .*//'; echo "status=${PIPESTATUS[0]}"
            """)
        XCTAssertEqual(traced.standardOutput, """
            printf '%s\\n' exists
            printf '%s\\n' 'still exists'
            printf '%s\\n' 'caught: unknown chain '\\''missing'\\'' in table '\\''filter'\\'' (iptables: No chain/target/match by that name)'
            iptables -w -t filter -N applied
            status=0

            """, traced.standardError)
    }

    /// 3b. A caught failure undoes what the failing statement itself changed (a savepoint).
    func testACaughtFailureUndoesItsOwnChanges() throws {
        try Namespace.requireNamespaces()
        let script = """
            def half() {
              chain create half-made
              rule append half-made --jump ACCEPT
              write-file /tmp/half-made "x"
              fail "half way"
            }
            chain create kept
            if half { echo "no" } else { echo "half failed" }

            """
        let result = Namespace.run("""
            \(Self.privateTmp(with: script))
            "$WDS" run /tmp/test.wds; echo "status=$?"
            iptables -S | grep -E 'kept|half' ; ls /tmp | grep half
            """)
        XCTAssertEqual(result.standardOutput, "half failed\nstatus=0\n-N kept\n", result.standardError)
    }

    /// 4. What a program did is seen by the statements after it.
    func testTheModelForgetsAfterAProgram() throws {
        try Namespace.requireNamespaces()
        let script = try Namespace.temporaryScript("""
            if chain exists web { echo "before: yes" } else { echo "before: no" }
            run iptables -w -N web
            if chain exists web { echo "after: yes" } else { echo "after: no" }
            rule append web --jump ACCEPT
            """)
        for mode in ["run", "run --no-batch"] {
            let result = Namespace.run("""
                "$WDS" \(mode) \(Namespace.shellQuote(script)); echo "status=$?"
                iptables -S web
                """)
            XCTAssertEqual(result.standardOutput, "before: no\nafter: yes\nstatus=0\n-N web\n-A web -j ACCEPT\n",
                           "\(mode): \(result.standardError)")
        }
    }

    /// 5. plan and verify see every change of the run, not only the last batch's.
    func testPlanAndVerifySeeChangesBeforeACommit() throws {
        try Namespace.requireNamespaces()
        let script = try Namespace.temporaryScript("""
            rule ensure INPUT --protocol tcp --jump ACCEPT
            iptables commit
            """)
        let result = Namespace.run("""
            "$WDS" plan \(Namespace.shellQuote(script)) | tail -1; echo "plan=${PIPESTATUS[0]}"
            "$WDS" run \(Namespace.shellQuote(script))
            iptables -F INPUT
            "$WDS" verify \(Namespace.shellQuote(script)) >/dev/null; echo "verify=$?"
            "$WDS" verify --fix \(Namespace.shellQuote(script)) | tail -1
            iptables -S INPUT | grep -c -- '-A INPUT -p tcp -j ACCEPT'
            "$WDS" verify \(Namespace.shellQuote(script)); echo "verify=$?"
            """)
        XCTAssertEqual(result.standardOutput, """
            1 change(s) in 1 area(s)
            plan=10
            verify=10
            fixed: 1 missing or different piece(s) put back; extra ones left as they are
            1
            no drift: the host holds everything test.wds would make
            verify=0

            """, result.standardError)
    }

    /// 6. A plan whose run would fail says so, with the run's own status.
    func testPlanKeepsTheExitStatus() throws {
        try Namespace.requireNamespaces()
        let exiting = try Namespace.temporaryScript("echo x\nexit 3\n")
        let failing = try Namespace.temporaryScript("chain create c\nrule append nowhere --jump ACCEPT\n")
        let result = Namespace.run("""
            "$WDS" plan \(Namespace.shellQuote(exiting)); echo "plan=$?"
            "$WDS" plan \(Namespace.shellQuote(failing)) 2>/dev/null; echo "plan=$?"
            """)
        XCTAssertEqual(result.standardOutput, "plan=3\nplan=5\n", result.standardError)
        XCTAssertTrue(result.standardError.contains("the run would end with status 3; no plan"), result.standardError)
    }

    /// 7. `rule ensure` compares rules as iptables-save prints them, so running twice adds one rule;
    /// verify --fix never adds a second copy of a rule that only moved.
    func testEnsureIsIdempotentAndFixNeverDuplicates() throws {
        try Namespace.requireNamespaces()
        let ensure = try Namespace.temporaryScript("""
            chain ensure c
            rule ensure c --in + --jump ACCEPT
            rule ensure c --protocol tcp --sport 0:65535 --jump DROP

            """)
        let moving = try Namespace.temporaryScript("""
            chain ensure m
            rule delete m --source 192.0.2.1 --jump ACCEPT --if-exists
            rule append m --source 192.0.2.1 --jump ACCEPT

            """, name: "moving.wds")
        let result = Namespace.run("""
            "$WDS" run \(Namespace.shellQuote(ensure)) && "$WDS" run \(Namespace.shellQuote(ensure))
            iptables -S c
            "$WDS" run \(Namespace.shellQuote(moving))
            iptables -A m -s 198.51.100.1/32 -j DROP
            "$WDS" verify --fix \(Namespace.shellQuote(moving)) | tail -1
            iptables -S m
            """)
        XCTAssertEqual(result.standardOutput, """
            -N c
            -A c -j ACCEPT
            -A c -p tcp -m tcp -j DROP
            fixed: 0 missing or different piece(s) put back; extra ones left as they are; 1 rule(s) out of order left as they are (run the script to reorder)
            -N m
            -A m -s 192.0.2.1/32 -j ACCEPT
            -A m -s 198.51.100.1/32 -j DROP

            """, result.standardError)
        let negated = try Namespace.temporaryScript("rule append INPUT --protocol tcp ! --sport 0:65535 --jump DROP\n")
        let refused = Namespace.run("\"$WDS\" run \(Namespace.shellQuote(negated)); echo \"status=$?\"")
        // Written literally, the check refuses it before anything runs.
        XCTAssertEqual(refused.standardOutput, "status=2\n")
        XCTAssertTrue(refused.standardError.contains("'! --sport 0:65535' matches nothing"), refused.standardError)
    }

    /// 8. The trace agrees with the run, --no-batch included, and across run-script: the second
    /// child script sees what the first one did; the invocation is a comment, not an action.
    func testTraceAgreesWithRun() throws {
        try Namespace.requireNamespaces()
        let script = try Namespace.temporaryScript("""
            rule delete used --jump target
            chain delete target
            """)
        let directory = (script as NSString).deletingLastPathComponent
        try "chain create made-by-first\n".write(toFile: directory + "/first.wds", atomically: true, encoding: .utf8)
        try "if chain exists made-by-first { echo \"second sees it\" }\n".write(toFile: directory + "/second.wds", atomically: true, encoding: .utf8)
        try "run-script \"$script_dir/first.wds\"\nrun-script \"$script_dir/second.wds\"\n"
            .write(toFile: directory + "/parent.wds", atomically: true, encoding: .utf8)
        let existing = try Namespace.temporaryScript("chain create used\n", name: "existing.wds")
        let result = Namespace.run("""
            iptables -N target && iptables -N used && iptables -A used -j target
            "$WDS" trace --no-batch \(Namespace.shellQuote(script)) | grep -v '^#' | sed 's/  # .*//'; echo "trace=${PIPESTATUS[0]}"
            "$WDS" trace --no-batch \(Namespace.shellQuote(existing)) >/dev/null 2>&1; echo "trace=$?"
            "$WDS" trace \(Namespace.shellQuote(directory + "/parent.wds")) | sed 's/  # .*//; s|/.*/||'; echo "trace=${PIPESTATUS[0]}"
            """)
        XCTAssertEqual(result.standardOutput, """
            iptables -w -t filter -D used -j target
            iptables -w -t filter -X target
            trace=0
            trace=5
            #!bash
            # run-script: first.wds
            # iptables-lock: flock -w 60 iptables.lock
            # probe: iptables -w -t filter -S made-by-first 1
            iptables -w -t filter -N made-by-first
            # commit: iptables-restore --noflush, the 1 change(s) above
            # iptables-unlock: flock -u iptables.lock
            # run-script: second.wds
            printf '%s\\n' 'second sees it'
            trace=0

            """, result.standardError)
    }

    /// 4b. In the REPL, what a traced entry "created" is forgotten when tracing stops, and a chain
    /// another shell made between two entries is seen.
    func testTheReplNeverTakesATraceForTheHost() throws {
        try Namespace.requireNamespaces()
        let result = Namespace.run("""
            {
              printf ':trace on\\nchain create web\\n:trace off\\n'
              printf 'if chain exists web { echo "web: yes" } else { echo "web: no" }\\n'
              sleep 0.5; iptables -N other
              printf 'if chain exists other { echo "other: yes" } else { echo "other: no" }\\n'
            } | "$WDS" repl --run 2>&1 | grep -E '^(web|other):'
            """)
        XCTAssertEqual(result.standardOutput, "web: no\nother: yes\n", result.standardError)
    }

    /// 2c. Undo puts back only what the run left: a file or sysctl someone changed in between is
    /// left as it is, and the run names it instead of overwriting it blindly.
    func testUndoLeavesWhatOthersChangedAndSaysSo() throws {
        try Namespace.requireNamespaces()
        let script = """
            write-file /tmp/shared "from the run"
            sysctl set net.ipv4.ip_forward 1
            write-file /tmp/ready x
            lock /tmp/gate timeout 20s { }
            fail "stop"

            """
        let result = Namespace.run("""
            \(Self.privateTmp(with: script))
            exec 9>/tmp/gate && flock 9
            "$WDS" run /tmp/test.wds 2>/tmp/err 9>&- & pid=$!
            for i in $(seq 100); do [ -e /tmp/ready ] && break; sleep 0.05; done
            printf other > /tmp/shared
            echo 0 > /proc/sys/net/ipv4/ip_forward
            exec 9>&-
            wait $pid; echo "status=$?"
            cat /tmp/shared; echo; cat /proc/sys/net/ipv4/ip_forward; ls /tmp | grep ready
            cat /tmp/err >&2
            """)
        XCTAssertEqual(result.standardOutput, "status=1\nother\n0\n", result.standardError)
        XCTAssertTrue(result.standardError.contains("/tmp/shared changed after the run wrote it: left as it is"), result.standardError)
        XCTAssertTrue(result.standardError.contains("net.ipv4.ip_forward is 0 now, not what the run set: left as it is"),
                      result.standardError)
    }

    /// What `kill -9` between two batches leaves: the batch committed before it, nothing of the
    /// open one, and none of the undo (the journal dies with the process).
    func testKillBetweenTwoBatches() throws {
        try Namespace.requireNamespaces()
        let script = """
            chain create first
            iptables commit
            write-file /tmp/ready x
            chain create second
            # Evaluating commits nothing: this keeps the second batch open until the kill.
            let i = 0
            while $i < 100000000 { i = $(add $i 1) }

            """
        let result = Namespace.run("""
            \(Self.privateTmp(with: script))
            "$WDS" run /tmp/test.wds & pid=$!
            for i in $(seq 100); do [ -e /tmp/ready ] && break; sleep 0.05; done
            sleep 0.2; kill -9 $pid; wait $pid; echo "status=$?"
            iptables -S | grep -E 'first|second'; ls /tmp | grep ready
            """)
        XCTAssertEqual(result.standardOutput, "status=137\n-N first\nready\n", result.standardError)
    }

    /// The trace and the plan mark what a failed run could not undo.
    func testTraceAndPlanMarkPointsOfNoReturn() throws {
        try Namespace.requireNamespaces()
        let script = """
            write-file /tmp/kept "x"
            remove-file /tmp/old
            run true

            """
        let result = Namespace.run("""
            \(Self.privateTmp(with: script))
            printf old > /tmp/old
            cd /tmp && "$WDS" trace test.wds | grep -v '^#' | sed 's/.*  # //'
            "$WDS" plan /tmp/test.wds | grep -F -- '- /tmp/old'
            """)
        XCTAssertEqual(result.standardOutput, """
            test.wds:1
            test.wds:2, point of no return
            test.wds:3, point of no return
              - /tmp/old  (point of no return)

            """, result.standardError)
    }

    /// Across run-script: Warden's setup.wds (mounts, then net.wds as a child script) traced
    /// and replayed in bash leaves the state `wds run` leaves: each child effect once.
    func testATraceAcrossRunScriptReplaysAsTheRun() throws {
        try Namespace.requireNamespaces()
        let state = """
            iptables-save | grep -v '^#' | sed -E '/^:/ s/\\[[0-9]+:[0-9]+\\]$/[0:0]/'
            awk '{ for (i = 7; $i != "-"; i++); print $5, $(i+1) }' /proc/self/mountinfo | grep '^/tmp/warden' | LC_ALL=C sort
            cat /proc/sys/net/ipv4/ip_forward
            """
        func inNamespace(_ body: String) -> Namespace.Result {
            Namespace.run("""
                private_tmp
                \(Self.environment) DISK_QUOTA_ENABLED=false
                mkdir /tmp/host && cp \(Self.scripts)/setup.wds \(Self.scripts)/net.wds /tmp/host/
                \(body)
                \(state)
                """)
        }
        let run = inNamespace("\"$WDS\" run /tmp/host/setup.wds >/dev/null || echo 'run failed'")
        let replay = inNamespace("\"$WDS\" trace /tmp/host/setup.wds > /tmp/trace.sh && bash -e /tmp/trace.sh || echo 'replay failed'")
        XCTAssertTrue(run.standardOutput.contains("-A warden-forward -i eth0 -j ACCEPT"), run.standardOutput + run.standardError)
        XCTAssertTrue(run.standardOutput.contains("/tmp/warden/cgroup/memory cgroup"), run.standardOutput + run.standardError)
        XCTAssertEqual(replay.standardOutput, run.standardOutput, replay.standardError)
    }

    /// An append or insert into a chain the run has not read asks only what the decision needs
    /// (`iptables -S CHAIN N`), not the whole chain; what it cannot take is still refused at its
    /// statement, with the chain's real count.
    func testAChangeToAnUnreadChainReadsOnlyWhatItNeeds() throws {
        try Namespace.requireNamespaces()
        let script = try Namespace.temporaryScript("""
            rule insert big 2 --source 192.0.2.1 --jump ACCEPT
            rule append big --source 192.0.2.2 --jump DROP
            try { rule insert big 9 --jump ACCEPT } catch e { echo "caught: $e.message" }
            try {
              rule append big --source 192.0.2.3 --jump DROP
              fail "undo the append above"
            } catch e { echo "caught: $e.message" }
            if rule exists big --source 192.0.2.3 --jump DROP { echo "still there" } else { echo "undone" }

            """)
        let result = Namespace.run("""
            iptables -N big && for i in 1 2 3; do iptables -A big -s 198.51.100.$i/32 -j RETURN; done
            "$WDS" trace \(Namespace.shellQuote(script)) | grep -- '-S big' | sed 's|  # .*/|  # |'
            "$WDS" run \(Namespace.shellQuote(script)); echo "status=$?"
            iptables -S big
            """)
        XCTAssertEqual(result.standardOutput, """
            # probe: iptables -w -t filter -S big 1  # test.wds:1
            # probe: iptables -w -t filter -S big  # test.wds:3
            # probe: iptables -w -t filter -S big  # test.wds:8
            caught: position 9 is past the end of chain 'big', which has 5 rules (iptables: Index of insertion too big)
            caught: undo the append above
            undone
            status=0
            -N big
            -A big -s 198.51.100.1/32 -j RETURN
            -A big -s 192.0.2.1/32 -j ACCEPT
            -A big -s 198.51.100.2/32 -j RETURN
            -A big -s 198.51.100.3/32 -j RETURN
            -A big -s 192.0.2.2/32 -j DROP

            """, result.standardError)
    }
}
