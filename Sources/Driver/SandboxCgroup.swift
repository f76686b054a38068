#if canImport(Glibc)
import Glibc
#endif
import Backends
import HostSystem
import Interpreter

/// The cgroup a sandbox runs in: a child of wds's own cgroup v2 group,
/// delegated to the sandbox's user (the directory and its `cgroup.procs`,
/// `cgroup.threads` and `cgroup.subtree_control` are its), so the script can
/// make scratch cgroups below it, and only there: the sandbox's cgroup
/// namespace is rooted at it. Made and removed by the outer wds, which keeps
/// its privileges; removed always, the script's groups with it, once every
/// process of the sandbox is gone.
struct SandboxCgroup {
    /// Where the cgroup v2 hierarchy is mounted, here and (remounted, rooted at `path`) in the sandbox.
    let mountPoint: String
    /// The sandbox's group, on the host.
    let path: String

    static let prefix = "wds-sandbox-"

    /// Makes the group for this run, owned by `owner`; nil, with why, where cgroup v2 is not mounted or not writable.
    static func create(owner: uid_t) -> (SandboxCgroup?, String?) {
        guard let (mountPoint, mountRoot) = cgroup2Mount() else { return (nil, "no cgroup v2 hierarchy is mounted") }
        guard let own = ownCgroup(), own == mountRoot || own.hasPrefix(mountRoot == "/" ? "/" : mountRoot + "/") else {
            return (nil, "wds's own cgroup v2 group is not below the mounted hierarchy")
        }
        let relative = String(own.dropFirst(mountRoot.count))
        let parent = mountPoint + (relative.hasPrefix("/") || relative.isEmpty ? relative : "/" + relative)
        removeStale(in: parent)
        let path = (parent.hasSuffix("/") ? parent : parent + "/") + prefix + String(getpid())
        guard mkdir(path, 0o755) == 0 else {
            return (nil, "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        for file in ["", "/cgroup.procs", "/cgroup.threads", "/cgroup.subtree_control"] {
            _ = chown(path + file, owner, gid_t(owner))
        }
        return (SandboxCgroup(mountPoint: mountPoint, path: path), nil)
    }

    /// Removes the group and every group below it, deepest first; the processes in them may still
    /// be exiting (a PID namespace's processes die with its first), so it waits up to 5 s.
    /// The paths it could not remove.
    func remove() -> [String] {
        var failed: [String] = []
        for attempt in 0..<50 {
            failed = SandboxCgroup.directories(below: path).reversed().filter { rmdir($0) != 0 && errno != ENOENT }
            if rmdir(path) != 0 && errno != ENOENT { failed.append(path) }
            if failed.isEmpty || attempt == 49 { break }
            usleep(100_000)
        }
        return failed
    }

    /// Groups a killed sandbox left (named for a wds that no longer runs), removed if they hold no process.
    static func removeStale(in parent: String) {
        for name in SandboxCgroup.names(in: parent) where name.hasPrefix(prefix) {
            guard let pid = pid_t(name.dropFirst(prefix.count)), kill(pid, 0) != 0, errno == ESRCH else { continue }
            let stale = SandboxCgroup(mountPoint: "", path: parent + "/" + name)
            _ = stale.remove()
        }
    }

    /// Every directory below `root`, parents before children.
    static func directories(below root: String) -> [String] {
        var result: [String] = []
        var pending = [root]
        while let directory = pending.popLast() {
            for name in names(in: directory) {
                let child = directory + "/" + name
                var info = stat()
                if lstat(child, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR {
                    result.append(child)
                    pending.append(child)
                }
            }
        }
        return result.sorted { $0.count < $1.count }
    }

    static func names(in directory: String) -> [String] {
        guard let handle = opendir(directory) else { return [] }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// The mount point and root of the cgroup2 file system, from /proc/self/mountinfo.
    static func cgroup2Mount() -> (String, String)? {
        MountInfo.current().first { $0.type == "cgroup2" }.map { ($0.mountpoint, $0.root) }
    }

    /// This process's cgroup v2 group (`0::/path` in /proc/self/cgroup).
    static func ownCgroup() -> String? {
        guard let bytes = FileBytes.read("/proc/self/cgroup") else { return nil }
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") where line.hasPrefix("0::") {
            return String(line.dropFirst(3))
        }
        return nil
    }
}
