/// Everything a script can do to, or learn from, the host. Builtins never touch
/// the system themselves: they describe an effect and hand it to the `Host`,
/// and the backend decides whether it is printed (trace) or performed (system).
public enum Effect: Sendable, Equatable {
    // Probes: read-only questions about the host.
    case readFile(path: String)
    case fileInfo(path: String)
    case listDirectory(path: String)
    case readSysctl(key: String)
    case mountTable
    /// The route the kernel would use for `destination` (nil: the default route).
    case route(destination: String?, family: AddressFamily)
    case iptablesSave(family: AddressFamily, table: String)
    /// One chain's rules (`iptables -w -t TABLE -S CHAIN`): answered with
    /// `.process`, status 1 when the chain does not exist.
    case iptablesList(family: AddressFamily, table: String, chain: String)
    /// A program the script declared read-only (`run --probe`): trace runs it too.
    case probeProgram(argv: [String])
    /// `realpath -m PATH`: `.`, `..` and the links a write may follow resolved, as
    /// /proc/self/mountinfo names mount points (answered with `.text`).
    case canonicalPath(path: String)

    // Mutations.
    /// Text a script prints; `newline` adds the line end (as `echo` does).
    case print(text: String, toStandardError: Bool, newline: Bool)
    case writeFile(path: String, contents: String, append: Bool)
    case makeDirectory(path: String, parents: Bool)
    case removeDirectory(path: String)
    case removeFile(path: String)
    case writeSysctl(key: String, value: String)
    case mount(MountRequest)
    case unmount(path: String)
    case runProgram(argv: [String], captureOutput: Bool)
    /// Another wds script, run by this same wds in its own process (in the same mode).
    case runScript(path: String, arguments: [String])
    /// An flock on `path` held through descriptor `slot`; no timeout waits as long as it takes.
    case lock(path: String, timeoutSeconds: Int?, slot: Int)
    case unlock(path: String, slot: Int)
    case iptables(family: AddressFamily, table: String, arguments: [String])
    /// One family's transaction, committed with `iptables-restore --noflush`.
    /// The system answers `.process` (the engine maps a `line N failed` back
    /// to the statement); a backend that reaches no kernel (trace) answers `.done`.
    case iptablesRestore(family: AddressFamily, payload: String)
    /// A change the run's iptables transaction recorded, to be committed later:
    /// printed by the trace as the `iptables -w` command it stands for, performed by no one.
    case iptablesStaged(family: AddressFamily, table: String, arguments: [String])
    /// The flock every wds run holds from its first read of the ruleset to its commit.
    case iptablesLock(path: String, timeoutSeconds: Int)
    case iptablesUnlock(path: String)
    case setResourceLimit(resource: ResourceLimit, soft: UInt64, hard: UInt64)
    /// An effect of a family that plugs in from its own folder (see `FamilyEffect`).
    case family(AnyFamilyEffect)

    public var isMutation: Bool {
        switch self {
        case .readFile, .fileInfo, .listDirectory, .readSysctl, .mountTable, .route, .iptablesSave, .iptablesList, .probeProgram,
             .canonicalPath:
            return false
        case .print, .writeFile, .makeDirectory, .removeDirectory, .removeFile, .writeSysctl, .mount, .unmount,
             .runProgram, .runScript, .lock, .unlock, .iptables, .iptablesRestore, .iptablesStaged,
             .iptablesLock, .iptablesUnlock, .setResourceLimit:
            return true
        case .family(let effect):
            return effect.effect.isMutation
        }
    }

    /// Whether open batches must be committed before this effect, to keep the
    /// script's order: every change, but printing. A batch of the effect's own
    /// family (`batchFamily`) stays open: the effect belongs to it.
    public var commitsOpenBatches: Bool {
        if case .print = self { return false }
        return isMutation
    }

    /// The family whose batch this effect belongs to, if it batches.
    public var batchFamily: String? {
        switch self {
        case .iptables, .iptablesRestore, .iptablesStaged, .iptablesLock, .iptablesUnlock, .iptablesSave, .iptablesList:
            return "iptables"
        case .family(let effect):
            return effect.effect.family
        case .readFile, .fileInfo, .listDirectory, .readSysctl, .mountTable, .route, .probeProgram, .canonicalPath,
             .print, .writeFile, .makeDirectory, .removeDirectory, .removeFile, .writeSysctl, .mount, .unmount,
             .runProgram, .runScript, .lock, .unlock, .setResourceLimit:
            return nil
        }
    }

    /// A short name for the kind of effect (JSON traces, plans).
    public var kind: String {
        switch self {
        case .readFile: return "read-file"
        case .fileInfo: return "file-info"
        case .listDirectory: return "list-directory"
        case .readSysctl: return "read-sysctl"
        case .mountTable: return "mount-table"
        case .route: return "route"
        case .iptablesSave: return "iptables-save"
        case .iptablesList: return "iptables-list"
        case .probeProgram: return "probe-program"
        case .canonicalPath: return "canonical-path"
        case .print: return "print"
        case .writeFile: return "write-file"
        case .makeDirectory: return "mkdir"
        case .removeDirectory: return "rmdir"
        case .removeFile: return "remove-file"
        case .writeSysctl: return "sysctl"
        case .mount: return "mount"
        case .unmount: return "unmount"
        case .runProgram: return "run"
        case .runScript: return "run-script"
        case .lock: return "lock"
        case .unlock: return "unlock"
        case .iptables: return "iptables"
        case .iptablesRestore: return "iptables-restore"
        case .iptablesStaged: return "iptables-staged"
        case .iptablesLock: return "iptables-lock"
        case .iptablesUnlock: return "iptables-unlock"
        case .setResourceLimit: return "rlimit"
        case .family(let effect): return effect.effect.kind
        }
    }

    /// The equivalent command, as an argument vector a shell could replay.
    public var argv: [String] {
        switch self {
        case .readFile(let path): return ["cat", path]
        case .fileInfo(let path): return ["stat", path]
        case .listDirectory(let path): return ["ls", "-A", path]
        case .readSysctl(let key): return ["sysctl", "-n", key]
        case .mountTable: return ["cat", "/proc/self/mountinfo"]
        case .route(let destination, let family):
            let ip = family == .ipv6 ? ["ip", "-6", "-j", "route"] : ["ip", "-j", "route"]
            if let destination { return ip + ["get", destination] }
            return ip + ["show", "default"]
        case .iptablesSave(let family, let table): return [family.saveCommand, "-t", table]
        case .probeProgram(let argv): return argv
        case .canonicalPath(let path): return ["realpath", "-m", "--", path]
        case .print(let text, let toStandardError, let newline):
            let format = newline ? "%s\\n" : "%s"
            return toStandardError ? ["sh", "-c", "printf '\(format)' \"$1\" >&2", "sh", text] : ["printf", format, text]
        case .writeFile(let path, let contents, let append):
            return ["sh", "-c", "printf '%s' \"$1\" \(append ? ">>" : ">") \"$2\"", "sh", contents, path]
        // `--`: a path that begins with '-' is a path, not an option.
        case .makeDirectory(let path, let parents): return parents ? ["mkdir", "-p", "--", path] : ["mkdir", "--", path]
        case .removeDirectory(let path): return ["rmdir", "--", path]
        case .removeFile(let path): return ["rm", "-f", "--", path]
        case .writeSysctl(let key, let value):
            return ["sh", "-c", "printf '%s\\n' \"$1\" > \"$2\"", "sh", value, sysctlPath(key)]
        case .mount(let request): return request.argv
        case .unmount(let path): return ["umount", "--", path]
        case .runProgram(let argv, _): return argv
        case .runScript(let path, let arguments): return ["wds", "run", path] + arguments
        case .lock(let path, let timeout, let slot):
            return ["exec", "\(slot)>>\(path)", "&&", "flock"] + (timeout.map { ["-w", String($0)] } ?? []) + [String(slot)]
        case .unlock(_, let slot): return ["exec", "\(slot)>&-"]
        case .iptables(let family, let table, let arguments):
            return [family.iptablesCommand, "-w", "-t", table] + arguments
        case .iptablesRestore(let family, _): return [family.restoreCommand, "--noflush"]
        case .iptablesList(let family, let table, let chain): return [family.iptablesCommand, "-w", "-t", table, "-S", chain]
        case .iptablesStaged(let family, let table, let arguments):
            return [family.iptablesCommand, "-w", "-t", table] + arguments
        case .iptablesLock(let path, let timeout): return ["flock", "-w", String(timeout), path]
        case .iptablesUnlock(let path): return ["flock", "-u", path]
        case .setResourceLimit(let resource, let soft, let hard):
            return ReplayLine.resourceLimit(resource, soft: soft, hard: hard)
        case .family(let effect): return effect.effect.argv
        }
    }

    /// The line the trace prints. Most effects are their argv, quoted; a few
    /// need shell syntax (a lock on a descriptor, a restore fed on stdin).
    public var shellCommand: String {
        switch self {
        case .lock(let path, let timeout, let slot):
            return "exec \(slot)>>\(shellQuote(path)) && flock \(timeout.map { "-w \($0) " } ?? "")\(slot)"
        case .unlock(_, let slot):
            return "exec \(slot)>&-"
        case .iptablesRestore(let family, let payload):
            return "\(family.restoreCommand) --noflush <<'WDS_RESTORE'\n\(payload)WDS_RESTORE"
        case .writeFile(let path, let contents, let append):
            return "\(ReplayLine.printf(contents, newline: false)) \(append ? ">>" : ">") \(shellQuote(path))"
        case .print(let text, let toStandardError, let newline):
            return ReplayLine.printf(text, newline: newline) + (toStandardError ? " >&2" : "")
        case .writeSysctl(let key, let value):
            return "\(ReplayLine.printf(value, newline: true)) > \(shellQuote(sysctlPath(key)))"
        case .runProgram(let argv, let captureOutput):
            return ReplayLine.program(argv, capturedOutput: captureOutput)
        case .setResourceLimit:
            // `$$` unquoted: the replaying shell's own limits, as the run set wds's.
            return argv.map { $0 == "$$" ? $0 : shellQuote($0) }.joined(separator: " ")
        case .family(let effect):
            return effect.effect.shellCommand
        default:
            return shellLine(argv)
        }
    }
}

/// `/proc/sys/KEY` with the dots as slashes, but for the name of a link in a
/// per-link key, which keeps its dots: in `net.ipv6.conf.lxc.br0.autoconf`
/// the link is everything between `net.ipv6.conf.` and the last part, so the
/// file is /proc/sys/net/ipv6/conf/lxc.br0/autoconf (the directories under
/// conf/ and neigh/ hold files only).
public func sysctlPath(_ key: String) -> String {
    let parts = key.split(separator: ".", omittingEmptySubsequences: false)
    if parts.count > 5, parts[0] == "net", ["ipv4", "ipv6", "mpls"].contains(parts[1]), parts[2] == "conf" || parts[2] == "neigh" {
        return "/proc/sys/net/\(parts[1])/\(parts[2])/\(parts[3..<(parts.count - 1)].joined(separator: "."))/\(parts[parts.count - 1])"
    }
    return "/proc/sys/" + key.replacingAll(".", with: "/")
}

public enum AddressFamily: String, Sendable, Equatable {
    case ipv4, ipv6
    public var iptablesCommand: String { self == .ipv4 ? "iptables" : "ip6tables" }
    public var saveCommand: String { self == .ipv4 ? "iptables-save" : "ip6tables-save" }
    public var restoreCommand: String { self == .ipv4 ? "iptables-restore" : "ip6tables-restore" }
}

public enum ResourceLimit: String, Sendable, Equatable, CaseIterable {
    case nofile, nproc, core, memlock, stack, fsize, cpu, `as`
    public var prlimitName: String { self == .as ? "as" : rawValue }
}

/// A mount(2) call: what `mount -t TYPE -o OPTIONS SOURCE TARGET` asks for.
public struct MountRequest: Sendable, Equatable {
    public var source: String
    public var target: String
    public var fileSystemType: String?
    public var options: [String]
    public var bind: Bool
    public var remount: Bool

    public init(source: String, target: String, fileSystemType: String?, options: [String] = [],
                bind: Bool = false, remount: Bool = false) {
        self.source = source
        self.target = target
        self.fileSystemType = fileSystemType
        self.options = options
        self.bind = bind
        self.remount = remount
    }

    public var argv: [String] {
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

/// What a backend answers.
public enum EffectResult: Sendable, Equatable {
    case done
    case text(String)
    case fileInfo(FileInfo?)
    case names([String])
    case process(status: Int32, standardOutput: String, standardError: String)
    case route(Route?)
}

public struct FileInfo: Sendable, Equatable {
    public enum Kind: String, Sendable { case file, directory, symlink, other }
    public var kind: Kind
    public var isExecutable: Bool
    public var size: Int
    public init(kind: Kind, isExecutable: Bool, size: Int) {
        self.kind = kind
        self.isExecutable = isExecutable
        self.size = size
    }
}

public struct Route: Sendable, Equatable {
    public var device: String
    public var gateway: String?
    public var source: String?
    public init(device: String, gateway: String?, source: String?) {
        self.device = device
        self.gateway = gateway
        self.source = source
    }
}
