import HostSystem
import Interpreter

/// The mount table as the mount and cgroup builtins read it: through the
/// host (a probe, which a trace answers with its own mounts), as records.
extension MountInfo {
    var record: Record {
        Record([("mountpoint", .string(mountpoint)), ("type", .string(type)), ("source", .string(source)),
                ("options", .string(options)), ("superoptions", .string(superoptions))])
    }

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
