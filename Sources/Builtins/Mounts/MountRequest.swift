import Interpreter

/// A mount(2) call: what `mount -t TYPE -o OPTIONS SOURCE TARGET` asks for.
struct MountRequest: Sendable, Equatable {
    var source: String
    var target: String
    var fileSystemType: String?
    var options: [String]
    var bind: Bool
    var remount: Bool

    init(source: String, target: String, fileSystemType: String?, options: [String] = [],
                bind: Bool = false, remount: Bool = false) {
        self.source = source
        self.target = target
        self.fileSystemType = fileSystemType
        self.options = options
        self.bind = bind
        self.remount = remount
    }

    var argv: [String] {
        var argv = ["mount"]
        if bind { argv.append("--bind") }
        if let fileSystemType { argv += ["-t", fileSystemType] }
        var options = self.options
        // mount(8) merges a remount's options with those in fstab and the mount table (keeping a
        // nosuid the run's mount(2) clears) unless told not to.
        if remount { options.insert("remount", at: 0); argv.append("--options-source=disable") }
        if !options.isEmpty { argv += ["-o", options.joined(separator: ",")] }
        // A remount names only the mount point; `--` keeps a source such as `-x` a path.
        argv += source.isEmpty ? ["--", target] : ["--", source, target]
        return argv
    }
}
