#if canImport(Glibc)
import Glibc
#endif
import HostSystem
import Interpreter
import Lexer

/// mount(2) and umount2(2) as the mount family makes them (moved here from
/// the system host): options that are flags become flags, the rest is the data string.
enum MountSystemCalls {
    static let flagOptions: [String: UInt] = [
        "ro": UInt(MS_RDONLY), "rw": 0, "nosuid": UInt(MS_NOSUID), "nodev": UInt(MS_NODEV), "noexec": UInt(MS_NOEXEC),
        "sync": UInt(MS_SYNCHRONOUS), "noatime": UInt(MS_NOATIME), "nodiratime": UInt(MS_NODIRATIME),
        "relatime": UInt(MS_RELATIME), "strictatime": UInt(MS_STRICTATIME), "dirsync": UInt(MS_DIRSYNC),
        // The opposites, which mount(8) also takes as flags (none set), so a traced
        // `mount -o exec …` replays as the run mounted, rather than the data failing the run.
        "defaults": 0, "exec": 0, "suid": 0, "dev": 0, "async": 0, "atime": 0, "diratime": 0,
    ]

    static func mount(_ request: MountRequest, at location: SourceRange) throws {
        var flags: UInt = 0
        var data: [String] = []
        for option in request.options {
            if let flag = flagOptions[option] { flags |= flag } else { data.append(option) }
        }
        if request.bind { flags |= UInt(MS_BIND) }
        if request.remount { flags |= UInt(MS_REMOUNT) }
        let dataString = data.joined(separator: ",")
        // The target (and a bind's source) are opened without untrusted links (SafePath) and
        // named by descriptor, so a link planted or swapped in cannot move the mount elsewhere.
        let (target, targetErrno) = try SafePath.openObject(request.target, at: location)
        defer { if target >= 0 { close(target) } }
        guard target >= 0 else { throw failure(request, targetErrno, at: location) }
        var source: Int32 = -1
        if request.bind {
            let (fd, code) = try SafePath.openObject(request.source, at: location)
            guard fd >= 0 else { throw failure(request, code, at: location) }
            source = fd
        }
        defer { if source >= 0 { close(source) } }
        let result = dataString.withCString { dataPointer in
            Glibc.mount(source >= 0 ? descriptorPath(source) : request.source, descriptorPath(target),
                        request.fileSystemType ?? "", flags, data.isEmpty ? nil : dataPointer)
        }
        guard result == 0 else { throw failure(request, errno, at: location) }
        // A read-only bind needs a second, remounting call (the kernel ignores MS_RDONLY on the first).
        if request.bind && (flags & UInt(MS_RDONLY)) != 0 && !request.remount {
            // Opened again: the first descriptor is the directory under the new mount, not its root.
            let (mounted, _) = try SafePath.openObject(request.target, at: location)
            defer { if mounted >= 0 { close(mounted) } }
            guard mounted >= 0, Glibc.mount("", descriptorPath(mounted), "", flags | UInt(MS_REMOUNT), nil) == 0 else {
                let code = errno
                throw CommandFailure("remounting '\(request.target)' read-only failed: \(errnoMessage(code))", at: location,
                                     status: exitStatus(forErrno: code))
            }
        }
    }

    static func failure(_ request: MountRequest, _ code: Int32, at location: SourceRange) -> CommandFailure {
        CommandFailure("\(shellLine(request.argv)) failed: \(errnoMessage(code))", at: location,
                       status: exitStatus(forErrno: code), hint: hint(for: request, code))
    }

    /// umount2(2) of what is mounted at `path`, reached without untrusted links: from
    /// inside the directory that holds it (a descriptor of the mount itself would keep it busy).
    static func unmount(_ path: String, at location: SourceRange) throws {
        let place = try SafePath.locate(path, followLast: true, at: location)
        defer { close(place.directory) }
        let saved = open(".", SafePath.O_PATH | O_DIRECTORY | O_CLOEXEC)
        guard saved >= 0, fchdir(place.directory) == 0 else {
            let code = errno
            if saved >= 0 { close(saved) }
            throw CommandFailure("cannot unmount '\(path)': \(errnoMessage(code))", at: location, status: exitStatus(forErrno: code))
        }
        let result = umount2(place.name, 8)  // UMOUNT_NOFOLLOW
        let code = errno
        _ = fchdir(saved)
        close(saved)
        guard result == 0 else {
            throw CommandFailure("cannot unmount '\(path)': \(errnoMessage(code))", at: location, status: exitStatus(forErrno: code))
        }
    }

    /// The kernel's name for an open descriptor: mount(2) and umount2(2) resolve it to exactly that file.
    static func descriptorPath(_ fd: Int32) -> String { "/proc/self/fd/\(fd)" }

    /// What usually causes this errno for this kind of mount.
    static func hint(for request: MountRequest, _ code: Int32) -> String? {
        switch code {
        case ENOENT:
            return request.bind ? "the source '\(request.source)' or the mount point '\(request.target)' does not exist"
                : "the mount point '\(request.target)' does not exist: create it first with `mkdir --parents`"
        case ENOTDIR: return "the mount point '\(request.target)' is not a directory"
        case EPERM: return "mounting needs root (CAP_SYS_ADMIN in the mount namespace)"
        case ENODEV: return "the kernel has no file system type '\(request.fileSystemType ?? "")'"
        case EBUSY where request.fileSystemType == "cgroup":
            return "the kernel already has these subsystems in a hierarchy with a different set (such as cpu,cpuacct together), or they are bound to cgroup v2: mount exactly the set /proc/self/mountinfo shows"
        case EBUSY: return "something is already mounted there, or the device is in use"
        default: return nil
        }
    }
}
