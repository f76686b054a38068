#if canImport(Glibc)
import Glibc
#endif
import Backends
import Builtins
import Interpreter
import Lexer

/// `wds run --sandbox`: the script runs for real, but inside fresh network
/// and mount namespaces (and a user namespace when not root), with a stand-in
/// for the host's uplink, so route lookups answer as on the host. Afterwards
/// it prints the state the script built and the change against the state
/// before. Nothing outside the sandbox changes: the root file system is
/// read-only in it, /tmp and /run are overlays whose writes vanish, global
/// sysctls are recorded but not written, and cgroups it makes are removed.
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

    /// Re-runs this wds inside new namespaces; returns the script's exit status.
    public static func run(path: String, arguments: [String], output: @escaping Driver.Output) -> Int32 {
        var unshare = ["unshare", "--net", "--mount", "--propagation", "private", "--fork"]
        if getuid() != 0 { unshare += ["--user", "--map-root-user"] }
        var inner = [SystemHost.currentExecutable, "sandbox-inner"]
        if let uplink = hostUplink() { inner += ["--uplink", uplink.argument] }
        inner += ["--", path] + arguments
        do {
            let outcome = try Spawn.run(unshare + inner, capture: false, captureError: false)
            return outcome.status
        } catch {
            output(Diagnostic("cannot create the sandbox's namespaces (unshare): \(error)", at: nil,
                              hint: "the sandbox needs root, or unprivileged user namespaces").render(), true)
            return ExitStatus.failure
        }
    }

    /// Inside the namespaces: build the stand-in network, fence the file
    /// system, run the script, report, clean up.
    public static func runInside(path: String, arguments: [String], uplink: Uplink?, environment: [String: String],
                                 output: @escaping Driver.Output) -> Int32 {
        // Read and check everything before the file system changes under us.
        let (script, diagnostics) = Driver.load(path: path)
        guard let script, diagnostics.isEmpty else {
            for diagnostic in diagnostics { output(diagnostic.render(), true) }
            return ExitStatus.usage
        }
        do {
            try buildNetwork(uplink)
            try fenceFileSystem()
        } catch {
            output("wds: sandbox: \(error)\n", true)
            return ExitStatus.failure
        }
        let before = snapshot()
        // A script run with run-script is a child wds: it guards its effects the same way.
        setenv("WDS_SANDBOX", "1", 1)
        let host = SandboxHost(SystemHost(output: output))
        let context = RunContext(host: host, environment: environment, arguments: arguments)
        let interpreter = Interpreter(registry: Builtins.standard, context: context, scriptPath: path)
        let status = Driver.execute(script, with: interpreter, output: output)
        let after = snapshot()
        let leftovers = host.removeCgroupDirectories()
        output(report(path: path, arguments: arguments, status: status, uplink: uplink, before: before, after: after,
                      host: host, leftovers: leftovers), false)
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

    /// The root read-only; /tmp and /run overlays on a private tmpfs, so the
    /// script can write there and nothing reaches the host.
    static func fenceFileSystem() throws {
        func check(_ result: Int32, _ what: String) throws {
            if result != 0 { throw SandboxError(description: "\(what): \(String(cString: strerror(errno)))") }
        }
        try check(mount("none", "/dev/shm", "tmpfs", 0, nil), "mount tmpfs on /dev/shm")
        for (index, directory) in ["/tmp", "/run"].enumerated() {
            let upper = "/dev/shm/upper\(index)", work = "/dev/shm/work\(index)"
            mkdir(upper, 0o755)
            mkdir(work, 0o755)
            let options = "lowerdir=\(directory),upperdir=\(upper),workdir=\(work)"
            if mount("overlay", directory, "overlay", 0, options) != 0 {
                // Without overlay support: an empty scratch tmpfs instead.
                try check(mount("none", directory, "tmpfs", 0, nil), "mount tmpfs on \(directory)")
            }
        }
        try check(mount("none", "/", nil, UInt(MS_REMOUNT | MS_BIND | MS_RDONLY), nil), "remount / read-only")
        // Every other mount too (/sys, /boot, a separate /var…): a remount of the root does not
        // reach the mounts below it. /proc and /dev stay as they are (SandboxHost guards
        // /proc/sys); /tmp, /run and /dev/shm are the sandbox's own.
        let ownOrKept = ["/tmp", "/run", "/dev/shm", "/proc", "/dev"]
        for mountpoint in mountPoints().reversed()
        where !ownOrKept.contains(where: { mountpoint == $0 || mountpoint.hasPrefix($0 + "/") }) && mountpoint != "/" {
            _ = mount("none", mountpoint, nil, UInt(MS_REMOUNT | MS_BIND | MS_RDONLY), nil)
        }
    }

    static func mountPoints() -> [String] {
        guard let bytes = FileBytes.read("/proc/self/mountinfo") else { return [] }
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            return fields.count > 4 ? String(fields[4]) : nil
        }
    }

    struct Snapshot {
        /// iptables-save normalized as the Warden reference data is (comments dropped, counters zeroed), by family.
        var saved: [String: String] = [:]
        var rules: [String: [String]] = [:]   // "IPv4 filter" → lines without counters
        var mounts: [String] = []
        /// Each registered family's own state (nftables), by family name.
        var families: [(name: String, snapshot: FamilySnapshot)] = []
    }

    static func snapshot() -> Snapshot {
        var result = Snapshot()
        for family in Builtins.standard.families {
            if let snapshot = family.snapshot?() { result.families.append((family.name, snapshot)) }
        }
        for (family, command) in [("IPv4", "iptables-save"), ("IPv6", "ip6tables-save")] {
            guard let saved = try? Spawn.run([command], capture: true), saved.status == 0 else { continue }
            result.saved[family] = saved.standardOutput.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { line -> String in
                guard line.hasPrefix(":"), let bracket = line.lastIndex(of: "[") else { return String(line) }
                return line[..<bracket] + "[0:0]"
            }.map { $0 + "\n" }.joined()
            var table = ""
            for line in saved.standardOutput.split(separator: "\n") where !line.hasPrefix("#") {
                if line.hasPrefix("*") { table = "\(family) \(line.dropFirst())"; continue }
                if line == "COMMIT" { continue }
                // Counters are not state the script made.
                var text = String(line)
                if text.hasPrefix(":"), let bracket = text.lastIndex(of: "[") {
                    text = String(text[..<bracket].reversed().drop(while: { $0 == " " }).reversed())
                }
                result.rules[table, default: []].append(text)
            }
        }
        if let bytes = FileBytes.read("/proc/self/mountinfo") {
            for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
                let fields = line.split(separator: " ")
                guard let dash = fields.firstIndex(of: "-"), dash + 2 < fields.count else { continue }
                result.mounts.append("\(fields[4]) \(fields[dash + 1]) \(fields[dash + 2])")
            }
        }
        return result
    }

    static func report(path: String, arguments: [String], status: Int32, uplink: Uplink?, before: Snapshot, after: Snapshot,
                       host: SandboxHost, leftovers: [String]) -> String {
        var out = "== sandbox: \(shellLine([path] + arguments)) exited with status \(status)\n"
        if let uplink {
            out += "== uplink stand-in: \(uplink.name) \(uplink.address)\(uplink.gateway.map { " via \($0)" } ?? "")\n"
        }
        for family in ["IPv4", "IPv6"] where !(after.saved[family] ?? "").isEmpty {
            out += "== \(family) ruleset after the run (iptables-save, normalized)\n" + after.saved[family]!
        }
        out += "== iptables changes\n"
        var changed = false
        for table in Set(before.rules.keys).union(after.rules.keys).sorted() {
            // A table the run brought into being starts with its built-in chains, accepting: not a change.
            let old = before.rules[table] ?? (after.rules[table] ?? []).filter { $0.hasPrefix(":") && $0.hasSuffix(" ACCEPT") }
            let new = after.rules[table] ?? []
            for line in old where !new.contains(line) { out += "- [\(table)] \(line)\n"; changed = true }
            for line in new where !old.contains(line) { out += "+ [\(table)] \(line)\n"; changed = true }
        }
        if !changed { out += "  (none)\n" }
        for (name, snapshot) in after.families {
            let old = before.families.first { $0.name == name }?.snapshot.areas ?? []
            if !snapshot.text.isEmpty { out += "== \(snapshot.title)\n" + snapshot.text }
            out += "== \(name) changes\n"
            var any = false
            for (area, lines) in snapshot.areas {
                let was = old.first { $0.area == area }?.lines ?? []
                for line in was where !lines.contains(line) { out += "- [\(area)] \(line)\n"; any = true }
                for line in lines where !was.contains(line) { out += "+ [\(area)] \(line)\n"; any = true }
            }
            for (area, lines) in old where !snapshot.areas.contains(where: { $0.area == area }) {
                for line in lines { out += "- [\(area)] \(line)\n"; any = true }
            }
            if !any { out += "  (none)\n" }
        }
        out += "== mounts\n"
        let added = after.mounts.filter { !before.mounts.contains($0) }
        let removed = before.mounts.filter { !after.mounts.contains($0) }
        out += removed.map { "- \($0)\n" }.joined() + added.map { "+ \($0)\n" }.joined()
        if added.isEmpty && removed.isEmpty { out += "  (none)\n" }
        out += "== cgroups created (removed again after the run)\n"
        out += host.cgroupDirectories.isEmpty ? "  (none)\n" : host.cgroupDirectories.map { "+ \($0)\n" }.joined()
        for path in leftovers { out += "! could not remove \(path)\n" }
        if !host.withheld.isEmpty {
            out += "== not performed in the sandbox\n" + host.withheld.map { "  \($0.command)  (\($0.reason))\n" }.joined()
        }
        out += "== sysctls\n"
        out += host.sysctls.isEmpty ? "  (none)\n" : host.sysctls.map {
            "  \($0.key): \($0.before) -> \($0.after)\($0.applied ? "" : " (global to the machine: recorded, not applied)")\n"
        }.joined()
        return out
    }
}
