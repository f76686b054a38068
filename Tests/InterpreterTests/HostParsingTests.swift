@testable import Builtins
import HostSystem
import XCTest

/// The pure parts of the host families: mountinfo lines, the v1↔v2 cgroup
/// key mapping, /proc/self/limits rows. One case per line.
final class HostParsingTests: XCTestCase {
    /// A config file edited on Windows ends its lines with "\r\n" (one
    /// Character to Swift): each line is still its own KEY=value, and no value
    /// takes in the line after it.
    func testConfigFilesWithCRLFLineEnds() throws {
        let record = try ConfigFile.parse("A=1\r\nB=\"two\"\r\n# note\r\nexport C=three  # why\r\n").get()
        XCTAssertEqual(record.fields.map(\.name), ["A", "B", "C"])
        XCTAssertEqual(record["A"], .string("1"))
        XCTAssertEqual(record["B"], .string("two"))
        XCTAssertEqual(record["C"], .string("three"))
        XCTAssertEqual(ConfigFile.parse("A=1\r\nB=$(reboot)\r\n").failure?.line, 2)
    }

    func testMountinfoLines() {
        let cases: [(String, MountInfo?)] = [
            ("36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue",
             MountInfo(mountpoint: "/mnt2", type: "ext3", source: "/dev/root", options: "rw,noatime", superoptions: "rw,errors=continue",
                       root: "/mnt1")),
            ("32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu",
             MountInfo(mountpoint: "/sys/fs/cgroup/cpu", type: "cgroup", source: "cgroup", options: "rw,relatime", superoptions: "rw,cpu")),
            ("90 1 0:50 / /tmp/a\\040b\\011c\\134d rw shared:3 master:2 - tmpfs none rw,size=1024k",
             MountInfo(mountpoint: "/tmp/a b\tc\\d", type: "tmpfs", source: "none", options: "rw", superoptions: "rw,size=1024k")),
            ("90 1 0:50 / /tmp/odd\\9 rw - tmpfs none rw", MountInfo(mountpoint: "/tmp/odd\\9", type: "tmpfs", source: "none", options: "rw", superoptions: "rw")),
            ("too short - x", nil),
        ]
        for (line, expected) in cases {
            XCTAssertEqual(MountInfo.parseLine(Substring(line)), expected, line)
        }
    }

    func testCgroupControllersDropGenericOptions() {
        let mount = MountInfo(mountpoint: "/x", type: "cgroup", source: "none", options: "rw",
                              superoptions: "rw,cpu,cpuacct,clone_children,name=foo,release_agent=/bin/x")
        XCTAssertEqual(mount.cgroupControllers, ["cpu", "cpuacct"])
    }

    func testPathsNormalizeAsMountinfoWritesThem() {
        for (path, expected) in [("/tmp/x/", "/tmp/x"), ("/tmp//x/./y", "/tmp/x/y"), ("/", "/")] {
            XCTAssertEqual(MountInfo.normalize(path), expected, path)
        }
    }

    func testCgroupKeysMapBothWays() {
        let cases: [(String, String, CgroupLayout.Version, CgroupKeys.Mapped)] = [
            ("memory.limit_in_bytes", "-1", .v2, .init(key: "memory.max", value: "max")),
            ("memory.limit_in_bytes", "1048576", .v2, .init(key: "memory.max", value: "1048576")),
            ("cpu.shares", "1024", .v2, .init(key: "cpu.weight", value: "39")),
            ("cpu.shares", "2", .v2, .init(key: "cpu.weight", value: "1")),
            ("cpu.shares", "262144", .v2, .init(key: "cpu.weight", value: "10000")),
            ("cpu.shares", "lots", .v2, .init(key: "cpu.weight", value: nil)),
            ("pids.max", "max", .v2, .init(key: "pids.max", value: "max")),
            ("memory.max", "max", .v1, .init(key: "memory.limit_in_bytes", value: "-1")),
            ("cpu.weight", "100", .v1, .init(key: "cpu.shares", value: "2597")),
            ("cpu.weight", "10000", .v1, .init(key: "cpu.shares", value: "262144")),
            ("memory.limit_in_bytes", "5", .v1, .init(key: "memory.limit_in_bytes", value: "5")),
            ("cpuset.cpus", "0-1", .v2, .init(key: "cpuset.cpus", value: "0-1")),
        ]
        for (key, value, version, expected) in cases {
            XCTAssertEqual(CgroupKeys.map(key, value, to: version), expected, "\(key) \(value) on \(version)")
        }
    }

    func testLimitsRows() {
        let text = """
            Limit                     Soft Limit           Hard Limit           Units     
            Max core file size        0                    unlimited            bytes     
            Max open files            1024                 1048576              files     
            """
        XCTAssertEqual(RlimitBuiltins.parse(text, .nofile)?.soft, .integer(1024))
        XCTAssertEqual(RlimitBuiltins.parse(text, .nofile)?.hard, .integer(1048576))
        XCTAssertEqual(RlimitBuiltins.parse(text, .core)?.hard, .string("unlimited"))
        XCTAssertNil(RlimitBuiltins.parse(text, .stack))
    }

    func testDeviceRules() {
        for (rule, valid) in [("c 1:3 rwm", true), ("a", true), ("b *:* m", true), ("c 1:3", true), ("c 1:3 rwx", false),
                              ("a 1:3", false), ("x 1:3 r", false), ("c 1 r", false), ("c a:b r", false)] {
            XCTAssertEqual(HostValues.deviceRule.problem(with: .string(rule)) == nil, valid, rule)
        }
    }
}

private extension Result {
    var failure: Failure? { if case .failure(let failure) = self { return failure } else { return nil } }
}
