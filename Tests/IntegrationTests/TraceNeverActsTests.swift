import Foundation
import XCTest

/// `wds trace` never acts: every script in scripts/ is traced under
/// `strace -f` inside a throwaway namespace, and
///
///  - no wds process makes a mutating system call: no mount or unmount, no
///    file opened for writing or created, no mkdir, unlink, rename, link,
///    chmod, chown, truncate, no rlimit set, no netlink message but questions
///    (RTM_GET…, from a namespace it enters only to ask); it writes
///    only to standard output, standard error and pipes;
///  - the only programs started are wds itself (a traced `run-script`) and the
///    read-only probes that the trace lists as `# probe:` lines;
///  - the namespace's rulesets, mounts, `/tmp` and `ip_forward` are the same
///    before and after.
final class TraceNeverActsTests: XCTestCase {
    /// How each script is traced: arguments and environment per invocation.
    static let invocations: [String: [(arguments: [String], environment: [String: String])]] = [
        "net.wds": [(["setup"], netEnvironment), (["teardown"], netEnvironment)],
        "container-net.wds": [
            (["setup"], [:]), (["teardown"], [:]),
            (["in"], ["HOST_PORT": "61001", "CONTAINER_PORT": "8080"]),
            (["out"], ["NETWORK": "10.1.0.0/16", "PORT": "80"]),
        ],
        "net-nft.wds": [(["setup"], netEnvironment), (["teardown"], netEnvironment)],
        "container-net-nft.wds": [
            (["setup"], [:]), (["teardown"], [:]),
            (["in"], ["HOST_PORT": "61001", "CONTAINER_PORT": "8080"]),
            (["out"], ["NETWORK": "10.1.0.0/16", "PORT": "80"]),
        ],
        "container-link.wds": [(["setup", "/run/netns/c1"], [:]), (["teardown", "/run/netns/c1"], [:])],
        "setup.wds": [([], netEnvironment.merging(["DISK_QUOTA_ENABLED": "false"]) { $1 })],
        "demo.wds": [(["setup"], [:]), (["teardown"], [:])],
    ]
    /// Scripts that live in a container's folder, beside its etc/config.
    static let netEnvironment = ["POOL_NETWORK": "10.254.0.0/22", "ALLOW_NETWORKS": "10.0.0.0/8 172.16.0.0/12",
                                 "DENY_NETWORKS": "192.168.0.0/16"]

    /// The system calls watched; of these, a wds process may only read and write to stdout, stderr or a pipe.
    static let watched = "execve,execveat,mount,umount2,write,writev,pwrite64,open,openat,creat,mkdir,mkdirat,rmdir,"
        + "unlink,unlinkat,rename,renameat,renameat2,link,linkat,symlink,symlinkat,chmod,fchmod,fchmodat,chown,fchown,"
        + "fchownat,truncate,ftruncate,setrlimit,prlimit64,sethostname,setns,unshare,pivot_root,init_module,"
        + "finit_module,delete_module,reboot,sendmsg,sendto,flock"

    func testTraceOfEveryScriptMakesNoMutatingSystemCall() throws {
        try Namespace.requireNamespaces()
        guard Namespace.run(["sh", "-c", "command -v strace"]).status == 0 else {
            throw XCTSkip("strace is not installed (the README's test command installs it)")
        }
        let scripts = try FileManager.default.contentsOfDirectory(atPath: Namespace.repositoryRoot.appendingPathComponent("scripts").path)
            .filter { $0.hasSuffix(".wds") }.sorted()
        XCTAssertFalse(scripts.isEmpty)
        var traced = 0
        for script in scripts {
            let invocations = Self.invocations[script] ?? [(["setup"], [:])]
            for invocation in invocations {
                try traceUnderStrace(script, invocation.arguments, invocation.environment)
                traced += 1
            }
        }
        XCTAssertGreaterThanOrEqual(traced, 11)
    }

    func traceUnderStrace(_ script: String, _ arguments: [String], _ environment: [String: String]) throws {
        let label = ([script] + arguments).joined(separator: " ")
        let source = Namespace.repositoryRoot.appendingPathComponent("scripts/\(script)").path
        // container-net.wds and container-link.wds live in a container's folder, beside etc/config.
        let inContainer = ["container-net.wds", "container-link.wds", "container-net-nft.wds"].contains(script)
        let path = inContainer ? "/tmp/containers/c1/\(script)" : source
        // A trace decides each statement as the run would: container-net.wds needs the host's Warden chains
        // (net.wds setup) and, for `in` and `out`, the container's own (its setup).
        // container-net-nft.wds: the host's table from a real net-nft.wds setup, and for `in` and `out` the container's own.
        let nftPrepare = """
            \(Self.netEnvironment.map { "\($0.key)=\(Namespace.shellQuote($0.value))" }.joined(separator: " ")) \\
              "$WDS" run \(Namespace.shellQuote(Namespace.repositoryRoot.appendingPathComponent("scripts/net-nft.wds").path)) setup >/dev/null
            """ + (arguments.first == "setup" || arguments.first == "teardown" ? "" : "\n\"$WDS\" run /tmp/containers/c1/container-net-nft.wds setup >/dev/null")
        let prepare = script == "container-net-nft.wds" ? nftPrepare : script == "container-link.wds" ? "ip netns add c1" : script != "container-net.wds" ? "" : """
            iptables -N warden-default && iptables -N warden-forward && iptables -A warden-forward -j DROP
            iptables -t nat -N warden-prerouting && iptables -N warden-instance-c1 && iptables -t nat -N warden-instance-c1
            """
        // demo.wds teardown removes what its setup made: its trace, like its run, fails where there is none.
        let demoPrepare = script == "demo.wds" && arguments.first == "teardown"
            ? "mkdir -p /tmp/wds-demo && echo x > /tmp/wds-demo/allowed" : ""
        let exports = environment.map { "export \($0.key)=\(Namespace.shellQuote($0.value))" }.joined(separator: "\n")
        let shell = """
            private_tmp
            mkdir -p /tmp/.harness /tmp/containers/c1/etc /tmp/containers/tmp
            cp \(Namespace.shellQuote(source)) /tmp/containers/c1/\(script)
            printf '%s\\n' id=c1 network_host_iface=w-c1-0 network_host_ip=10.254.0.1 network_container_ip=10.254.0.2 \\
              network_netmask=255.255.255.252 container_iface_mtu=1500 > /tmp/containers/c1/etc/config
            \(prepare)
            \(demoPrepare)
            \(HostileInputTests.snapshot)
            snapshot > /tmp/.harness/before
            \(exports)
            strace -f -qq -y -s 200 -o /tmp/.harness/strace -e trace=\(Self.watched) \\
              "$WDS" trace \(Namespace.shellQuote(path)) \(arguments.map(Namespace.shellQuote).joined(separator: " ")) \\
              > /tmp/.harness/trace 2> /tmp/.harness/err
            echo "status $?"
            snapshot > /tmp/.harness/after
            echo '#### trace'; cat /tmp/.harness/trace
            echo '#### err'; cat /tmp/.harness/err
            echo '#### strace'; cat /tmp/.harness/strace
            echo '#### changes'; diff /tmp/.harness/before /tmp/.harness/after
            true
            """
        let result = Namespace.run(shell)
        let parts = result.standardOutput.components(separatedBy: "#### ")
        guard parts.count == 5 else { return XCTFail("\(label): the namespace run failed: \(result.standardError)") }
        XCTAssertEqual(parts[0].trimmingCharacters(in: .whitespacesAndNewlines), "status 0", "\(label): \(parts[2])")
        let trace = String(parts[1].dropFirst("trace\n".count))
        XCTAssertEqual(String(parts[4].dropFirst("changes\n".count)), "", "\(label): the trace changed the namespace")
        let violations = Self.violations(strace: String(parts[3].dropFirst("strace\n".count)), trace: trace)
        XCTAssertEqual(violations, [], "\(label): mutating system calls during trace")
    }

    /// The strace lines of wds processes that act on the host, and the programs started that are not listed probes.
    /// An nf_tables question (libnftables listing): subsystem 10, a GET message (table 1, chain 4, rule 7,
    /// set 10, set element 13, generation 16, object 19, flowtable 23); the NEW, DEL and batch messages act.
    static func isNftablesRead(_ call: String) -> Bool {
        // strace names the types it knows: NFNL_SUBSYS_NFTABLES<<8|NFT_MSG_GETTABLE.
        if call.contains("NFNL_SUBSYS_NFTABLES<<8|NFT_MSG_GET") && !call.contains("_RESET") { return true }
        guard let range = call.range(of: "nlmsg_type=0xa") else { return false }
        let hex = call[range.upperBound...].prefix { $0.isHexDigit }
        guard hex.count == 2, let type = Int(hex, radix: 16) else { return false }
        return [1, 4, 7, 10, 13, 16, 19, 23].contains(type)
    }

    static func violations(strace: String, trace: String) -> [String] {
        // `# probe: COMMAND  # file:line` → COMMAND
        let probes = Set(trace.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("# probe: ") else { return nil }
            var command = String(line.dropFirst("# probe: ".count))
            if let location = command.range(of: "  # ", options: .backwards) { command = String(command[..<location.lowerBound]) }
            return command
        })
        var probePids: Set<String> = []
        var violations: [String] = []
        var first = true
        for line in strace.split(separator: "\n").map(String.init) {
            let fields = line.split(separator: " ", maxSplits: 1).map(String.init)
            guard fields.count == 2 else { continue }
            let (pid, call) = (fields[0], fields[1].trimmingCharacters(in: .whitespaces))
            // Signals, exits, and the second half of a call another process interrupted (its first half is checked).
            if probePids.contains(pid) || call.hasPrefix("---") || call.hasPrefix("+++") || call.hasPrefix("<...") { continue }
            if call.hasPrefix("execve(") {
                guard call.hasSuffix("= 0") else { continue }  // a failed lookup along PATH
                let argv = Self.argv(call)
                if first || argv.first.map({ $0.hasSuffix("/wds") || $0 == "wds" }) == true {
                    first = false  // wds itself, or wds started by a traced run-script
                    continue
                }
                let command = argv.map { $0.contains(" ") ? "'\($0)'" : $0 }.joined(separator: " ")
                if probes.contains(command) {
                    probePids.insert(pid)
                } else {
                    violations.append("started a program that is not a listed probe: \(command)")
                }
                continue
            }
            let name = String(call.prefix { $0 != "(" })
            switch name {
            case "write", "writev", "pwrite64":
                let allowed = call.hasPrefix("\(name)(1<") || call.hasPrefix("\(name)(2<") || call.contains("<pipe:[")
                if !allowed { violations.append(line) }
            case "open", "openat":
                if call.contains("O_WRONLY") || call.contains("O_RDWR") || call.contains("O_CREAT") || call.contains("O_TRUNC") {
                    violations.append(line)
                }
            case "prlimit64":
                if !call.contains(", NULL, ") { violations.append(line) }  // a new limit was set
            case "sendto", "sendmsg":
                // A netlink question (RTM_GETLINK, RTM_GETROUTE…, an nf_tables listing) reads; any other message would change the kernel.
                if !(Self.isNetlinkQuestion(call) || Self.isNftablesRead(call)) { violations.append(line) }
            case "setns":
                // Entering another network namespace, only to open a socket there and read it (the thread comes back).
                if !call.contains("CLONE_NEWNET") { violations.append(line) }
            case "flock":
                violations.append(line)  // a trace takes no lock: another run may hold it
            default:
                violations.append(line)
            }
        }
        return violations
    }

    /// Whether every message of a netlink send is an rtnetlink question: RTM_GET… by name, or by number
    /// (strace prints `0x12` for a socket it cannot place, one opened in another namespace): the GET
    /// types are those from 16 whose number is 2 more than a multiple of 4.
    static func isNetlinkQuestion(_ call: String) -> Bool {
        let types = call.components(separatedBy: "nlmsg_type=").dropFirst().map { $0.prefix { $0 != "," && $0 != " " } }
        guard !types.isEmpty else { return false }
        return types.allSatisfy { type in
            if type.hasPrefix("RTM_GET") { return true }
            guard type.hasPrefix("0x"), call.contains("sa_family=AF_NETLINK"), let number = Int(type.dropFirst(2), radix: 16) else { return false }
            return number >= 16 && number % 4 == 2
        }
    }

    /// The argv of an `execve("path", ["a", "b"], …)` line.
    static func argv(_ call: String) -> [String] {
        guard let open = call.firstIndex(of: "["), let close = call[open...].firstIndex(of: "]") else { return [] }
        let inner = call[call.index(after: open)..<close]
        var items: [String] = []
        var current = ""
        var inString = false
        var escaped = false
        for c in inner {
            if escaped { current.append(c); escaped = false; continue }
            if c == "\\" && inString { escaped = true; continue }
            if c == "\"" {
                if inString { items.append(current); current = "" }
                inString.toggle()
                continue
            }
            if inString { current.append(c) }
        }
        return items
    }

    /// The checker of strace lines itself: each kind of action is caught, a listed probe is not.
    func testViolationsAreRecognized() {
        let trace = "# probe: iptables-save -t filter  # net.wds:3\nmkdir -p /x  # net.wds:4\n"
        let strace = """
            10 execve("/usr/bin/wds", ["wds", "trace", "net.wds"], 0x1 /* 3 vars */) = 0
            10 write(1</dev/pts/0>, "ok", 2) = 2
            10 openat(AT_FDCWD</>, "/etc/passwd", O_RDONLY|O_CLOEXEC) = 3</etc/passwd>
            11 execve("/usr/sbin/iptables-save", ["iptables-save", "-t", "filter"], 0x1 /* 3 vars */) = 0
            11 sendto(3<socket:[1]>, "x", 1, 0, NULL, 0) = 1
            10 write(3</tmp/x>, "evil", 4) = 4
            10 openat(AT_FDCWD</>, "/tmp/y", O_WRONLY|O_CREAT|O_TRUNC, 0666) = 4</tmp/y>
            10 mount("none", "/mnt", "tmpfs", 0, NULL) = 0
            10 prlimit64(0, RLIMIT_NOFILE, {rlim_cur=1, rlim_max=1}, NULL) = 0
            10 sendto(5<socket:[2]>, [{nlmsg_len=32, nlmsg_type=RTM_GETLINK, nlmsg_flags=NLM_F_REQUEST|NLM_F_DUMP, nlmsg_seq=1, nlmsg_pid=0}], 32, 0, NULL, 0) = 32
            10 setns(6</run/netns/c1>, CLONE_NEWNET) = 0
            10 sendto(7<socket:[3]>, [{nlmsg_len=28, nlmsg_type=0x1a /* NLMSG_??? */, nlmsg_flags=NLM_F_REQUEST|0x300, nlmsg_seq=1, nlmsg_pid=0}, "\\x00"], 28, 0, {sa_family=AF_NETLINK, nl_pid=0, nl_groups=00000000}, 12) = 28
            10 sendto(7<socket:[3]>, [{nlmsg_len=28, nlmsg_type=0x18 /* NLMSG_??? */, nlmsg_flags=NLM_F_REQUEST|0x605, nlmsg_seq=2, nlmsg_pid=0}, "\\x00"], 28, 0, {sa_family=AF_NETLINK, nl_pid=0, nl_groups=00000000}, 12) = 28
            10 sendto(5<socket:[2]>, [{nlmsg_len=40, nlmsg_type=RTM_NEWLINK, nlmsg_flags=NLM_F_REQUEST|NLM_F_ACK, nlmsg_seq=2, nlmsg_pid=0}], 40, 0, NULL, 0) = 40
            12 execve("/usr/sbin/iptables", ["iptables", "-A", "INPUT"], 0x1 /* 3 vars */) = 0
            10 sendto(3<socket:[2]>, [{nlmsg_len=32, nlmsg_type=0xa01 /* NLMSG_??? */, nlmsg_flags=NLM_F_REQUEST}], 32, 0, NULL, 0) = 32
            10 sendto(3<socket:[2]>, [{nlmsg_len=20, nlmsg_type=NFNL_SUBSYS_NFTABLES<<8|NFT_MSG_GETCHAIN, nlmsg_flags=NLM_F_REQUEST}], 20, 0, NULL, 0) = 20
            10 sendmsg(3<socket:[2]>, {msg_iov=[{iov_base=[{nlmsg_len=20, nlmsg_type=NFNL_MSG_BATCH_BEGIN}, {nlmsg_len=40, nlmsg_type=NFNL_SUBSYS_NFTABLES<<8|NFT_MSG_NEWTABLE}]}]}, 0) = 60
            10 --- SIGCHLD {si_signo=SIGCHLD} ---
            """
        let found = Self.violations(strace: strace, trace: trace)
        XCTAssertEqual(found.count, 8, "\(found)")
        XCTAssertTrue(found.contains { $0.contains("nlmsg_type=0x18") }, "an RTM_NEWROUTE by number: \(found)")
        XCTAssertTrue(found.contains { $0.contains("RTM_NEWLINK") }, "\(found)")
        XCTAssertTrue(found.contains { $0.contains("iptables -A INPUT") }, "\(found)")
        XCTAssertTrue(found.contains { $0.contains("NFT_MSG_NEWTABLE") }, "an nf_tables change: \(found)")
    }
}
