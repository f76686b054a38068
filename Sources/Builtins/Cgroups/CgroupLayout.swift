import HostSystem
import Interpreter
import Lexer

/// How control groups are laid out at a root, as the mount table shows it.
///
/// - cgroup v1: one hierarchy per mounted subsystem set, each a directory
///   under the root (Warden's ROOT/cpu, ROOT/memory…), or the root itself
///   when it is one hierarchy. A group NAME is a directory in each.
/// - cgroup v2: the root is the unified hierarchy (a `cgroup2` mount, or a
///   directory of one, which has `cgroup.controllers`). NAME is one directory.
struct CgroupLayout {
    struct Hierarchy {
        var path: String
        var controllers: [String]
    }

    enum Version { case v1, v2 }

    var root: String
    var version: Version
    /// v1: the hierarchies; v2: the root alone.
    var hierarchies: [Hierarchy]

    /// Reads the mount table (and, for a directory inside a v2 tree,
    /// `cgroup.controllers`) to find what is at `root`.
    static func detect(_ rootPath: String, _ call: Invocation) throws -> CgroupLayout {
        let root = MountInfo.normalize(rootPath)
        let table = try MountInfo.table(call)
        if let top = MountInfo.top(at: root, in: table) {
            if top.type == "cgroup2" { return CgroupLayout(root: root, version: .v2, hierarchies: [Hierarchy(path: root, controllers: [])]) }
            if top.type == "cgroup" {
                return CgroupLayout(root: root, version: .v1, hierarchies: [Hierarchy(path: root, controllers: top.cgroupControllers)])
            }
        }
        var seen: Set<String> = []
        var hierarchies: [Hierarchy] = []
        for mount in table where mount.type == "cgroup" && Paths.directory(mount.mountpoint) == root && !seen.contains(mount.mountpoint) {
            seen.insert(mount.mountpoint)
            // A later mount on the same point hides this one.
            guard let top = MountInfo.top(at: mount.mountpoint, in: table), top.type == "cgroup" else { continue }
            hierarchies.append(Hierarchy(path: top.mountpoint, controllers: top.cgroupControllers))
        }
        if !hierarchies.isEmpty { return CgroupLayout(root: root, version: .v1, hierarchies: hierarchies) }
        if case .fileInfo(let info?) = try call.perform(.fileInfo(path: root + "/cgroup.controllers")), info.kind == .file {
            return CgroupLayout(root: root, version: .v2, hierarchies: [Hierarchy(path: root, controllers: [])])
        }
        throw call.fail("no cgroup hierarchy at '\(root)': nothing of type cgroup mounted under it, and it is not in a cgroup v2 tree",
                        hint: "mount one first: `mount cgroup memory \(root == "/" ? "" : root)/memory` (v1) or `mount cgroup2 \(root)` (v2)")
    }

    /// The directory of group `name` in each hierarchy.
    func directories(_ name: String) -> [String] {
        hierarchies.map { $0.path + "/" + name }
    }

    /// The hierarchy that holds `controller` (v1), or the root (v2).
    func hierarchy(for controller: String, _ call: Invocation) throws -> Hierarchy {
        if version == .v2 { return hierarchies[0] }
        guard let found = hierarchies.first(where: { $0.controllers.contains(controller) }) else {
            let mounted = hierarchies.map { "\(Paths.base($0.path)) (\($0.controllers.joined(separator: ",")))" }
            throw call.fail("no cgroup v1 hierarchy with the '\(controller)' controller under '\(root)'",
                            hint: "mounted there: \(mounted.joined(separator: ", ")); mount it with `mount cgroup \(controller) \(root)/\(controller)`")
        }
        return found
    }
}

/// The same limit under cgroup v1 and v2 names. A script may use either name
/// on either version; the value is converted where the units differ.
///
/// | v1                      | v2            | value                                            |
/// |-------------------------|---------------|--------------------------------------------------|
/// | memory.limit_in_bytes   | memory.max    | bytes; v1 `-1` is v2 `max`                        |
/// | cpu.shares              | cpu.weight    | weight = 1 + (shares − 2) × 9999 / 262142 (runc) |
/// | pids.max                | pids.max      | the same                                         |
///
/// `cgroup get` reads the file `cgroup set` writes and returns it unconverted.
enum CgroupKeys {
    struct Mapped: Equatable {
        var key: String
        var value: String?
    }

    static let v1ToV2 = ["memory.limit_in_bytes": "memory.max", "cpu.shares": "cpu.weight", "pids.max": "pids.max"]
    static let v2ToV1 = ["memory.max": "memory.limit_in_bytes", "cpu.weight": "cpu.shares", "pids.max": "pids.max"]

    /// The file to use on `version`, and the value converted for it (nil: the value is not valid for this key).
    static func map(_ key: String, _ value: String?, to version: CgroupLayout.Version) -> Mapped {
        switch version {
        case .v2:
            guard let target = v1ToV2[key] else { return Mapped(key: key, value: value) }
            guard let value else { return Mapped(key: target, value: nil) }
            switch key {
            case "memory.limit_in_bytes": return Mapped(key: target, value: value == "-1" ? "max" : value)
            case "cpu.shares":
                guard let shares = UInt64(value) else { return Mapped(key: target, value: nil) }
                return Mapped(key: target, value: String(sharesToWeight(shares)))
            default: return Mapped(key: target, value: value)
            }
        case .v1:
            guard let target = v2ToV1[key] else { return Mapped(key: key, value: value) }
            guard let value else { return Mapped(key: target, value: nil) }
            switch key {
            case "memory.max": return Mapped(key: target, value: value == "max" ? "-1" : value)
            case "cpu.weight":
                guard let weight = UInt64(value) else { return Mapped(key: target, value: nil) }
                return Mapped(key: target, value: String(weightToShares(weight)))
            default: return Mapped(key: target, value: value)
            }
        }
    }

    /// cpu.shares (2…262144) to cpu.weight (1…10000), as runc and crun convert it.
    static func sharesToWeight(_ shares: UInt64) -> UInt64 {
        if shares == 0 { return 0 }
        let clamped = min(max(shares, 2), 262_144)
        return 1 + ((clamped - 2) * 9999) / 262_142
    }

    static func weightToShares(_ weight: UInt64) -> UInt64 {
        let clamped = min(max(weight, 1), 10_000)
        return 2 + ((clamped - 1) * 262_142) / 9999
    }
}
