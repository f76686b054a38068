#if canImport(Glibc)
import Glibc
#endif
import Backends
import HostSystem
import Interpreter

/// The first stage of a sandbox (`wds sandbox-inner --stage fence`): wds
/// with the outer user's privileges, in fresh mount and PID namespaces with a
/// /proc of their own. It joins the sandbox's cgroup, lays out the file
/// system and makes every mount read-only, and only then starts the second
/// stage in a new user namespace. Mounts copied into a namespace owned by a
/// less privileged user namespace are locked: the sandbox cannot unmount
/// them to uncover what is below, nor make a read-only one writable again.
/// So everything is fenced here, before the user namespace exists.
enum SandboxFence {
    /// The scratch tmpfs: the overlays' upper and work directories, and binds of the host's /tmp
    /// and /run as they were (the overlays' lower layers), for the report to compare against.
    static let scratch = "/dev/shm"
    /// Directories the sandbox may write: each an overlay on the host's, whose writes stay in the scratch.
    static let writable = ["/tmp", "/run"]

    /// This wds, bound into the scratch: the sandbox's user reaches it there even when the folders
    /// above the real one are not open to others (a checkout in a private folder).
    static let executable = scratch + "/wds"

    static func upper(_ directory: String) -> String { scratch + "/upper" + directory.replacingAll("/", with: "-") }
    static func lower(_ directory: String) -> String { scratch + "/lower" + directory.replacingAll("/", with: "-") }
    static func work(_ directory: String) -> String { scratch + "/work" + directory.replacingAll("/", with: "-") }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func check(_ result: Int32, _ what: String) throws {
        if result != 0 { throw Failure(description: "\(what): \(String(cString: strerror(errno)))") }
    }

    /// Joins `cgroup` (its `cgroup.procs`; "0" is the writer), so the user namespace's cgroup namespace is rooted there.
    static func join(cgroup: String) throws {
        let fd = open(cgroup + "/cgroup.procs", O_WRONLY | O_CLOEXEC)
        guard fd >= 0, write(fd, "0", 1) == 1 else {
            let code = errno
            if fd >= 0 { close(fd) }
            throw Failure(description: "cannot join the sandbox's cgroup \(cgroup): \(String(cString: strerror(code)))")
        }
        close(fd)
    }

    /// Writable /tmp and /run (overlays owned by `owner`), everything else read-only. `cgroupMount`,
    /// where the inside mounts its own cgroup2 view, gets an empty tmpfs first: the kernel refuses
    /// a file system mounted on a mount of itself.
    static func fence(owner: uid_t, cgroupMount: String?) throws {
        if let cgroupMount {
            try check(mount("none", cgroupMount, "tmpfs", UInt(MS_NOSUID | MS_NODEV | MS_NOEXEC), "mode=755"),
                      "mount tmpfs on \(cgroupMount)")
        }
        let mountsBefore = mountPoints()
        try check(mount("none", scratch, "tmpfs", UInt(MS_NOSUID | MS_NODEV), "mode=711"), "mount tmpfs on \(scratch)")
        let file = open(executable, O_WRONLY | O_CREAT | O_CLOEXEC, 0o755)
        if file >= 0 { close(file) }
        try check(mount(Spawn.currentExecutable, executable, nil, UInt(MS_BIND), nil), "bind wds into \(scratch)")
        for directory in writable {
            var info = stat()
            try check(stat(directory, &info), "stat \(directory)")
            let lower = lower(directory), upper = upper(directory), work = work(directory)
            for path in [lower, upper, work] { try check(mkdir(path, 0o700), "mkdir \(path)") }
            _ = chown(upper, owner, gid_t(owner))
            _ = chmod(upper, info.st_mode & 0o7777)
            // The host's directory as it is, with what is mounted below it (a checkout under /tmp).
            try check(mount(directory, lower, nil, UInt(MS_BIND | MS_REC), nil), "bind \(directory)")
            let options = "lowerdir=\(lower),upperdir=\(upper),workdir=\(work)"
            if mount("overlay", directory, "overlay", UInt(MS_NOSUID | MS_NODEV), options) != 0 {
                // Without overlay support: the empty upper directory alone (the report then lists all of it as new).
                try check(mount(upper, directory, nil, UInt(MS_BIND), nil), "bind \(upper) on \(directory)")
            }
            // What was mounted below the directory shows again, above the overlay.
            let prefix = directory + "/"
            for point in mountsBefore where point.hasPrefix(prefix) && !mountsBefore.contains(where: {
                $0 != point && $0.hasPrefix(prefix) && point.hasPrefix($0 + "/")
            }) {
                _ = mount(lower + String(point.dropFirst(directory.count)), point, nil, UInt(MS_BIND | MS_REC), nil)
            }
        }
        // Read-only: every mount but the overlays and the new /proc (whose /proc/sys the kernel guards
        // by namespace). A bind remount sets all of a mount's flags, so the ones it had are kept.
        for (point, flags) in mountFlags().reversed() {
            if writable.contains(point) || point == "/proc" || point.hasPrefix("/proc/") { continue }
            let result = mount("none", point, nil, UInt(MS_REMOUNT | MS_BIND | MS_RDONLY) | flags, nil)
            if point == "/" { try check(result, "remount / read-only") }
        }
    }

    static func mountPoints() -> [String] { mountFlags().map(\.0) }

    /// Each mount point, in mount order, with the per-mount flags it has (nosuid, nodev, noexec, atime).
    static func mountFlags() -> [(String, UInt)] {
        let known: [Substring: UInt] = [
            "nosuid": UInt(MS_NOSUID), "nodev": UInt(MS_NODEV), "noexec": UInt(MS_NOEXEC), "noatime": UInt(MS_NOATIME),
            "nodiratime": UInt(MS_NODIRATIME), "relatime": UInt(MS_RELATIME),
        ]
        return MountInfo.current().map { mount in
            (mount.mountpoint, mount.options.split(separator: ",").reduce(UInt(0)) { $0 | (known[$1] ?? 0) })
        }
    }
}
