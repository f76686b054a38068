import Foundation
@testable import Builtins
import Interpreter
import XCTest

/// `mount`, `unmount`, `is-mounted` and `mounts`, run for real inside a
/// private mount namespace; the c10 reference case (Warden's setup.sh cgroup
/// mounts) reproduced by a wds script.
final class MountIntegrationTests: XCTestCase {
    func testTmpfsMountShowsInMountinfoAndInMountsThenUnmounts() throws {
        try Namespace.requireNamespaces()
        // The blank in the mount point comes back from mountinfo as \040.
        let script = try Namespace.temporaryScript("""
            let dir = "$script_dir/mnt dir"
            mkdir --parents $dir
            mount tmpfs $dir --options size=1m,mode=700
            echo "mounted: $(is-mounted $dir) tmpfs: $(is-mounted $dir --type tmpfs) cgroup: $(is-mounted $dir --type cgroup)"
            for m in $(mounts --under $script_dir) {
              echo "${m.mountpoint}|${m.type}|${m.source}|${m.superoptions}"
            }
            """, name: "mount.wds")
        let unmount = try Namespace.temporaryScript("""
            unmount "$1"
            echo "mounted: $(is-mounted $1)"
            """, name: "unmount.wds")
        let directory = (script as NSString).deletingLastPathComponent
        defer {
            try? FileManager.default.removeItem(atPath: directory)
            try? FileManager.default.removeItem(atPath: (unmount as NSString).deletingLastPathComponent)
        }
        let target = directory + "/mnt dir"
        let result = Namespace.run("""
            "$WDS" trace \(Namespace.shellQuote(script)) > \(Namespace.shellQuote(directory + "/trace.txt"))
            echo "after trace: $(test -e \(Namespace.shellQuote(target)) && echo exists || echo absent)"
            "$WDS" run \(Namespace.shellQuote(script)) || echo "run failed: $?"
            awk -v d=\(Namespace.shellQuote(directory)) '{ split($0, half, " - "); split(half[2], f, " ");
                if (index($5, d) == 1) print "mountinfo: " $5 " " f[1] " " f[2] }' /proc/self/mountinfo
            echo hello > \(Namespace.shellQuote(target + "/file")) && echo "written"
            "$WDS" run \(Namespace.shellQuote(unmount)) \(Namespace.shellQuote(target)) || echo "unmount failed: $?"
            ls -A \(Namespace.shellQuote(target))
            """)
        let escaped = directory + "/mnt\\040dir"
        let lines = result.standardOutput.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 6, result.standardOutput + result.standardError)
        XCTAssertEqual(lines.first, "after trace: absent", "the trace must change nothing")
        XCTAssertEqual(lines.dropFirst().first, "mounted: true tmpfs: true cgroup: false")
        let record = lines.count > 2 ? lines[2].split(separator: "|").map(String.init) : []
        XCTAssertEqual(record.prefix(3), [target, "tmpfs", "none"], result.standardOutput)
        // Kernels differ in what they add (inode64); the requested options must be there.
        XCTAssertTrue(record.count == 4 && record[3].hasPrefix("rw,") && record[3].contains("size=1024k") && record[3].contains("mode=700"),
                      result.standardOutput)
        XCTAssertEqual(Array(lines.dropFirst(3)), ["mountinfo: \(escaped) tmpfs none", "written", "mounted: false"],
                       result.standardError)
        XCTAssertEqual(result.standardError, "")

        let trace = try String(contentsOfFile: directory + "/trace.txt", encoding: .utf8)
        let commands = HostTrace.commands(trace)
        XCTAssertEqual(commands.mutations, [
            HostTrace.line(.file(.makeDirectory(path: target, parents: true))),
            HostTrace.line(.mounts(.mount(MountRequest(source: "none", target: target, fileSystemType: "tmpfs", options: ["size=1m", "mode=700"])))),
        ], trace)
        XCTAssertTrue(commands.mutations.last?.hasPrefix("mount -t tmpfs -o size=1m,mode=700 -- none ") == true, trace)
        // Every mount builtin resolves its path as the mount table names it (issue 13, point 5).
        XCTAssertEqual(Set(commands.probes), ["cat /proc/self/mountinfo", "realpath -m -- \(Namespace.shellQuote(target))",
                                              "realpath -m -- \(directory)"], trace)
    }

    /// Issue 13, point 5: `is-mounted` resolves `..` and symbolic links as the
    /// mount table does, so the usual guard mounts once, not once per run.
    func testTheIsMountedGuardMountsOnceHoweverThePathIsSpelled() throws {
        let script = "if ! is-mounted $1 { mount tmpfs $1 --options size=1m }"
        let result = try ScriptRun.run(script, setup: "mkdir -p /tmp/d/sub /tmp/safe && ln -s /tmp/d /tmp/safe/ld",
                                       arguments: "/tmp/d/sub/..", after: """
            "$WDS" run /tmp/t/test.wds /tmp/d/sub/..; echo "second: $?"
            "$WDS" run /tmp/t/test.wds /tmp/d/sub/..; echo "third: $?"
            "$WDS" run /tmp/t/test.wds /tmp/safe/ld; echo "through a link: $?"
            "$WDS" run /tmp/t/test.wds /tmp/d/./; echo "with a dot: $?"
            grep -c ' /tmp/d ' /proc/self/mountinfo
            """)
        XCTAssertEqual(result.status, 0, result.standardError)
        XCTAssertEqual(result.after, "second: 0\nthird: 0\nthrough a link: 0\nwith a dot: 0\n1\n", "mounts stacked")
    }

    func testMountFailureNamesTheErrnoAtTheScriptLine() throws {
        try Namespace.requireNamespaces()
        let script = try Namespace.temporaryScript("""
            echo start
            mount tmpfs "$script_dir/missing"
            echo "not reached"
            """, name: "fail.wds")
        defer { try? FileManager.default.removeItem(atPath: (script as NSString).deletingLastPathComponent) }
        let result = Namespace.run("\"$WDS\" run \(Namespace.shellQuote(script)); echo \"status=$?\"")
        XCTAssertEqual(result.standardOutput, "start\nstatus=1\n")
        XCTAssertTrue(result.standardError.contains("fail.wds:2:"), result.standardError)
        XCTAssertTrue(result.standardError.contains("/missing failed: No such file or directory"), result.standardError)
        XCTAssertTrue(result.standardError.contains("hint: the mount point"), result.standardError)
    }

    func testBindMountReadOnly() throws {
        try Namespace.requireNamespaces()
        let script = try Namespace.temporaryScript("""
            mkdir --parents "$script_dir/src"
            mkdir --parents "$script_dir/view"
            write-file "$script_dir/src/a" "one"
            mount bind "$script_dir/src" "$script_dir/view" --read-only
            echo $(read-file "$script_dir/view/a")
            write-file "$script_dir/view/b" "two"
            """, name: "bind.wds")
        let directory = (script as NSString).deletingLastPathComponent
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = Namespace.run("""
            "$WDS" run \(Namespace.shellQuote(script)); echo "status=$?"
            grep -c " \(directory)/view " /proc/self/mountinfo
            """)
        // The failed run undoes its own changes: the bind mount is gone again.
        XCTAssertEqual(result.standardOutput, "one\nstatus=6\n0\n", result.standardError)
        XCTAssertTrue(result.standardError.contains("bind.wds:6:") && result.standardError.contains("Read-only file system"), result.standardError)
    }

    /// c10: the cgroup part of Warden's setup.sh, run twice in a namespace
    /// whose /tmp is a private tmpfs; the mounts under /tmp/warden must match
    /// expected.mounts (mountinfo `mountpoint fstype source superoptions`,
    /// sorted, tmpfs `rw,inode64` read as `rw` as the README allows).
    func testC10SetupShCgroupMountsMatchTheReference() throws {
        try Namespace.requireNamespaces()
        let caseDirectory = Namespace.referenceRoot.appendingPathComponent("c10-setup-sh-cgroups")
        let expected = try String(contentsOf: caseDirectory.appendingPathComponent("expected.mounts"), encoding: .utf8)
        let expectedDirectories = try String(contentsOf: caseDirectory.appendingPathComponent("dirs.txt"), encoding: .utf8)
        let setup = """
            # The cgroup part of Warden's root setup.sh.
            let cgroup_path = "/tmp/warden/cgroup"
            if ! is-dir $cgroup_path {
              mkdir --parents $cgroup_path
              mount tmpfs $cgroup_path
              for system in [cpu cpuacct devices memory] {
                mkdir --parents "$cgroup_path/$system"
                mount cgroup $system "$cgroup_path/$system"
              }
            }
            """
        let mounts = "awk '{ split($0, half, \" - \"); split(half[2], f, \" \"); if (index($5, \"/tmp/warden\") == 1) print $5, f[1], f[2], f[3] }' /proc/self/mountinfo | sed -E 's/^(\\S+ tmpfs none rw),inode64$/\\1/' | LC_ALL=C sort"
        let result = Namespace.run("""
            private_tmp
            \(HostTrace.heredoc(setup, to: "/tmp/setup.wds"))
            "$WDS" trace /tmp/setup.wds > /tmp/trace-1.txt 2>&1
            "$WDS" run /tmp/setup.wds; echo "run 1: $?"
            \(mounts) > /tmp/mounts-1.txt
            find /tmp/warden/cgroup -maxdepth 1 -type d | LC_ALL=C sort > /tmp/dirs.txt
            "$WDS" trace /tmp/setup.wds > /tmp/trace-2.txt 2>&1
            "$WDS" run /tmp/setup.wds; echo "run 2: $?"
            \(mounts) > /tmp/mounts-2.txt
            echo "== mounts 1"; cat /tmp/mounts-1.txt
            echo "== mounts 2"; cat /tmp/mounts-2.txt
            echo "== dirs"; cat /tmp/dirs.txt
            echo "== trace 1"; cat /tmp/trace-1.txt
            echo "== trace 2"; cat /tmp/trace-2.txt
            """)
        let sections = Dictionary(uniqueKeysWithValues: result.standardOutput.components(separatedBy: "== ").dropFirst().map { section -> (String, String) in
            let newline = section.firstIndex(of: "\n")!
            return (String(section[..<newline]), String(section[section.index(after: newline)...]))
        })
        XCTAssertTrue(result.standardOutput.hasPrefix("run 1: 0\nrun 2: 0\n"), result.standardOutput + result.standardError)
        XCTAssertEqual(sections["mounts 1"], expected, result.standardError)
        XCTAssertEqual(sections["mounts 2"], expected, "the second run must change nothing")
        XCTAssertEqual(sections["dirs"], expectedDirectories)

        let first = HostTrace.commands(sections["trace 1"] ?? "")
        var expectedMutations = [
            HostTrace.line(.file(.makeDirectory(path: "/tmp/warden/cgroup", parents: true))),
            HostTrace.line(.mounts(.mount(MountRequest(source: "none", target: "/tmp/warden/cgroup", fileSystemType: "tmpfs")))),
        ]
        for system in ["cpu", "cpuacct", "devices", "memory"] {
            expectedMutations.append(HostTrace.line(.file(.makeDirectory(path: "/tmp/warden/cgroup/\(system)", parents: true))))
            expectedMutations.append(HostTrace.line(.mounts(.mount(MountRequest(source: "none", target: "/tmp/warden/cgroup/\(system)",
                                                                        fileSystemType: "cgroup", options: [system])))))
        }
        XCTAssertEqual(first.mutations, expectedMutations, sections["trace 1"] ?? "")
        XCTAssertEqual(expectedMutations[3], "mount -t cgroup -o cpu -- none /tmp/warden/cgroup/cpu")
        XCTAssertEqual(first.probes, ["stat /tmp/warden/cgroup", "realpath -m -- /tmp/warden/cgroup"]
                       + ["cpu", "cpuacct", "devices", "memory"].map { "realpath -m -- /tmp/warden/cgroup/\($0)" })
        let second = HostTrace.commands(sections["trace 2"] ?? "")
        XCTAssertEqual(second.mutations, [], "after the first run, the trace shows nothing to do")
    }
}
