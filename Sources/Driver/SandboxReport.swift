#if canImport(Glibc)
import Glibc
#endif
import Backends
import HostSystem
import Interpreter

/// What a sandbox run changed, for its report: the state it can read before
/// and after (mounts, network sysctls, hostname, cgroups; each host family —
/// iptables, network links, nftables — shows its own, `HostFamily.snapshot`), and the
/// files and directories, which are exactly the overlays' upper layers
/// (compared with the host's directories below them) and whatever is in the
/// file systems the script mounted. Programs' changes are seen as well as
/// builtins', since none of it comes from wds's own record of effects.
extension Sandbox {
    struct Snapshot {
        var mounts: [String] = []
        var mountPoints: [String] = []
        var mountTypes: [String: String] = [:]
        var netSysctls: [String: String] = [:]
        var hostname = ""
        var cgroups: [String] = []
    }

    static func snapshot(cgroupMount: String?) -> Snapshot {
        var result = Snapshot()
        for mount in MountInfo.current() {
            result.mounts.append("\(mount.mountpoint) \(mount.type) \(mount.source)")
            result.mountPoints.append(mount.mountpoint)
            result.mountTypes[mount.mountpoint] = mount.type
        }
        for path in files(below: "/proc/sys/net", limit: 20_000) {
            guard let bytes = FileBytes.read(path) else { continue }
            let key = String(path.dropFirst("/proc/sys/".count)).replacingAll("/", with: ".")
            result.netSysctls[key] = trimmed(String(decoding: bytes, as: UTF8.self))
        }
        var name = [CChar](repeating: 0, count: 256)
        if gethostname(&name, name.count - 1) == 0 {
            result.hostname = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        if let cgroupMount { result.cgroups = SandboxCgroup.directories(below: cgroupMount) }
        return result
    }

    static func trimmed(_ text: String) -> String {
        String(text.reversed().drop(while: { $0 == "\n" || $0 == " " }).reversed())
    }

    /// Regular files (and others that are not directories) below `root`, not following links.
    static func files(below root: String, limit: Int) -> [String] {
        entries(below: root, limit: limit).filter { ($0.1.st_mode & S_IFMT) != S_IFDIR }.map(\.0)
    }

    /// Every entry below `root` on the same file system (a mount below it is its own), not following links.
    static func entries(below root: String, limit: Int) -> [(String, stat)] {
        var result: [(String, stat)] = []
        var top = stat()
        guard lstat(root, &top) == 0 else { return [] }
        var pending = [root]
        while let directory = pending.popLast(), result.count < limit {
            for name in SandboxCgroup.names(in: directory).sorted() {
                let path = directory + "/" + name
                var info = stat()
                guard lstat(path, &info) == 0 else { continue }
                result.append((path, info))
                if (info.st_mode & S_IFMT) == S_IFDIR && info.st_dev == top.st_dev { pending.append(path) }
            }
        }
        return result
    }

    /// The files and directories the run made, changed or removed: `+`, `~`, `-` lines.
    static func fileChanges(before: Snapshot, after: Snapshot, journal: String, limit: Int = 500) -> [String] {
        var lines: [String] = []
        func describe(_ info: stat) -> String {
            switch info.st_mode & S_IFMT {
            case S_IFDIR: return "directory"
            case S_IFLNK: return "symbolic link"
            case S_IFREG: return "\(info.st_size) bytes"
            default: return "special file"
            }
        }
        // The overlays: every entry of an upper layer is new, changed, or (a 0:0 character device) a removal.
        for directory in SandboxFence.writable {
            let upper = SandboxFence.upper(directory), lower = SandboxFence.lower(directory)
            var pending = [""]
            while let relative = pending.popLast() {
                for name in SandboxCgroup.names(in: upper + relative).sorted().reversed() {
                    let entry = relative + "/" + name
                    let path = directory + entry
                    if path == journal { continue }
                    var now = stat(), was = stat()
                    guard lstat(upper + entry, &now) == 0 else { continue }
                    let existed = lstat(lower + entry, &was) == 0
                    let isDirectory = (now.st_mode & S_IFMT) == S_IFDIR
                    if (now.st_mode & S_IFMT) == S_IFCHR && now.st_rdev == 0 {
                        if existed { lines.append("- \(path) (\(describe(was)))") }
                    } else if !existed {
                        lines.append("+ \(path) (\(describe(now)))")
                    } else if !isDirectory {
                        lines.append("~ \(path) (\(describe(was)) -> \(describe(now)))")
                    }
                    if isDirectory { pending.append(entry) }
                }
            }
        }
        // What is inside the file systems the run mounted (not in any upper layer).
        // (A cgroup file system's files are its interface, not something the run wrote.)
        for point in Set(after.mountPoints).subtracting(before.mountPoints).sorted()
        where !point.hasPrefix("/proc/") && !(after.mountTypes[point] ?? "").hasPrefix("cgroup") {
            for (path, info) in entries(below: point, limit: limit) { lines.append("+ \(path) (\(describe(info)))") }
        }
        lines.sort { $0.dropFirst(2) < $1.dropFirst(2) }
        if lines.count > limit { lines = Array(lines.prefix(limit)) + ["… and \(lines.count - limit) more"] }
        return lines
    }
}
