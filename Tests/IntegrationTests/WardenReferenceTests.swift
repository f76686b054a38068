import Foundation
import XCTest

/// The proof that the .wds ports are drop-in replacements for Warden's bash:
/// each reference case in Tests/Fixtures/warden is rebuilt in a fresh
/// namespace (same uplink, same environment, same steps) and the kernel state
/// the ports leave is compared byte for byte with what the originals left.
final class WardenReferenceTests: XCTestCase {
    /// One case folder: its inputs, its steps, and the state to reproduce.
    struct ReferenceCase {
        let name: String
        let folder: URL
        let environment: [(String, String)]
        let steps: [String]

        init(_ name: String) throws {
            self.name = name
            folder = Namespace.referenceRoot.appendingPathComponent(name)
            let caseEnv = try String(contentsOf: folder.appendingPathComponent("case.env"), encoding: .utf8)
            environment = caseEnv.split(separator: "\n").compactMap { line in
                guard let equals = line.firstIndex(of: "=") else { return nil }
                return (String(line[..<equals]), String(line[line.index(after: equals)...]))
            }
            steps = try String(contentsOf: folder.appendingPathComponent("steps.txt"), encoding: .utf8)
                .split(separator: "\n").map(String.init)
        }

        func value(_ key: String) -> String? { environment.first { $0.0 == key }?.1 }

        func expected(_ file: String) throws -> String {
            try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
        }

        var uplink: Namespace.Uplink {
            Namespace.Uplink(name: value("UPLINK") ?? "eth0", address: value("UPLINK_ADDR") ?? "10.0.2.15/24",
                             gateway: value("UPLINK_GATEWAY") ?? "10.0.2.2")
        }

        /// The root net.sh's variables, passed to every root step (and nothing else but PATH).
        var rootEnvironment: String {
            ["ALLOW_NETWORKS", "DENY_NETWORKS", "POOL_NETWORK"].compactMap { key in
                value(key).map { "\(key)=\(Namespace.shellQuote($0))" }
            }.joined(separator: " ")
        }
    }

    static var scripts: URL { Namespace.repositoryRoot.appendingPathComponent("scripts") }

    /// A step of steps.txt this test cannot turn into bash: the data and the test disagree, a failure.
    struct UnreadableStep: Error, CustomStringConvertible {
        let step: String
        var description: String { "a step WardenReferenceTests cannot run: \(step)" }
    }

    /// Bash for one step of steps.txt, run with the ports.
    func bash(for step: String, in reference: ReferenceCase) throws -> String {
        let clean = "env -i PATH=\"$PATH\""
        if step.hasPrefix("net.sh ") {
            let argument = step.dropFirst("net.sh ".count)
            return "\(clean) \(reference.rootEnvironment) \"$WDS\" run \"$SCRIPTS/net.wds\" \(argument)"
        }
        if step.hasPrefix("skeleton net.sh ") {
            // skeleton net.sh ARG [container id=X a=b c=d] VAR=v …
            let rest = step.dropFirst("skeleton net.sh ".count)
            let argument = rest.split(separator: " ")[0]
            guard let open = rest.firstIndex(of: "["), let close = rest.firstIndex(of: "]") else {
                throw UnreadableStep(step: step)
            }
            let assignments = rest[rest.index(after: open)..<close].split(separator: " ").dropFirst()
            guard let id = assignments.first(where: { $0.hasPrefix("id=") })?.dropFirst(3) else { throw UnreadableStep(step: step) }
            let extra = rest[rest.index(after: close)...].split(separator: " ").map { Namespace.shellQuote(String($0)) }.joined(separator: " ")
            let config = assignments.joined(separator: "\n")
            return """
                mkdir -p "$WORK/containers/\(id)/etc" "$WORK/containers/tmp"
                cp "$SCRIPTS/container-net.wds" "$WORK/containers/\(id)/net.wds"
                printf '%s\\n' \(Namespace.shellQuote(String(config))) > "$WORK/containers/\(id)/etc/config"
                \(clean) \(extra) "$WDS" run "$WORK/containers/\(id)/net.wds" \(argument)
                """
        }
        throw UnreadableStep(step: step)
    }

    /// Runs all steps; prints each step's status, then a marker, then the normalized rules and ip_forward.
    func run(_ name: String, stopAfter: Int? = nil) throws -> (statuses: String, rules: String, forward: String, stderr: String) {
        try Namespace.requireNamespaces()
        let reference = try ReferenceCase(name)
        var script = "export SCRIPTS=\(Namespace.shellQuote(Self.scripts.path)); export WORK=$(mktemp -d)\n"
        for step in reference.steps.prefix(stopAfter ?? reference.steps.count) {
            script += try bash(for: step, in: reference) + "\n"
            script += "printf '%s\\t%s\\n' $? \(Namespace.shellQuote(step))\n"
        }
        script += "echo '--- rules'\n\(Namespace.normalizedRulesCommand)\necho '--- forward'\ncat /proc/sys/net/ipv4/ip_forward\n"
        let result = Namespace.run(script, uplink: reference.uplink)
        let parts = result.standardOutput.components(separatedBy: "--- rules\n")
        guard parts.count == 2 else { XCTFail("no rules in output: \(result.standardOutput)\n\(result.standardError)"); return ("", "", "", "") }
        let tail = parts[1].components(separatedBy: "--- forward\n")
        return (parts[0], tail[0], tail.count > 1 ? tail[1] : "", result.standardError)
    }

    /// Table blocks may come in either order (iptables-legacy prints nat first): compare them as a set.
    func tableBlocks(_ rules: String) -> Set<String> {
        Set(rules.components(separatedBy: "COMMIT\n").filter { !$0.isEmpty })
    }

    func assertCase(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let reference = try ReferenceCase(name)
        let outcome = try run(name)
        XCTAssertEqual(outcome.statuses, try reference.expected("step-results.txt"), outcome.stderr, file: file, line: line)
        XCTAssertEqual(tableBlocks(outcome.rules), tableBlocks(try reference.expected("expected.rules")),
                       "got:\n\(outcome.rules)\nstderr:\n\(outcome.stderr)", file: file, line: line)
        XCTAssertEqual(outcome.forward, try reference.expected("expected.ip_forward"), file: file, line: line)
    }

    func testC01Empty() throws { try assertCase("c01-empty") }
    func testC02AllowDeny() throws { try assertCase("c02-allow-deny") }
    func testC04SetupTeardown() throws {
        try assertCase("c04-setup-teardown")
        let midway = try run("c04-setup-teardown", stopAfter: 1)
        XCTAssertEqual(tableBlocks(midway.rules), tableBlocks(try ReferenceCase("c04-setup-teardown").expected("intermediate.rules")))
    }
    func testC05PruneContainers() throws {
        try assertCase("c05-prune-containers")
        let reference = try ReferenceCase("c05-prune-containers")
        let midway = try run("c05-prune-containers", stopAfter: reference.steps.count - 1)
        XCTAssertEqual(tableBlocks(midway.rules), tableBlocks(try reference.expected("intermediate.rules")), midway.stderr)
    }
    func testC07Ens3Uplink() throws { try assertCase("c07-ens3-uplink") }

    /// Running setup twice leaves what running it once leaves.
    func testNetSetupTwiceEqualsOnce() throws {
        let once = try run("c02-allow-deny")
        try Namespace.requireNamespaces()
        let reference = try ReferenceCase("c02-allow-deny")
        let step = try bash(for: "net.sh setup", in: reference)
        let result = Namespace.run("""
            export SCRIPTS=\(Namespace.shellQuote(Self.scripts.path))
            \(step) && \(step) && \(Namespace.normalizedRulesCommand)
            """, uplink: reference.uplink)
        XCTAssertEqual(result.standardOutput, once.rules, result.standardError)
    }

    /// The original's exit status and message for a bad subcommand, and nothing changed.
    func testUnknownSubcommandFailsWithTheOriginalsMessage() throws {
        try Namespace.requireNamespaces()
        let reference = try ReferenceCase("c01-empty")
        let result = Namespace.run("""
            export SCRIPTS=\(Namespace.shellQuote(Self.scripts.path))
            \(try bash(for: "net.sh restart", in: reference)); echo "status=$?"
            iptables-save | grep -c warden
            """, uplink: reference.uplink)
        XCTAssertEqual(result.standardOutput, "status=1\n0\n")
        XCTAssertEqual(result.standardError, "Unknown command: restart\n")
    }

    /// Each step traced against the namespace as it stands, and the trace run by
    /// bash: the final state is the reference, exactly as `wds run` left it.
    func testTracesReplayedByBashReproduceEveryCase() throws {
        try Namespace.requireNamespaces()
        for name in ["c01-empty", "c02-allow-deny", "c04-setup-teardown", "c05-prune-containers", "c07-ens3-uplink"] {
            let reference = try ReferenceCase(name)
            var script = "export SCRIPTS=\(Namespace.shellQuote(Self.scripts.path)); export WORK=$(mktemp -d)\n"
            for step in reference.steps {
                // The same step, with `wds trace` in place of `wds run`, piped into bash.
                let traced = try bash(for: step, in: reference)
                    .replacingOccurrences(of: "\"$WDS\" run ", with: "\"$WDS\" trace ")
                let lines = traced.split(separator: "\n")
                script += lines.dropLast().joined(separator: "\n") + "\n"
                script += "\(lines.last!) > \"$WORK/step.sh\" && bash -e \"$WORK/step.sh\" || echo \"replay failed: \(step)\" >&2\n"
            }
            script += Namespace.normalizedRulesCommand + "\necho \"forward=$(cat /proc/sys/net/ipv4/ip_forward)\"\n"
            let result = Namespace.run(script, uplink: reference.uplink)
            let parts = result.standardOutput.components(separatedBy: "forward=")
            XCTAssertEqual(tableBlocks(parts[0]), tableBlocks(try reference.expected("expected.rules")),
                           "\(name): \(result.standardOutput)\n\(result.standardError)")
            XCTAssertEqual("forward=" + (parts.count > 1 ? parts[1] : ""), "forward=" + (try reference.expected("expected.ip_forward")), name)
            XCTAssertFalse(result.standardError.contains("replay failed"), "\(name): \(result.standardError)")
        }
    }

    /// c10: setup.sh's cgroup half. /tmp is a private tmpfs in the namespace, so the
    /// host's /tmp is never touched; net.wds is a stub that records its calls.
    func testC10SetupMountsTheCgroupHierarchiesOnceAndCallsNetSetup() throws {
        try Namespace.requireNamespaces()
        let reference = try ReferenceCase("c10-setup-sh-cgroups")
        let mounts = "awk '{ for (i = 7; $i != \"-\"; i++); print $5, $(i+1), $(i+2), $(i+3) }' /proc/self/mountinfo | grep '^/tmp/warden' | LC_ALL=C sort"
        let result = Namespace.run("""
            private_tmp
            mkdir /tmp/host && cp \(Namespace.shellQuote(Self.scripts.appendingPathComponent("setup.wds").path)) /tmp/host/
            printf '%s\\n' 'append-file "$script_dir/netsh-calls.txt" "net.wds $(join $args " ") (cwd: $script_dir)\\n"' > /tmp/host/net.wds
            cd /tmp/host
            env -i PATH="$PATH" DISK_QUOTA_ENABLED=false "$WDS" run /tmp/host/setup.wds; echo "status=$?"
            \(mounts)
            echo ---
            find /tmp/warden/cgroup -maxdepth 1 -type d | LC_ALL=C sort
            echo ---
            env -i PATH="$PATH" DISK_QUOTA_ENABLED=false "$WDS" run /tmp/host/setup.wds; echo "status=$?"
            \(mounts)
            echo ---
            cat /tmp/host/netsh-calls.txt
            """, uplink: nil)
        let expected = try reference.expected("expected.mounts")
        XCTAssertEqual(result.standardOutput, """
            status=0
            \(expected)---
            \(try reference.expected("dirs.txt"))---
            status=0
            \(try reference.expected("expected.mounts.after-second-run"))---
            net.wds setup (cwd: /tmp/host)
            net.wds setup (cwd: /tmp/host)

            """, result.standardError)
    }
}

/// Where Warden's bash misbehaved, the ports do what was intended (docs/warden.md).
final class WardenDifferenceTests: XCTestCase {
    static var scripts: String { Namespace.repositoryRoot.appendingPathComponent("scripts").path }
    let rootEnvironment = "POOL_NETWORK=10.254.0.0/22 ALLOW_NETWORKS='10.0.0.0/8' DENY_NETWORKS=0.0.0.0/0"

    /// Without a default route the original built a broken `-i` rule and stopped half-way;
    /// the port stops before changing anything.
    func testNoDefaultRouteFailsBeforeAnyChange() throws {
        try Namespace.requireNamespaces()
        let result = Namespace.run("""
            env -i PATH="$PATH" \(rootEnvironment) "$WDS" run \(Self.scripts)/net.wds setup; echo "status=$?"
            iptables-save | grep -v '^#' | grep -c . ; cat /proc/sys/net/ipv4/ip_forward
            """, uplink: nil)
        XCTAssertEqual(result.standardOutput, "status=1\n0\n0\n", result.standardError)
        XCTAssertTrue(result.standardError.contains("net.wds:"), result.standardError)
        XCTAssertTrue(result.standardError.contains("no default route"), result.standardError)
    }

    /// The original's teardown matched `-g warden-instance-abc\b`, which also caught
    /// `warden-instance-abc-x`. The port removes exactly its own chain.
    func testContainerTeardownLeavesAContainerWhoseIdMerelyStartsTheSame() throws {
        try Namespace.requireNamespaces()
        let result = Namespace.run("""
            W=$(mktemp -d); S=\(Self.scripts)
            env -i PATH="$PATH" \(rootEnvironment) "$WDS" run $S/net.wds setup
            for c in "abc w-abc-0 10.254.0.2" "abc-x w-abcx-0 10.254.0.6"; do
              set -- $c; mkdir -p $W/$1/etc; cp $S/container-net.wds $W/$1/net.wds
              printf 'id=%s\\nnetwork_host_iface=%s\\nnetwork_container_ip=%s\\n' $1 $2 $3 > $W/$1/etc/config
              env -i PATH="$PATH" "$WDS" run $W/$1/net.wds setup
            done
            env -i PATH="$PATH" "$WDS" run $W/abc/net.wds teardown; echo "status=$?"
            iptables-save | grep -- 'warden-instance' | grep -v '^#'
            """)
        XCTAssertEqual(result.standardOutput, """
            status=0
            :warden-instance-abc-x - [0:0]
            -A warden-forward -i w-abcx-0 -g warden-instance-abc-x
            -A warden-instance-abc-x -g warden-default
            :warden-instance-abc-x - [0:0]
            -A warden-prerouting -j warden-instance-abc-x

            """, result.standardError)
    }

    /// The original's cleanup of the deprecated chain grepped ` -j warden-dispatch`,
    /// which also caught a jump to `warden-dispatch2`. The port removes only warden-dispatch.
    func testDeprecatedChainCleanupLeavesAChainWhoseNameMerelyStartsTheSame() throws {
        try Namespace.requireNamespaces()
        let result = Namespace.run("""
            for c in warden-dispatch warden-dispatch2; do iptables -N $c; iptables -A INPUT -j $c; iptables -A FORWARD -j $c; done
            env -i PATH="$PATH" \(rootEnvironment) "$WDS" run \(Self.scripts)/net.wds setup; echo "status=$?"
            iptables-save -t filter | grep -- 'dispatch'
            """)
        XCTAssertEqual(result.standardOutput, """
            status=0
            :warden-dispatch2 - [0:0]
            -A INPUT -j warden-dispatch2
            -A FORWARD -j warden-dispatch2

            """, result.standardError)
    }
}
