import Foundation
@testable import Builtins
import Interpreter
import XCTest

/// The cgroup family run for real on a scratch group `wds-test-<random>`, in
/// hierarchies mounted inside a namespace whose /tmp is a private tmpfs.
/// Mounting a v1 subsystem that the host already has reuses the host's
/// hierarchy, so the group is visible on the host too: every test removes it
/// (the bash trap, then an assertion that nothing named wds-test is left).
final class CgroupIntegrationTests: XCTestCase {
    /// The scratch groups this test made (tests run in parallel: each checks only its own).
    var scratchNames: [String] = []

    func scratch() -> String {
        let name = HostTrace.scratchName()
        scratchNames.append(name)
        return name
    }

    override func tearDown() {
        // Read-only: the host must keep none of this test's scratch groups.
        for name in scratchNames {
            let left = Namespace.run(["find", "/sys/fs/cgroup", "-name", name])
            XCTAssertEqual(left.standardOutput, "", "scratch cgroup \(name) left on the host")
        }
        super.tearDown()
    }

    /// A bash trap, inside the namespace, that stops the helper process and
    /// removes the scratch group from every hierarchy whatever happened.
    static func cleanup(_ name: String) -> String {
        """
        cleanup() {
          [ -n "$SLEEP" ] && kill "$SLEEP" 2>/dev/null && wait "$SLEEP" 2>/dev/null
          for d in /tmp/cg/*/\(name) /tmp/u/\(name); do [ -d "$d" ] && rmdir "$d"; done
        }
        trap cleanup EXIT
        private_tmp
        """
    }

    func testV1CreateSetAttachPidsDevicesCpusetDelete() throws {
        try Namespace.requireNamespaces()
        let name = scratch()
        let setup = """
            let root = "/tmp/cg"
            for system in [memory pids cpuset devices] {
              mkdir --parents "$root/$system"
              mount cgroup $system "$root/$system"
            }
            cgroup create $root $1
            cgroup set $root $1 memory.limit_in_bytes 67108864
            cgroup set $root $1 pids.max 50
            echo "limit $(cgroup get $root $1 memory.limit_in_bytes) pids $(cgroup get $root $1 pids.max)"
            cgroup set $root $1 memory.max 33554432
            echo "v2 name on v1: $(cgroup get $root $1 memory.max)"
            cgroup devices $root $1 --deny-all --allow "c 1:3 rwm" --allow "c 1:5 rwm"
            """
        let attach = """
            cgroup attach /tmp/cg $1 $2
            echo "pids $(join $(cgroup pids /tmp/cg $1))"
            """
        let copy = "cgroup copy-cpuset /tmp/cg $1"
        let delete = "cgroup delete /tmp/cg $1\necho deleted"
        let result = Namespace.run("""
            \(Self.cleanup(name))
            \(HostTrace.heredoc(setup, to: "/tmp/setup.wds"))
            \(HostTrace.heredoc(attach, to: "/tmp/attach.wds"))
            \(HostTrace.heredoc(copy, to: "/tmp/copy.wds"))
            \(HostTrace.heredoc(delete, to: "/tmp/delete.wds"))
            "$WDS" trace /tmp/setup.wds \(name) > /tmp/trace-setup.txt 2>&1
            "$WDS" run /tmp/setup.wds \(name); echo "setup: $?"
            echo "host: $(cat /sys/fs/cgroup/memory/\(name)/memory.limit_in_bytes) $(cat /sys/fs/cgroup/pids/\(name)/pids.max)"
            echo "devices: $(tr '\\n' ',' < /tmp/cg/devices/\(name)/devices.list)"
            sleep 60 & SLEEP=$!
            "$WDS" run /tmp/attach.wds \(name) $SLEEP 2> /tmp/attach-error.txt; echo "attach before copy-cpuset: $?"
            echo "cpus: [$(cat /tmp/cg/cpuset/\(name)/cpuset.cpus)]"
            "$WDS" trace /tmp/copy.wds \(name) > /tmp/trace-copy.txt 2>&1
            "$WDS" run /tmp/copy.wds \(name); echo "copy-cpuset: $?"
            [ "$(cat /tmp/cg/cpuset/\(name)/cpuset.cpus)" = "$(cat /tmp/cg/cpuset/cpuset.cpus)" ] && echo "cpus copied"
            "$WDS" trace /tmp/attach.wds \(name) $SLEEP > /tmp/trace-attach.txt 2>&1
            "$WDS" run /tmp/attach.wds \(name) $SLEEP | sed "s/ $SLEEP\\$/ SLEEP/"; echo "attach: $?"
            for h in memory pids cpuset devices; do [ "$(cat /tmp/cg/$h/\(name)/cgroup.procs)" = "$SLEEP" ] && echo "in $h"; done
            "$WDS" run /tmp/delete.wds \(name) 2> /tmp/delete-error.txt; echo "delete while busy: $?"
            ls -d /tmp/cg/*/\(name) | wc -l
            kill $SLEEP; wait $SLEEP 2>/dev/null; SLEEP=
            "$WDS" trace /tmp/delete.wds \(name) > /tmp/trace-delete.txt 2>&1
            "$WDS" run /tmp/delete.wds \(name); echo "delete: $?"
            ls -d /tmp/cg/*/\(name) 2>/dev/null | wc -l
            for f in attach-error delete-error trace-setup trace-copy trace-attach trace-delete; do echo "== $f"; cat /tmp/$f.txt; done
            """)
        let sections = Self.sections(result.standardOutput)
        XCTAssertEqual(sections[""], """
            limit 67108864 pids 50
            v2 name on v1: 33554432
            setup: 0
            host: 33554432 50
            devices: c 1:3 rwm,c 1:5 rwm,
            attach before copy-cpuset: 6
            cpus: []
            copy-cpuset: 0
            cpus copied
            pids SLEEP
            attach: 0
            in memory
            in pids
            in cpuset
            in devices
            delete while busy: 1
            4
            deleted
            delete: 0
            0

            """, result.standardOutput + result.standardError)
        // A new v1 cpuset group has no CPUs (clone_children is 0): the kernel says ENOSPC (exit status 6).
        let attachError = sections["attach-error"] ?? ""
        XCTAssertTrue(attachError.contains("attach.wds:1:") && attachError.contains("No space left on device"), attachError)
        XCTAssertTrue(attachError.contains("hint: a new cpuset group has no CPUs until `cgroup copy-cpuset /tmp/cg \(name)`"), attachError)
        let deleteError = sections["delete-error"] ?? ""
        XCTAssertTrue(deleteError.contains("delete.wds:1:") && deleteError.contains("error: cgroup '\(name)' still has processes in /tmp/cg/memory/\(name): "),
                      deleteError)

        let setupTrace = HostTrace.commands(sections["trace-setup"] ?? "")
        var expected: [Effect] = []
        for system in ["memory", "pids", "cpuset", "devices"] {
            expected.append(.file(.makeDirectory(path: "/tmp/cg/\(system)", parents: true)))
            expected.append(.mounts(.mount(MountRequest(source: "none", target: "/tmp/cg/\(system)", fileSystemType: "cgroup", options: [system]))))
        }
        for system in ["memory", "pids", "cpuset", "devices"] {
            expected.append(.file(.makeDirectory(path: "/tmp/cg/\(system)/\(name)", parents: true)))
        }
        expected += [
            .file(.write(path: "/tmp/cg/memory/\(name)/memory.limit_in_bytes", contents: "67108864", append: false)),
            .file(.write(path: "/tmp/cg/pids/\(name)/pids.max", contents: "50", append: false)),
            .file(.write(path: "/tmp/cg/memory/\(name)/memory.limit_in_bytes", contents: "33554432", append: false)),
            .file(.write(path: "/tmp/cg/devices/\(name)/devices.deny", contents: "a", append: false)),
            .file(.write(path: "/tmp/cg/devices/\(name)/devices.allow", contents: "c 1:3 rwm", append: false)),
            .file(.write(path: "/tmp/cg/devices/\(name)/devices.allow", contents: "c 1:5 rwm", append: false)),
        ]
        XCTAssertEqual(setupTrace.mutations, expected.map(HostTrace.line), sections["trace-setup"] ?? "")

        let copyTrace = HostTrace.commands(sections["trace-copy"] ?? "")
        XCTAssertEqual(copyTrace.probes, ["cat /proc/self/mountinfo", "cat /tmp/cg/cpuset/cpuset.cpus", "cat /tmp/cg/cpuset/cpuset.mems"])
        XCTAssertEqual(copyTrace.mutations.count, 2)
        XCTAssertTrue(copyTrace.mutations.allSatisfy { $0.contains("/tmp/cg/cpuset/\(name)/cpuset.") }, sections["trace-copy"] ?? "")

        let attachTrace = HostTrace.commands(sections["trace-attach"] ?? "")
        XCTAssertEqual(attachTrace.mutations.count, 4, sections["trace-attach"] ?? "")
        for (index, system) in ["memory", "pids", "cpuset", "devices"].enumerated() where index < attachTrace.mutations.count {
            XCTAssertTrue(attachTrace.mutations[index].hasSuffix("/tmp/cg/\(system)/\(name)/cgroup.procs"), attachTrace.mutations[index])
        }
        let deleteTrace = HostTrace.commands(sections["trace-delete"] ?? "")
        XCTAssertEqual(deleteTrace.mutations, ["memory", "pids", "cpuset", "devices"].map {
            HostTrace.line(.file(.removeDirectory(path: "/tmp/cg/\($0)/\(name)")))
        }, sections["trace-delete"] ?? "")
    }

    /// cgroup2 here is the host's unified hierarchy with every common
    /// controller bound to v1: groups work, but memory.max does not exist.
    func testV2DetectedFromTheMountAndLimitsNeedTheController() throws {
        try Namespace.requireNamespaces()
        let name = scratch()
        let script = """
            let root = "/tmp/u"
            mkdir --parents $root
            mount cgroup2 $root
            cgroup create $root $1
            cgroup attach $root $1 $2
            echo "pids $(count $(cgroup pids $root $1))"
            cgroup set $root $1 memory.limit_in_bytes 1000000
            """
        let result = Namespace.run("""
            \(Self.cleanup(name))
            \(HostTrace.heredoc(script, to: "/tmp/v2.wds"))
            \(HostTrace.heredoc("cgroup delete /tmp/u $1", to: "/tmp/delete.wds"))
            sleep 60 & SLEEP=$!
            "$WDS" trace /tmp/v2.wds \(name) $SLEEP > /tmp/trace.txt 2>&1
            "$WDS" run /tmp/v2.wds \(name) $SLEEP; echo "status: $?"
            [ "$(cat /tmp/u/\(name)/cgroup.procs)" = "$SLEEP" ] && echo "attached"
            kill $SLEEP; wait $SLEEP 2>/dev/null; SLEEP=
            "$WDS" run /tmp/delete.wds \(name); echo "delete: $?"
            [ -d /tmp/u/\(name) ] || echo "gone"
            echo "== trace"; cat /tmp/trace.txt
            """)
        let sections = Self.sections(result.standardOutput)
        XCTAssertEqual(sections[""], "pids 1\nstatus: 5\nattached\ndelete: 0\ngone\n", result.standardError)
        XCTAssertTrue(result.standardError.contains("v2.wds:7:") && result.standardError.contains("/tmp/u/\(name)/memory.max"), result.standardError)
        XCTAssertTrue(result.standardError.contains("hint: on cgroup v2, 'memory.max' exists only where the memory controller is enabled"),
                      result.standardError)
        let trace = HostTrace.commands(sections["trace"] ?? "")
        XCTAssertEqual(Array(trace.mutations.prefix(3)), [
            HostTrace.line(.file(.makeDirectory(path: "/tmp/u", parents: true))),
            HostTrace.line(.mounts(.mount(MountRequest(source: "none", target: "/tmp/u", fileSystemType: "cgroup2")))),
            HostTrace.line(.file(.makeDirectory(path: "/tmp/u/\(name)", parents: true))),
        ], sections["trace"] ?? "")
        XCTAssertEqual(trace.mutations.count, 5, sections["trace"] ?? "")
        XCTAssertTrue(trace.mutations.dropFirst(3).first?.hasSuffix("/tmp/u/\(name)/cgroup.procs") == true, sections["trace"] ?? "")
        XCTAssertEqual(trace.mutations.last, HostTrace.line(.file(.write(path: "/tmp/u/\(name)/memory.max", contents: "1000000", append: false))))
    }

    func testNoHierarchyAtTheRootIsAClearFailure() throws {
        try Namespace.requireNamespaces()
        let result = Namespace.run("""
            private_tmp
            mkdir /tmp/empty
            \(HostTrace.heredoc("cgroup create /tmp/empty wds-test-none", to: "/tmp/none.wds"))
            "$WDS" run /tmp/none.wds; echo "status: $?"
            """)
        XCTAssertEqual(result.standardOutput, "status: 1\n")
        XCTAssertTrue(result.standardError.contains("none.wds:1:1: error: no cgroup hierarchy at '/tmp/empty'"), result.standardError)
    }

    func testCheckRejectsBadNamesAndPidsBeforeRunning() throws {
        let script = try Namespace.temporaryScript("""
            cgroup create /tmp/cg ..
            cgroup attach /tmp/cg ok -5
            cgroup set /tmp/cg ok nodot 1
            cgroup devices /tmp/cg ok --allow "c 1:3 rwx"
            """, name: "bad.wds")
        defer { try? FileManager.default.removeItem(atPath: (script as NSString).deletingLastPathComponent) }
        let result = Namespace.run([Namespace.wdsBinary, "check", script])
        XCTAssertEqual(result.status, 2)
        for expected in ["bad.wds:1:23: error: '..' is not a cgroup name", "bad.wds:2:26: error: '-5' is not a valid process id",
                         "bad.wds:3:23: error: 'nodot' is not a cgroup file", "bad.wds:4:35: error: --allow: 'c 1:3 rwx' is not a device rule"] {
            XCTAssertTrue(result.standardError.contains(expected), "missing \(expected) in\n\(result.standardError)")
        }
    }

    /// Splits output at `== NAME` lines; the text before the first is under "".
    static func sections(_ output: String) -> [String: String] {
        var sections: [String: String] = ["": ""]
        var current = ""
        for line in output.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            if line.hasPrefix("== ") {
                current = String(line.dropFirst(3))
                sections[current] = ""
            } else {
                sections[current, default: ""] += line + "\n"
            }
        }
        return sections
    }
}
