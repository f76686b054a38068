#if canImport(Glibc)
import Glibc
#endif
import Interpreter

/// One line of /proc/self/mountinfo: the one parser of it, which the mount
/// and cgroup families, the simulated host, the sandbox and its report all
/// read the mount table with. The format is in proc(5):
/// `ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [TAGS…] - TYPE SOURCE SUPEROPTIONS`.
/// Blanks, tabs, newlines and backslashes in paths are written as octal
/// escapes (`\040`), decoded here.
public struct MountInfo: Equatable, Sendable {
    public var mountpoint: String
    public var type: String
    public var source: String
    /// Per-mount options (rw, nosuid, relatime…).
    public var options: String
    /// Options of the file system itself (for cgroup v1: the controllers).
    public var superoptions: String
    /// The directory of the file system that is mounted there (`/` for all of it; a bind mount's subtree).
    public var root: String

    public init(mountpoint: String, type: String, source: String, options: String, superoptions: String, root: String = "/") {
        self.mountpoint = mountpoint
        self.type = type
        self.source = source
        self.options = options
        self.superoptions = superoptions
        self.root = root
    }

    /// The controllers of a cgroup v1 hierarchy: its superoptions without the
    /// generic ones (`rw`, `name=…`, `clone_children`, …).
    public var cgroupControllers: [String] {
        let generic: Set<String> = ["rw", "ro", "noprefix", "clone_children", "xattr", "cpuset_v2_mode", "favordynmods"]
        return superoptions.split(separator: ",").map(String.init).filter { option in
            !generic.contains(option) && !option.contains("=")
        }
    }

    /// Every well-formed line of a mountinfo text; malformed lines are skipped.
    public static func parse(_ text: String) -> [MountInfo] {
        text.split(separator: "\n").compactMap { parseLine($0) }
    }

    /// The mount table of this process, read now; empty if it cannot be read.
    public static func current() -> [MountInfo] {
        FileBytes.read("/proc/self/mountinfo").map { parse(String(decoding: $0, as: UTF8.self)) } ?? []
    }

    /// The type of the deepest mount containing `path` (the last mounted of those stacked there).
    public static func fileSystemType(of path: String, in table: [MountInfo]) -> String? {
        var best: (length: Int, type: String?) = (-1, nil)
        for mount in table {
            let point = mount.mountpoint
            let inside = path == point || path.hasPrefix(point == "/" ? "/" : point + "/")
            if inside && point.count >= best.length { best = (point.count, mount.type) }
        }
        return best.type
    }

    public static func parseLine(_ line: Substring) -> MountInfo? {
        let fields = line.split(separator: " ", omittingEmptySubsequences: false)
        guard fields.count >= 10, let separator = fields[6...].firstIndex(of: "-"), separator + 3 < fields.count else {
            return nil
        }
        return MountInfo(mountpoint: unescape(fields[4]), type: unescape(fields[separator + 1]),
                         source: unescape(fields[separator + 2]), options: String(fields[5]),
                         superoptions: unescape(fields[separator + 3]), root: unescape(fields[3]))
    }

    /// `\NNN` (three octal digits) back to its byte; anything else kept as written.
    public static func unescape(_ field: Substring) -> String {
        let bytes = Array(field.utf8)
        guard bytes.contains(UInt8(ascii: "\\")) else { return String(field) }
        var out: [UInt8] = []
        var index = 0
        let isOctal: (UInt8) -> Bool = { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "7") }
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "\\"), index + 3 < bytes.count,
               bytes[(index + 1)...(index + 3)].allSatisfy(isOctal) {
                let digits = bytes[(index + 1)...(index + 3)].map { Int($0 - UInt8(ascii: "0")) }
                let value = digits[0] * 64 + digits[1] * 8 + digits[2]
                if value <= 255 {
                    out.append(UInt8(value))
                    index += 4
                    continue
                }
            }
            out.append(bytes[index])
            index += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A path as mountinfo writes it: no trailing or doubled slashes.
    public static func normalize(_ path: String) -> String {
        var parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        parts.removeAll { $0 == "." }
        let joined = parts.joined(separator: "/")
        return path.hasPrefix("/") ? "/" + joined : (joined.isEmpty ? "." : joined)
    }
}
