import Interpreter

/// One line of /proc/self/mountinfo, as records the `mounts` builtin returns
/// and the cgroup family reads to find its hierarchies. The format is in
/// proc(5): `ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [TAGS…] - TYPE SOURCE SUPEROPTIONS`.
/// Blanks, tabs, newlines and backslashes in paths are written as octal
/// escapes (`\040`), decoded here.
struct MountInfo: Equatable {
    var mountpoint: String
    var type: String
    var source: String
    /// Per-mount options (rw, nosuid, relatime…).
    var options: String
    /// Options of the file system itself (for cgroup v1: the controllers).
    var superoptions: String

    var record: Record {
        Record([("mountpoint", .string(mountpoint)), ("type", .string(type)), ("source", .string(source)),
                ("options", .string(options)), ("superoptions", .string(superoptions))])
    }

    /// The controllers of a cgroup v1 hierarchy: its superoptions without the
    /// generic ones (`rw`, `name=…`, `clone_children`, …).
    var cgroupControllers: [String] {
        let generic: Set<String> = ["rw", "ro", "noprefix", "clone_children", "xattr", "cpuset_v2_mode", "favordynmods"]
        return superoptions.split(separator: ",").map(String.init).filter { option in
            !generic.contains(option) && !option.contains("=")
        }
    }

    /// Every well-formed line of a mountinfo text; malformed lines are skipped.
    static func parse(_ text: String) -> [MountInfo] {
        text.split(separator: "\n").compactMap { parseLine($0) }
    }

    static func parseLine(_ line: Substring) -> MountInfo? {
        let fields = line.split(separator: " ", omittingEmptySubsequences: false)
        guard fields.count >= 10, let separator = fields[6...].firstIndex(of: "-"), separator + 3 < fields.count else {
            return nil
        }
        return MountInfo(mountpoint: unescape(fields[4]), type: unescape(fields[separator + 1]),
                         source: unescape(fields[separator + 2]), options: String(fields[5]),
                         superoptions: unescape(fields[separator + 3]))
    }

    /// `\NNN` (three octal digits) back to its byte; anything else kept as written.
    static func unescape(_ field: Substring) -> String {
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
    static func normalize(_ path: String) -> String {
        var parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        parts.removeAll { $0 == "." }
        let joined = parts.joined(separator: "/")
        return path.hasPrefix("/") ? "/" + joined : (joined.isEmpty ? "." : joined)
    }
}

extension MountInfo {
    /// The mount table as the host reports it (a probe), parsed.
    static func table(_ call: Invocation) throws -> [MountInfo] {
        guard case .text(let text) = try call.perform(.mountTable) else { return [] }
        return parse(text)
    }

    /// `path` as the mount table names its mount point: `.`, `..` and symbolic
    /// links resolved by the host (a probe, `realpath -m`). Every mount builtin
    /// goes through it, so `if ! is-mounted D { mount tmpfs D }` finds the mount
    /// however D is spelled, and mounts exactly once.
    static func canonical(_ path: String, _ call: Invocation) throws -> String {
        guard case .text(let text) = try call.perform(.canonicalPath(path: path)) else { return normalize(path) }
        return text
    }

    /// The mount visible at `path`: the last one mounted there (mounts stack).
    /// The mounts at PATH or below it (PATH as the table names it).
    static func under(_ path: String, in table: [MountInfo]) -> [MountInfo] {
        let prefix = path == "/" ? "/" : path + "/"
        return table.filter { $0.mountpoint == path || $0.mountpoint.hasPrefix(prefix) }
    }

    /// The mounts whose mount point starts with TEXT, as text.
    static func withPrefix(_ text: String, in table: [MountInfo]) -> [MountInfo] {
        table.filter { $0.mountpoint.hasPrefix(text) }
    }

    /// The order to unmount them in: the deepest path first, and of mounts stacked on one path the last mounted first.
    static func deepestFirst(_ mounts: [MountInfo]) -> [MountInfo] {
        let depth: (MountInfo) -> Int = { $0.mountpoint.split(separator: "/").count }
        return mounts.enumerated().sorted { a, b in
            depth(a.element) != depth(b.element) ? depth(a.element) > depth(b.element) : a.offset > b.offset
        }.map(\.element)
    }

    static func top(at path: String, in table: [MountInfo]) -> MountInfo? {
        let target = normalize(path)
        return table.last { $0.mountpoint == target }
    }
}
