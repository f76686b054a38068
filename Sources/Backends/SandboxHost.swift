#if canImport(Glibc)
import Glibc
#endif
import Interpreter
import Lexer

/// The host of a sandbox run (`wds run --sandbox`): the real system, inside
/// throwaway namespaces, with guards for what namespaces do not isolate.
/// A sysctl outside `net.` (by `sysctl set` or a write under /proc/sys) is
/// global to the machine, so it is recorded but not written; so is a remount,
/// which changes a file system for every mount of it. Cgroup hierarchies are
/// shared with the host: only groups the script made may be written or
/// removed, and those are removed again afterwards.
public final class SandboxHost: Host {
    let inner: Host
    /// Sysctls the script set: the value before, and the value it set.
    public private(set) var sysctls: [(key: String, before: String, after: String, applied: Bool)] = []
    /// Directories created inside cgroup file systems, in creation order.
    public private(set) var cgroupDirectories: [String] = []
    /// Effects the sandbox recorded instead of performing, with why.
    public private(set) var withheld: [(command: String, reason: String)] = []

    public init(_ inner: Host) { self.inner = inner }

    public func perform(_ effect: Effect, at location: SourceRange) throws -> EffectResult {
        switch effect {
        case .writeSysctl(let key, let value):
            var before = ""
            if case .text(let text)? = try? inner.perform(.readSysctl(key: key), at: location) {
                before = text.trimmingBlanks
            }
            let namespaced = key.hasPrefix("net.")
            if namespaced { _ = try inner.perform(effect, at: location) }
            sysctls.append((key, before, value, namespaced))
            return .done
        case .makeDirectory(let path, _):
            let existed = SandboxHost.exists(path)
            let result = try inner.perform(effect, at: location)
            if !existed && SandboxHost.isOnCgroupFileSystem(path) { cgroupDirectories.append(path) }
            return result
        case .writeFile(let path, let value, _) where path.hasPrefix("/proc/sys/"):
            let key = String(path.dropFirst("/proc/sys/".count)).replacingAll("/", with: ".")
            return try perform(.writeSysctl(key: key, value: value.trimmingBlanks), at: location)
        case .writeFile(let path, _, _) where path.hasPrefix("/proc/") || path == "/proc":
            throw CommandFailure("the sandbox does not write '\(path)': it would reach the host's kernel", at: location)
        case .writeFile(let path, _, _), .removeDirectory(let path):
            // In a cgroup hierarchy (shared with the host), only the groups this run made.
            if SandboxHost.isOnCgroupFileSystem(path) {
                let group: String
                if case .removeDirectory = effect { group = path } else { group = Paths.directory(path) }
                guard cgroupDirectories.contains(group) else {
                    throw CommandFailure("the sandbox does not change '\(path)': a cgroup the run did not create belongs to the host",
                                         at: location)
                }
            }
            return try inner.perform(effect, at: location)
        case .mount(let request) where request.remount && !request.bind:
            withheld.append((shellLine(request.argv), "a remount changes the file system for every mount of it"))
            return .done
        case .family(let wrapped):
            // The family says what a user-namespace sandbox cannot make.
            if case .notSimulated(let reason) = wrapped.effect.inSandbox {
                withheld.append((wrapped.effect.shellCommand, reason))
                return .done
            }
            return try inner.perform(effect, at: location)
        default:
            return try inner.perform(effect, at: location)
        }
    }

    /// Removes the cgroups the script made, deepest first (they may be visible on the host).
    public func removeCgroupDirectories() -> [String] {
        var failed: [String] = []
        for path in cgroupDirectories.sorted(by: { $0.count > $1.count }) where rmdir(path) != 0 && errno != ENOENT {
            failed.append(path)
        }
        return failed
    }

    static func exists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0
    }

    /// Whether the deepest mount containing `path` is a cgroup or cgroup2 file system.
    static func isOnCgroupFileSystem(_ path: String) -> Bool {
        guard let bytes = FileBytes.read("/proc/self/mountinfo") else { return false }
        var best: (length: Int, type: Substring) = (-1, "")
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard let dash = fields.firstIndex(of: "-"), dash + 1 < fields.count, fields.count > 4 else { continue }
            let mountpoint = String(fields[4])
            let inside = path == mountpoint || path.hasPrefix(mountpoint == "/" ? "/" : mountpoint + "/")
            if inside && mountpoint.count > best.length { best = (mountpoint.count, fields[dash + 1]) }
        }
        return best.type == "cgroup" || best.type == "cgroup2"
    }
}

extension String {
    var trimmingBlanks: String {
        let blank: (Character) -> Bool = { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }
        return String(drop(while: blank).reversed().drop(while: blank).reversed())
    }
}
