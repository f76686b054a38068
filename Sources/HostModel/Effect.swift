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
    /// A program the script declared read-only (`run --probe`): trace runs it too.
    case probeProgram(argv: [String], streams: ProgramStreams = .inherit)
    /// `realpath -m PATH`: `.`, `..` and the links a write may follow resolved, as
    /// /proc/self/mountinfo names mount points (answered with `.text`).
    case canonicalPath(path: String)
    /// Every process: pid, parent, name, arguments and cgroup, read from /proc.
    /// Answered with `.text`: a JSON array of `ProcessInfo` objects.
    case processTable

    // Mutations.
    /// Text a script prints; `newline` adds the line end (as `echo` does).
    case print(text: String, toStandardError: Bool, newline: Bool)
    /// An effect of a family that plugs in from its own folder (see `FamilyEffect`): every change
    /// but printing, and a family's own probes (iptables': Builtins/Iptables/; a `lock` block's:
    /// Builtins/Host/LockBlock.swift, made through `Effect.lock`).
    case family(AnyFamilyEffect)

    public var isMutation: Bool {
        switch self {
        case .readFile, .fileInfo, .listDirectory, .readSysctl, .mountTable, .route, .probeProgram, .canonicalPath, .processTable:
            return false
        case .print:
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

    /// Whether a caught failure takes it back with the statement that failed (see
    /// `FamilyEffect.isTakenBackOnFailure`): output never is.
    public var isTakenBackOnFailure: Bool {
        switch self {
        case .family(let wrapped):
            return wrapped.effect.isTakenBackOnFailure
        case .readFile, .fileInfo, .listDirectory, .readSysctl, .mountTable, .route, .probeProgram, .canonicalPath, .processTable,
             .print:
            return false
        }
    }

    /// Whether a real run cannot undo it exactly: what the run did before it
    /// stays if the run fails later (see `Journal`). The trace marks it.
    public var isPointOfNoReturn: Bool {
        switch self {
        case .family(let wrapped):
            return wrapped.effect.isPointOfNoReturn
        case .readFile, .fileInfo, .listDirectory, .readSysctl, .mountTable, .route, .probeProgram, .canonicalPath, .processTable,
             .print:
            return false
        }
    }

    /// A family's transaction lock (`FamilyEffect.isTransactionLock`): taken before any read and
    /// released after the commit, on every host alike; it commits no batch and depends on no probe.
    public var isTransactionLock: Bool {
        if case .family(let wrapped) = self { return wrapped.effect.isTransactionLock }
        return false
    }

    /// The family whose batch this effect belongs to, if it batches.
    public var batchFamily: String? {
        switch self {
        case .family(let effect):
            return effect.effect.family
        case .readFile, .fileInfo, .listDirectory, .readSysctl, .mountTable, .route, .probeProgram, .canonicalPath,
             .processTable, .print:
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
        case .probeProgram: return "probe-program"
        case .canonicalPath: return "canonical-path"
        case .processTable: return "process-table"
        case .print: return "print"
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
        case .probeProgram(let argv, _): return argv
        case .canonicalPath(let path): return ["realpath", "-m", "--", path]
        case .print(let text, let toStandardError, let newline):
            let format = newline ? "%s\\n" : "%s"
            return toStandardError ? ["sh", "-c", "printf '\(format)' \"$1\" >&2", "sh", text] : ["printf", format, text]
        case .processTable: return ["ps", "-e", "-o", "pid=,ppid=,cgroup=,args="]
        case .family(let effect): return effect.effect.argv
        }
    }

    /// The line the trace prints. Most effects are their argv, quoted; a few
    /// need shell syntax (a lock on a descriptor, a restore fed on stdin).
    public var shellCommand: String {
        switch self {
        case .print(let text, let toStandardError, let newline):
            return ReplayLine.printf(text, newline: newline) + (toStandardError ? " >&2" : "")
        case .probeProgram(let argv, let streams) where streams != .inherit:
            return ReplayLine.program(argv, capturedOutput: false, streams: streams)
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

/// What a program started with `run` reads on standard input, and where its
/// standard output and standard error go: to wds's own (inherit), into the
/// run (capture), or nowhere (discard, /dev/null).
public struct ProgramStreams: Sendable, Equatable {
    public enum Destination: String, Sendable { case inherit, capture, discard }
    /// Text fed on standard input; nil: wds's own standard input.
    public var input: String?
    public var output: Destination
    public var error: Destination

    public static let inherit = ProgramStreams(input: nil, output: .inherit, error: .inherit)

    public init(input: String?, output: Destination, error: Destination) {
        self.input = input
        self.output = output
        self.error = error
    }
}

/// Which iptables programs a run uses: `iptables` (whatever backend the
/// host's alternatives choose), `iptables-legacy` or `iptables-nft`, from
/// PATH or from a folder, as scripts choose with `GARDEN_IPTABLES_BIN`.
/// The save, restore and ip6tables programs are named after it
/// (`iptables-legacy-save`, `ip6tables-legacy-restore`).
public struct IptablesTool: Sendable, Equatable {
    /// The folder, with its trailing slash; empty for PATH.
    public var directory: String
    /// `""`, `-legacy` or `-nft`.
    public var variant: String

    public static let standard = IptablesTool(directory: "", variant: "")
    public static let variants = ["", "-legacy", "-nft"]

    public init(directory: String, variant: String) {
        self.directory = directory
        self.variant = variant
    }

    /// `legacy`, `nft`, or an iptables program (`iptables-legacy`, `/sbin/iptables`, `ip6tables-nft`); nil for anything else.
    public init?(program: String) {
        if program == "legacy" || program == "nft" { self.init(directory: "", variant: "-" + program); return }
        let slash = program.lastIndex(of: "/")
        let name = slash.map { String(program[program.index(after: $0)...]) } ?? program
        let directory = slash.map { String(program[...$0]) } ?? ""
        for base in ["iptables", "ip6tables"] {
            if name.hasPrefix(base), IptablesTool.variants.contains(String(name.dropFirst(base.count))) {
                self.init(directory: directory, variant: String(name.dropFirst(base.count)))
                return
            }
        }
        return nil
    }

    public func command(_ family: AddressFamily) -> String { directory + (family == .ipv4 ? "iptables" : "ip6tables") + variant }
    public func saveCommand(_ family: AddressFamily) -> String { command(family) + "-save" }
    public func restoreCommand(_ family: AddressFamily) -> String { command(family) + "-restore" }
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
    /// The permission bits and owner, where the host told them (the system host does).
    public var mode: UInt32?
    public var owner: UInt32?
    public var group: UInt32?
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
