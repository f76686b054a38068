#if canImport(Glibc)
import Glibc
#endif
import Backends
import Builtins
import HostSystem
import Interpreter
import Lexer

/// `wds run --sandbox`: the script runs for real, inside a container of its
/// own, and the report shows what it changed there. The container is a user
/// namespace whose root is an unprivileged user outside (uid `sandboxUser`
/// when wds runs as root, the caller otherwise), with its own PID, UTS, IPC,
/// mount, network and cgroup namespaces: outer processes are invisible (a
/// /proc of its own), every mount is read-only and locked (the sandbox cannot
/// remount or unmount it), /tmp and /run are overlays whose writes stay in a
/// scratch tmpfs, the network is a stand-in for the host's uplink (its name,
/// address and gateway, so route lookups answer as on the host), and scratch
/// cgroups can be made only below a cgroup delegated to the sandbox, which is
/// removed afterwards. The kernel holds programs to all of this as it holds
/// wds's builtins. Three processes make it: this one (keeps its privileges,
/// makes and removes the cgroup), the fence (`sandbox-inner --stage fence`:
/// mount and PID namespaces, lays out the file system) and the inside
/// (`--stage run`: the user namespace; builds the network, runs, reports).
public enum Sandbox {
    /// The host's uplink, copied into the sandbox.
    public struct Uplink: Equatable {
        public var name: String
        public var address: String   // with prefix length, 10.0.2.15/24
        public var gateway: String?

        public var argument: String { [name, address, gateway ?? ""].joined(separator: ",") }

        public init?(argument: String) {
            let parts = argument.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
            name = parts[0]
            address = parts[1]
            gateway = parts[2].isEmpty ? nil : parts[2]
        }

        init(name: String, address: String, gateway: String?) {
            self.name = name
            self.address = address
            self.gateway = gateway
        }
    }

    /// The host's default-route interface, its address and gateway; nil without a default route.
    public static func hostUplink() -> Uplink? {
        guard let route = try? Spawn.run(["ip", "-j", "route", "show", "default"], capture: true),
              let json = try? JSON.parse(route.standardOutput), let first = json.arrayValue?.first,
              let device = first["dev"]?.stringValue,
              let addresses = try? Spawn.run(["ip", "-j", "-4", "addr", "show", "dev", device], capture: true),
              let info = try? JSON.parse(addresses.standardOutput),
              let address = info.arrayValue?.first?["addr_info"]?.arrayValue?.first,
              let local = address["local"]?.stringValue, case .number(let length)? = address["prefixlen"] else {
            return nil
        }
        return Uplink(name: device, address: "\(local)/\(Int(length))", gateway: first["gateway"]?.stringValue)
    }

    /// The uid outside that is root inside, when wds runs as root: a user that owns nothing on the host.
    public static let sandboxUser: uid_t = 2_000_000_000

    /// Where the sandbox's own wds notes what it did not simulate (inside, excluded from the report's files).
    static let journal = "/run/.wds-sandbox-journal"

    /// Where the stages meet: what the fence passes on to the inside.
    public struct Settings {
        public var uplink: Uplink?
        /// The cgroup v2 mount point, remounted inside rooted at the sandbox's delegated group.
        public var cgroupMount: String?
        /// The delegated group, on the host, that the fence joins.
        public var cgroup: String?
        /// Why there is no delegated group, for the report.
        public var noCgroupReason: String?
        public init() {}

        var arguments: [String] {
            var result: [String] = []
            if let uplink { result += ["--uplink", uplink.argument] }
            if let cgroupMount, let cgroup { result += ["--cgroup-mount", cgroupMount, "--cgroup", cgroup] }
            if let noCgroupReason { result += ["--no-cgroup", noCgroupReason] }
            return result
        }
    }

    /// Starts the fence in new mount and PID namespaces; returns the script's exit status once the
    /// sandbox is gone and its cgroup removed.
    public static func run(path: String, arguments: [String], output: @escaping Driver.Output) -> Int32 {
        var settings = Settings()
        settings.uplink = hostUplink()
        var cgroup: SandboxCgroup?
        if getuid() == 0 {
            let (made, reason) = SandboxCgroup.create(owner: sandboxUser)
            cgroup = made
            settings.cgroupMount = made?.mountPoint
            settings.cgroup = made?.path
            settings.noCgroupReason = reason
        } else {
            settings.noCgroupReason = "wds does not run as root, so it cannot delegate a cgroup"
        }
        var unshare = ["unshare", "--mount", "--pid", "--fork", "--kill-child", "--mount-proc", "--propagation", "private"]
        // Without root, a first user namespace gives the fence its privileges over these namespaces.
        if getuid() != 0 { unshare += ["--user", "--map-root-user"] }
        let fence = [Spawn.currentExecutable, "sandbox-inner", "--stage", "fence"] + settings.arguments + ["--", path] + arguments
        let status: Int32
        do {
            status = try Spawn.run(unshare + fence, capture: false, captureError: false).status
        } catch {
            output(Diagnostic("cannot create the sandbox's namespaces (unshare): \(error)", at: nil,
                              hint: "the sandbox needs root, or unprivileged user namespaces").render(), true)
            status = ExitStatus.failure
        }
        for leftover in cgroup?.remove() ?? [] {
            output("wds: sandbox: could not remove the cgroup \(leftover)\n", true)
        }
        return status
    }

    /// The fence: joins the cgroup, fences the file system, then becomes the inside, as the
    /// sandbox's user, in a new user namespace with its UTS, IPC, network, cgroup and mount namespaces.
    public static func runFence(path: String, arguments: [String], settings: Settings, output: @escaping Driver.Output) -> Int32 {
        // As real root, the sandbox's root is a user that owns nothing; started without root, the caller.
        let owner: uid_t = isInUserNamespace ? 0 : sandboxUser
        do {
            if let cgroup = settings.cgroup { try SandboxFence.join(cgroup: cgroup) }
            try SandboxFence.fence(owner: owner, cgroupMount: settings.cgroupMount)
        } catch {
            output("wds: sandbox: \(error)\n", true)
            return ExitStatus.failure
        }
        var argv: [String] = []
        if owner != 0 {
            argv += ["setpriv", "--reuid=\(owner)", "--regid=\(owner)", "--clear-groups", "--no-new-privs", "--"]
        }
        argv += ["unshare", "--user", "--map-root-user", "--uts", "--ipc", "--net", "--cgroup", "--mount", "--propagation", "private", "--"]
        argv += [SandboxFence.executable, "sandbox-inner", "--stage", "run"] + settings.arguments + ["--", path] + arguments
        var cArguments: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        execvp(argv[0], &cArguments)
        output("wds: sandbox: cannot start \(argv[0]): \(String(cString: strerror(errno)))\n", true)
        return ExitStatus.missingProgram
    }

    /// Whether this process is already in a user namespace other than the first (a fence started without root).
    static var isInUserNamespace: Bool {
        guard let bytes = FileBytes.read("/proc/self/uid_map") else { return false }
        return !String(decoding: bytes, as: UTF8.self).split(separator: "\n").contains {
            $0.split(separator: " ").map(String.init) == ["0", "0", "4294967295"]
        }
    }

    /// Inside: build the stand-in network and the cgroup tree, run the script, report, clean up.
    public static func runInside(path: String, arguments: [String], settings: Settings, environment: [String: String],
                                 output: @escaping Driver.Output) -> Int32 {
        let (script, diagnostics) = Driver.load(path: path)
        guard let script, diagnostics.isEmpty else {
            for diagnostic in diagnostics { output(diagnostic.render(), true) }
            if diagnostics.contains(where: { $0.message.hasPrefix("cannot read") }) {
                output("hint: the sandbox reads the script as an unprivileged user: it and the folders above it must be readable by others\n", true)
            }
            return ExitStatus.usage
        }
        do {
            try buildNetwork(settings.uplink)
            if let mountPoint = settings.cgroupMount {
                // The cgroup namespace is rooted at the delegated group: this mount shows only it.
                try SandboxFence.check(mount("none", mountPoint, "cgroup2", UInt(MS_NOSUID | MS_NODEV | MS_NOEXEC), nil),
                                       "mount cgroup2 on \(mountPoint)")
            }
        } catch {
            output("wds: sandbox: \(error)\n", true)
            return ExitStatus.failure
        }
        let before = snapshot(cgroupMount: settings.cgroupMount)
        // Families that show their own state (network links, nftables…): before, and after below.
        func familySnapshots() -> [(name: String, snapshot: FamilySnapshot)] {
            Builtins.standard.families.compactMap { family in family.snapshot?().map { (family.name, $0) } }
        }
        let familiesBefore = familySnapshots()
        // A script started with run-script is a child wds: it notes what it cannot simulate the same way.
        setenv("WDS_SANDBOX", "1", 1)
        setenv("WDS_SANDBOX_JOURNAL", journal, 1)
        // As `wds run` does: journaled (a failed run is undone in here too), every family's batch under its lock.
        let undo = Journal(enabled: true)
        let host = JournalingHost(SandboxHost(SystemHost(output: output), journal: journal), journal: undo)
        let context = RunContext(host: host, environment: environment.merging(["WDS_SANDBOX": "1", "WDS_SANDBOX_JOURNAL": journal]) { $1 },
                                 arguments: arguments, journal: undo)
        Builtins.standard.installFamilies(in: context, batch: true)
        let interpreter = Interpreter(registry: Builtins.standard, context: context, scriptPath: path)
        let status = Driver.execute(script, with: interpreter, output: output)
        let after = snapshot(cgroupMount: settings.cgroupMount)
        var familyChanges = ""
        for (name, snapshot) in familySnapshots() {
            let old = familiesBefore.first { $0.name == name }?.snapshot.areas ?? []
            if !snapshot.text.isEmpty { familyChanges += "== \(snapshot.title)\n" + snapshot.text }
            familyChanges += "== \(name) changes\n"
            var any = false
            for (area, lines) in snapshot.areas {
                let was = old.first { $0.area == area }?.lines ?? []
                let tag = area.isEmpty ? "" : "[\(area)] "
                for line in was where !lines.contains(line) { familyChanges += "- \(tag)\(Diagnostic.escaped(line))\n"; any = true }
                for line in lines where !was.contains(line) { familyChanges += "+ \(tag)\(Diagnostic.escaped(line))\n"; any = true }
            }
            for (area, lines) in old where !snapshot.areas.contains(where: { $0.area == area }) {
                for line in lines { familyChanges += "- \(area.isEmpty ? "" : "[\(area)] ")\(Diagnostic.escaped(line))\n"; any = true }
            }
            if !any { familyChanges += "  (none)\n" }
        }
        // The script's cgroups, deepest first (the outer wds removes them in any case, with the sandbox's own).
        var leftovers: [String] = []
        if let mountPoint = settings.cgroupMount {
            leftovers = SandboxCgroup.directories(below: mountPoint).reversed().filter { rmdir($0) != 0 && errno != ENOENT }
        }
        output(report(path: path, arguments: arguments, status: status, settings: settings, before: before, after: after,
                      families: familyChanges, leftovers: leftovers), false)
        return status
    }

    struct SandboxError: Error, CustomStringConvertible {
        var description: String
    }

    static func ip(_ arguments: [String]) throws {
        let outcome = try Spawn.run(["ip"] + arguments, capture: true)
        guard outcome.status == 0 else {
            throw SandboxError(description: "ip \(arguments.joined(separator: " ")): \(outcome.standardError)")
        }
    }

    static func buildNetwork(_ uplink: Uplink?) throws {
        try ip(["link", "set", "lo", "up"])
        guard let uplink else { return }
        // One end of a veth pair (not every kernel has the dummy driver), both ends up so the route has carrier.
        try ip(["link", "add", uplink.name, "type", "veth", "peer", "name", "wds-sandbox0"])
        try ip(["link", "set", "wds-sandbox0", "up"])
        try ip(["addr", "add", uplink.address, "dev", uplink.name])
        try ip(["link", "set", uplink.name, "up"])
        if let gateway = uplink.gateway {
            try ip(["route", "add", "default", "via", gateway, "dev", uplink.name])
        } else {
            try ip(["route", "add", "default", "dev", uplink.name])
        }
    }

    /// The journal's entries: sysctls the script set, and effects not simulated, as JSON objects.
    static func journalEntries() -> [JSON] {
        guard let bytes = FileBytes.read(journal) else { return [] }
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n").compactMap { try? JSON.parse(String($0)) }
    }

    /// What the script or its programs named (a file, a mount, a value), as the report shows it: a
    /// newline, an escape or a carriage return written as one (`\n`), so an untrusted script
    /// cannot add a line of its own to the report or act on the reviewer's terminal.
    static func reported(_ text: String) -> String { Diagnostic.escaped(text) }

    /// `families`: what each host family shows of its state and changes (iptables, links, nftables), first.
    static func report(path: String, arguments: [String], status: Int32, settings: Settings, before: Snapshot, after: Snapshot,
                       families: String, leftovers: [String]) -> String {
        var out = "== sandbox: \(shellLine([path] + arguments)) exited with status \(status)\n"
        if let uplink = settings.uplink {
            out += "== uplink stand-in: \(uplink.name) \(uplink.address)\(uplink.gateway.map { " via \($0)" } ?? "")\n"
        }
        out += families
        out += "== mounts\n"
        let added = after.mounts.filter { !before.mounts.contains($0) }
        let removed = before.mounts.filter { !after.mounts.contains($0) }
        out += removed.map { "- \(reported($0))\n" }.joined() + added.map { "+ \(reported($0))\n" }.joined()
        if added.isEmpty && removed.isEmpty { out += "  (none)\n" }
        let files = fileChanges(before: before, after: after, journal: journal)
        out += "== files and directories\n" + (files.isEmpty ? "  (none)\n" : files.map { reported($0) + "\n" }.joined())
        let cgroups = after.cgroups.filter { !before.cgroups.contains($0) }
        if let cgroup = settings.cgroup {
            out += "== cgroups created (below the sandbox's own group, \(cgroup) on the host; removed with it after the run)\n"
        } else {
            out += "== cgroups created\n"
        }
        if settings.cgroupMount == nil {
            out += "  (no delegated cgroup: \(settings.noCgroupReason ?? "none"))\n"
        } else {
            out += cgroups.isEmpty ? "  (none)\n" : cgroups.map { "+ \(reported($0))\n" }.joined()
        }
        for path in leftovers { out += "! could not remove \(reported(path))\n" }
        if before.hostname != after.hostname {
            out += "== hostname (the sandbox's own UTS namespace)\n  \(reported(before.hostname)) -> \(reported(after.hostname))\n"
        }
        let entries = journalEntries()
        let notSimulated = entries.compactMap { entry -> String? in
            guard let command = entry["notSimulated"]?.stringValue else { return nil }
            return "  \(reported(command))  (\(reported(entry["reason"]?.stringValue ?? "")), \(reported(entry["location"]?.stringValue ?? "")))\n"
        }
        out += "== sysctls\n"
        var sysctlLines: [String] = []
        var shown: Set<String> = []
        for entry in entries {
            guard let key = entry["sysctl"]?.stringValue, let value = entry["after"]?.stringValue else { continue }
            shown.insert(key)
            if entry["applied"] == .bool(true) {
                sysctlLines.append("  \(reported(key)): \(reported(entry["before"]?.stringValue ?? "")) -> \(reported(after.netSysctls[key] ?? value))\n")
            } else {
                sysctlLines.append("  \(reported(key)): \(reported(entry["before"]?.stringValue ?? "")) -> \(reported(value)) (outside the network namespace: not simulated)\n")
            }
        }
        // Network sysctls that changed otherwise: with those above (forwarding), or by a program.
        for (key, value) in after.netSysctls.sorted(by: { $0.key < $1.key }) where !shown.contains(key) {
            guard let old = before.netSysctls[key], old != value else { continue }
            sysctlLines.append("  \(reported(key)): \(reported(old)) -> \(reported(value)) (changed with the above, or by a program)\n")
        }
        out += sysctlLines.isEmpty ? "  (none)\n" : sysctlLines.joined()
        if !notSimulated.isEmpty {
            out += "== not simulated in the sandbox (a user namespace cannot make these)\n" + notSimulated.joined()
        }
        return out
    }
}
