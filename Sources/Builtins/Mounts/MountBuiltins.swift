import HostSystem
import Interpreter
import Lexer

/// Mounts: mount(2) and umount2(2) through the host, and the mount table read
/// from /proc/self/mountinfo (never from `mount` output). Each kind of mount
/// is its own subcommand, so its arguments are checked for what it needs.
/// Every path is canonicalized first (`..`, symbolic links), as the kernel
/// names the mount point in the table.
enum MountBuiltins {
    static let family = BuiltinFamily("mount", summary: "Mount file systems (mount(2)): tmpfs, cgroup v1 and v2 hierarchies, bind mounts.", subcommands: [
        BuiltinSpec("mount tmpfs", summary: "Mount a tmpfs (source `none`) on PATH, which must exist.",
                    parameters: [Parameter("path", HostValues.absolutePath)],
                    options: [OptionSpec("--options", HostValues.mountOptions, aliases: ["-o"], summary: "mount options, such as size=64m,mode=755")],
                    example: "mount tmpfs /tmp/warden/cgroup") { call in
            try call.perform(.mounts(.mount(MountRequest(source: "none", target: try path(call, 0), fileSystemType: "tmpfs",
                                                 options: try options(call)))))
            return .empty
        },
        BuiltinSpec("mount cgroup", summary: "Mount the cgroup v1 hierarchy of SUBSYSTEM (or a comma-separated set) on PATH, source `none`, as Warden's `mount -t cgroup -o cpu none PATH`. If that hierarchy is already mounted elsewhere with the same subsystems, the kernel reuses it; a different combination fails with EBUSY.",
                    parameters: [Parameter("subsystem", HostValues.cgroupSubsystems), Parameter("path", HostValues.absolutePath)],
                    example: "mount cgroup cpu /tmp/warden/cgroup/cpu") { call in
            let subsystems = try call.text(0).split(separator: ",").map(String.init)
            try call.perform(.mounts(.mount(MountRequest(source: "none", target: try path(call, 1), fileSystemType: "cgroup", options: subsystems))))
            return .empty
        },
        BuiltinSpec("mount cgroup2", summary: "Mount the cgroup v2 (unified) hierarchy on PATH, source `none`.",
                    parameters: [Parameter("path", HostValues.absolutePath)],
                    options: [OptionSpec("--options", HostValues.mountOptions, aliases: ["-o"], summary: "mount options, such as nsdelegate")],
                    example: "mount cgroup2 /sys/fs/cgroup") { call in
            try call.perform(.mounts(.mount(MountRequest(source: "none", target: try path(call, 0), fileSystemType: "cgroup2",
                                                 options: try options(call)))))
            return .empty
        },
        BuiltinSpec("mount remount", summary: "Change the options of the file system mounted on PATH (MS_REMOUNT), such as the quota options Warden's setup.sh sets on the container depot.",
                    parameters: [Parameter("path", HostValues.absolutePath)],
                    options: [OptionSpec("--options", HostValues.mountOptions, aliases: ["-o"], summary: "the new mount options")],
                    example: "mount remount $depot --options usrjquota=aquota.user,grpjquota=aquota.group,jqfmt=vfsv0") { call in
            try call.perform(.mounts(.mount(MountRequest(source: "", target: try path(call, 0), fileSystemType: nil,
                                                 options: try options(call), remount: true))))
            return .empty
        },
        BuiltinSpec("mount bind", summary: "Make SOURCE visible at PATH too (a bind mount); with --read-only, read-only there.",
                    parameters: [Parameter("source", .path), Parameter("path", HostValues.absolutePath)],
                    options: [OptionSpec("--read-only", summary: "the bind mount is read-only")],
                    example: "mount bind /var/vcap/packages $rootfs/packages --read-only") { call in
            try call.perform(.mounts(.mount(MountRequest(source: try path(call, 0), target: try path(call, 1), fileSystemType: nil,
                                                 options: call.has("--read-only") ? ["ro"] : [], bind: true))))
            return .empty
        },
    ])

    static let specs: [BuiltinSpec] = [
        BuiltinSpec("unmount", summary: "Unmount the file system mounted on PATH (umount2(2)). With --recursive, PATH and every mount below it; with --prefix, every mount point that starts with PATH as text (`/var/lib/x/mnt-` matches mnt-1 and mnt-2); both unmount the deepest first (`umount -R`), and none is no error.",
                    parameters: [Parameter("path", HostValues.absolutePath)],
                    options: [OptionSpec("--recursive", summary: "PATH and every mount below it, deepest first"),
                              OptionSpec("--prefix", summary: "every mount point whose path starts with PATH, deepest first")],
                    example: "unmount --recursive $rootfs") { call in
            guard call.has("--recursive") || call.has("--prefix") else {
                try call.perform(.mounts(.unmount(path: try path(call, 0))))
                return .empty
            }
            if call.has("--recursive"), let prefix = call.options["--prefix"]?.first {
                throw Diagnostic("give --recursive or --prefix, not both", at: prefix.range)
            }
            let table = try MountInfo.table(call)
            let found = call.has("--recursive") ? MountInfo.under(try path(call, 0), in: table) : MountInfo.withPrefix(try call.text(0), in: table)
            for mount in MountInfo.deepestFirst(found) { try call.perform(.mounts(.unmount(path: mount.mountpoint))) }
            return .empty
        },
        BuiltinSpec("is-mounted", summary: "Whether something is mounted on PATH (from /proc/self/mountinfo); with --type, a file system of that type (for stacked mounts, the top one). PATH is resolved first (`..`, symbolic links), as the table names mount points, as every mount builtin resolves its paths.",
                    parameters: [Parameter("path", HostValues.absolutePath)],
                    options: [OptionSpec("--type", .custom("TYPE", fileSystemTypeProblem), aliases: ["-t"], summary: "tmpfs, cgroup, cgroup2, …")],
                    example: "if ! is-mounted /tmp/warden/cgroup --type tmpfs { … }") { call in
            guard let mount = MountInfo.top(at: try path(call, 0), in: try MountInfo.table(call)) else { return .boolean(false) }
            if let type = try call.option("--type") { return .boolean(mount.type == type) }
            return .boolean(true)
        },
        BuiltinSpec("mounts", summary: "The mount table, from /proc/self/mountinfo: a list of records {mountpoint, type, source, options, superoptions}, in mount order. --under keeps PATH and what is below it; --prefix the mount points that start with a text; --type keeps one file system type.",
                    options: [OptionSpec("--under", HostValues.absolutePath, summary: "only mounts at or below PATH"),
                              OptionSpec("--prefix", .text, summary: "only mount points that start with TEXT, as text"),
                              OptionSpec("--type", .custom("TYPE", fileSystemTypeProblem), aliases: ["-t"], summary: "only this file system type")],
                    example: "for m in $(mounts --under /tmp/warden) { echo \"${m.mountpoint} ${m.type}\" }") { call in
            var table = try MountInfo.table(call)
            if let under = try call.option("--under").map({ try MountInfo.canonical($0, call) }) { table = MountInfo.under(under, in: table) }
            if let prefix = try call.option("--prefix") { table = MountInfo.withPrefix(prefix, in: table) }
            if let type = try call.option("--type") { table = table.filter { $0.type == type } }
            return .list(table.map { .record($0.record) })
        },
    ]

    /// Argument `index`, a path, as the mount table names it (MountInfo.canonical).
    static func path(_ call: Invocation, _ index: Int) throws -> String {
        try MountInfo.canonical(try call.text(index), call)
    }

    static func options(_ call: Invocation) throws -> [String] {
        guard let text = try call.option("--options") else { return [] }
        return text.split(separator: ",").map(String.init)
    }

    @Sendable static func fileSystemTypeProblem(_ text: String) -> String? {
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "." || $0 == "-") }) else {
            return "'\(text)' is not a file system type like tmpfs or cgroup"
        }
        return nil
    }
}
