#if canImport(Glibc)
import Glibc
#endif
import Interpreter
import Lexer

/// mount(2): options that are flags become flags, the rest is the data string.
enum Mounts {
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
        let result = dataString.withCString { dataPointer in
            Glibc.mount(request.source, request.target, request.fileSystemType ?? "", flags, data.isEmpty ? nil : dataPointer)
        }
        guard result == 0 else {
            let code = errno
            throw CommandFailure("\(shellLine(request.argv)) failed: \(errnoMessage(code))", at: location,
                                 status: exitStatus(forErrno: code), hint: hint(for: request, code))
        }
        // A read-only bind needs a second, remounting call (the kernel ignores MS_RDONLY on the first).
        if request.bind && (flags & UInt(MS_RDONLY)) != 0 && !request.remount {
            guard Glibc.mount("", request.target, "", flags | UInt(MS_REMOUNT), nil) == 0 else {
                let code = errno
                throw CommandFailure("remounting '\(request.target)' read-only failed: \(errnoMessage(code))", at: location,
                                     status: exitStatus(forErrno: code))
            }
        }
    }

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
