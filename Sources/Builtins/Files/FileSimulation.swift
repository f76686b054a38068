import HostSystem
import Interpreter
import Lexer

/// What a simulated run (trace, plan, the REPL's `:trace on`) made of files
/// and directories: an overlay on the live host, which answers the host's
/// file probes first, so a script that writes a file and reads it back, or
/// creates a directory and then tests for it, traces the way it would run.
final class FileSimulation: SimulatedFamilyModel {
    /// Written files by path; nil marks a removed file.
    var files: [String: String?] = [:]
    var createdDirectories: Set<String> = []
    var removedDirectories: Set<String> = []
    /// Trees `remove-tree` removed: everything at or below them is gone, unless made again.
    var removedTrees: Set<String> = []
    /// Modes and owners set by the script, by path.
    var modes: [String: UInt32] = [:]
    var owners: [String: (owner: UInt32?, group: UInt32?)] = [:]

    private struct State {
        var files: [String: String?] = [:]
        var createdDirectories: Set<String> = []
        var removedDirectories: Set<String> = []
        var removedTrees: Set<String> = []
        var modes: [String: UInt32] = [:]
        var owners: [String: (owner: UInt32?, group: UInt32?)] = [:]
    }

    func savepoint() -> Any {
        State(files: files, createdDirectories: createdDirectories, removedDirectories: removedDirectories,
              removedTrees: removedTrees, modes: modes, owners: owners)
    }

    /// Files put back as they were then (or as the host has them), modes and owners too, then
    /// the directories made since removed, deepest first.
    func undoEffects(to savepoint: Any?, live: Host, at location: SourceRange) -> [Effect] {
        let then = savepoint as? State ?? State()
        var effects: [Effect] = []
        var gone: Set<String> = []
        for path in files.keys.sorted() {
            let now = files[path] ?? nil
            let old: String?
            if let entry = then.files[path] {
                old = entry
            } else {
                // Untouched then: the host's file, or none.
                guard case .fileInfo(let info)? = try? live.perform(.fileInfo(path: path), at: location) else { continue }
                if info == nil {
                    old = nil
                } else if case .text(let text)? = try? live.perform(.readFile(path: path), at: location) {
                    old = text
                } else {
                    continue
                }
            }
            guard old != now else { continue }
            if old == nil { gone.insert(path) }
            effects.append(.family(AnyFamilyEffect(FileEffect.putBack(path: path, contents: old, left: now ?? ""))))
        }
        for (path, mode) in modes.sorted(by: { $0.key < $1.key }) where then.modes[path] != mode && !gone.contains(path) {
            var old = then.modes[path]
            if old == nil, case .fileInfo(let info?)? = try? live.perform(.fileInfo(path: path), at: location) { old = info.mode }
            if let old { effects.append(.family(AnyFamilyEffect(FileEffect.setMode(path: path, mode: old & 0o7777)))) }
        }
        for path in createdDirectories.subtracting(then.createdDirectories).sorted(by: { $0.count > $1.count }) {
            // `mkdir --parents` counts the folders that were there already: those stay.
            if case .fileInfo(_?)? = try? live.perform(.fileInfo(path: path), at: location) { continue }
            effects.append(.family(AnyFamilyEffect(FileEffect.removeDirectory(path: path))))
        }
        return effects
    }

    func rollBack(to savepoint: Any?) {
        let state = savepoint as? State ?? State()
        (files, createdDirectories, removedDirectories) = (state.files, state.createdDirectories, state.removedDirectories)
        (removedTrees, modes, owners) = (state.removedTrees, state.modes, state.owners)
    }

    func simulate(_ effect: any FamilyEffect, simulated: Host, at location: SourceRange) throws -> EffectResult {
        guard let change = effect as? FileEffect else { return .done }
        switch change {
        case .replace(let path, let contents):
            return try simulate(FileEffect.write(path: path, contents: contents, append: false), simulated: simulated, at: location)
        case .copy(let source, let destination):
            guard case .text(let contents) = try simulated.perform(.readFile(path: source), at: location) else { return .done }
            return try simulate(FileEffect.write(path: destination, contents: contents, append: false), simulated: simulated, at: location)
        case .setMode(let path, let mode):
            try reach(path, simulated, at: location)
            guard case .fileInfo(_?) = try simulated.perform(.fileInfo(path: path), at: location) else {
                throw CommandFailure("cannot change the mode of '\(path)': No such file or directory", at: location)
            }
            modes[path] = mode
        case .setOwner(let path, let owner, let group):
            try reach(path, simulated, at: location)
            guard case .fileInfo(_?) = try simulated.perform(.fileInfo(path: path), at: location) else {
                throw CommandFailure("cannot change the owner of '\(path)': No such file or directory", at: location)
            }
            owners[path] = (owner ?? owners[path]?.owner, group ?? owners[path]?.group)
        case .removeTree(let path):
            let below = path.hasSuffix("/") ? path : path + "/"
            for key in files.keys where key == path || key.hasPrefix(below) { files[key] = .some(nil) }
            createdDirectories = createdDirectories.filter { $0 != path && !$0.hasPrefix(below) }
            removedTrees.insert(path)
        case .write(let path, let contents, _) where SysctlSimulation.key(of: path, writing: contents) != nil:
            // A kernel parameter written as a file: one model answers `sysctl get` and `read-file` alike
            // (an append is a write too: the kernel writes at 0, the file's size).
            let (key, value) = SysctlSimulation.key(of: path, writing: contents)!
            return try simulated.perform(.family(AnyFamilyEffect(SysctlWrite(key: key, value: value))), at: location)
        case .write(let path, let contents, let append):
            // Fail where the real write would: a file in a folder that does not exist, or over a folder.
            try reach(path, simulated, at: location)
            if kind(of: path, simulated, at: location) == .directory {
                throw CommandFailure("cannot open '\(path)' for writing: Is a directory", at: location)
            }
            var base = ""
            if append, case .text(let existing)? = try? simulated.perform(.readFile(path: path), at: location) { base = existing }
            files[path] = .some(base + contents)
        case .makeDirectory(let path, let parents):
            try checkMakeDirectory(path, parents: parents, simulated, at: location)
            var current = path
            while current != "/" && current != "." && !current.isEmpty {
                createdDirectories.insert(current)
                removedDirectories.remove(current)
                if !parents { break }
                current = Paths.directory(current)
            }
        case .removeDirectory(let path):
            try reach(path, simulated, at: location)
            let what = "cannot remove directory '\(path)'"
            switch kind(of: path, simulated, at: location) {
            case .missing: throw CommandFailure("\(what): No such file or directory", at: location)
            case .file: throw CommandFailure("\(what): Not a directory", at: location)
            case .directory:
                // A cgroup's folder lists its control files, and goes all the same.
                if case .names(let names)? = try? simulated.perform(.listDirectory(path: path), at: location), !names.isEmpty,
                   !inCgroupHierarchy(path, simulated, at: location) {
                    throw CommandFailure("\(what): Directory not empty", at: location)
                }
            case .unknown: break
            }
            createdDirectories.remove(path)
            removedDirectories.insert(path)
        case .remove(let path):
            try reach(path, simulated, at: location)
            if kind(of: path, simulated, at: location) == .directory {
                throw CommandFailure("cannot remove '\(path)': Is a directory", at: location)
            }
            files[path] = .some(nil)
        case .putBack:
            break  // an undo: a simulated run has nothing to undo
        }
        return .done
    }

    /// What is at a path as the run left it; `unknown` where the host did not say (a state file without it).
    enum Kind { case missing, file, directory, unknown }

    func kind(of path: String, _ simulated: Host, at location: SourceRange) -> Kind {
        guard case .fileInfo(let info)? = try? simulated.perform(.fileInfo(path: path), at: location) else { return .unknown }
        guard let info else { return .missing }
        switch info.kind {
        case .directory: return .directory
        case .file, .other: return .file
        case .symlink: return .unknown  // followed or refused by the walk: the run knows
        }
    }

    /// Fails where the real call's walk down the path would (SafePath): at the first folder on
    /// the way that does not exist or is not a folder, with the run's words. It asks from the
    /// path's folder up, and no further than the first that is there: a plan pins what it read.
    func reach(_ path: String, _ simulated: Host, at location: SourceRange) throws {
        try walkUp(from: Paths.directory(path), for: path, simulated, at: location)
    }

    /// Whether a folder is in a cgroup file system (as the run left the mounts).
    func inCgroupHierarchy(_ path: String, _ simulated: Host, at location: SourceRange) -> Bool {
        guard case .text(let table)? = try? simulated.perform(.mountTable, at: location) else { return false }
        let absolute = Paths.absolute(path)
        let mount = MountInfo.parse(table).filter { absolute == $0.mountpoint || absolute.hasPrefix($0.mountpoint + "/") }
            .max { $0.mountpoint.count < $1.mountpoint.count }
        return mount?.type == "cgroup" || mount?.type == "cgroup2"
    }

    private func walkUp(from folder: String, for path: String, _ simulated: Host, at location: SourceRange) throws {
        var current = folder
        var firstMissing: String?
        while current != "/" && current != "." && !current.isEmpty {
            switch kind(of: current, simulated, at: location) {
            case .directory, .unknown:
                if let firstMissing {
                    throw CommandFailure("cannot reach '\(path)': '\(Paths.absolute(firstMissing))' does not exist", at: location)
                }
                return
            case .file:
                throw CommandFailure("cannot reach '\(path)': '\(Paths.absolute(current))' is not a directory", at: location)
            case .missing:
                firstMissing = current
                current = Paths.directory(current)
            }
        }
    }

    /// `mkdir` fails on what is there already, `mkdir --parents` on a file on the way or at the end.
    func checkMakeDirectory(_ path: String, parents: Bool, _ simulated: Host, at location: SourceRange) throws {
        guard parents else {
            try reach(path, simulated, at: location)
            switch kind(of: path, simulated, at: location) {
            case .file, .directory: throw CommandFailure("cannot create directory '\(path)': File exists", at: location)
            case .missing, .unknown: return
            }
        }
        switch kind(of: path, simulated, at: location) {
        case .file: throw CommandFailure("cannot create directory '\(path)': File exists", at: location)
        case .directory, .unknown: return
        case .missing:
            // What is missing on the way is made; a file on the way stops it.
            var current = Paths.directory(path)
            while current != "/" && current != "." && !current.isEmpty {
                switch kind(of: current, simulated, at: location) {
                case .directory, .unknown: return
                case .file: throw CommandFailure("cannot reach '\(path)': '\(Paths.absolute(current))' is not a directory", at: location)
                case .missing: current = Paths.directory(current)
                }
            }
        }
    }

    func answer(_ probe: Effect, simulated: Host, live: Host, at location: SourceRange) throws -> EffectResult? {
        switch probe {
        case .readFile(let path) where files[path] == nil && insideRemovedTree(path):
            throw CommandFailure("cannot read '\(path)': No such file or directory (removed earlier in this run)", at: location)
        case .readFile(let path):
            guard let entry = files[path] else { return nil }
            guard let contents = entry else {
                throw CommandFailure("cannot read '\(path)': No such file or directory (removed earlier in this run)", at: location)
            }
            return .text(contents)
        case .fileInfo(let path):
            if let entry = files[path] {
                return .fileInfo(entry.map { FileInfo(kind: .file, isExecutable: false, size: $0.utf8.count) })
            }
            if createdDirectories.contains(path) { return .fileInfo(FileInfo(kind: .directory, isExecutable: true, size: 0)) }
            if removedDirectories.contains(path) || insideRemovedTree(path) { return .fileInfo(nil) }
            return nil
        case .listDirectory(let path):
            // Always answered here, the live names and the run's changes merged, sorted.
            var names: Set<String> = []
            if !insideRemovedTree(path),
               !createdDirectories.contains(path) || (try? live.perform(.fileInfo(path: path), at: location)) != .fileInfo(nil) {
                if case .names(let found)? = try? live.perform(probe, at: location) { names = Set(found) }
            }
            let prefix = path.hasSuffix("/") ? path : path + "/"
            for child in createdDirectories where Paths.directory(child) == path || Paths.directory(child) + "/" == prefix {
                names.insert(Paths.base(child))
            }
            for (file, entry) in files where Paths.directory(file) == path {
                if entry == nil { names.remove(Paths.base(file)) } else { names.insert(Paths.base(file)) }
            }
            for removed in removedDirectories where Paths.directory(removed) == path { names.remove(Paths.base(removed)) }
            return .names(names.sorted())
        default:
            return nil
        }
    }

    /// Whether PATH lies at or below a tree the script removed.
    func insideRemovedTree(_ path: String) -> Bool {
        removedTrees.contains { path == $0 || path.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") }
    }

    /// Directories (`cgroups` when in a cgroup file system, live or mounted by the run), files,
    /// removed trees, modes and owners that differ from the live host. Writing what is there is no change.
    func plannedChanges(simulated: Host, live: Host, at location: SourceRange) -> [PlannedChange] {
        func exists(_ path: String) -> FileInfo? {
            if case .fileInfo(let info)? = try? live.perform(.fileInfo(path: path), at: location) { return info }
            return nil
        }
        func cgroupMounts(_ host: Host) -> [String] {
            guard case .text(let table)? = try? host.perform(.mountTable, at: location) else { return [] }
            return MountInfo.parse(table).filter { $0.type == "cgroup" || $0.type == "cgroup2" }.map(\.mountpoint)
        }
        let cgroupRoots = cgroupMounts(live) + cgroupMounts(simulated)
        func isCgroup(_ path: String) -> Bool { cgroupRoots.contains { path.hasPrefix($0 + "/") } }
        var changes: [PlannedChange] = []

        for path in createdDirectories.sorted() where exists(path) == nil {
            changes.append(PlannedChange(area: isCgroup(path) ? "cgroups" : "directories", sign: .add, text: path,
                                         effect: .file(.makeDirectory(path: path, parents: true))))
        }
        for path in removedDirectories.sorted() where exists(path) != nil {
            changes.append(PlannedChange(area: isCgroup(path) ? "cgroups" : "directories", sign: .remove, text: path + PlannedChange.noReturn,
                                         effect: .file(.removeDirectory(path: path))))
        }
        for (path, entry) in files.sorted(by: { $0.key < $1.key }) {
            var current: String?
            if case .text(let text)? = try? live.perform(.readFile(path: path), at: location) { current = text }
            switch (entry, current) {
            case (nil, _):
                // Removed by the script: a change only if it is there now.
                guard exists(path) != nil else { continue }
                changes.append(PlannedChange(area: "files", sign: .remove, text: path + PlannedChange.noReturn, effect: .file(.remove(path: path))))
            case (let contents?, nil):
                changes.append(PlannedChange(area: "files", sign: .add, text: "\(path) (\(contents.utf8.count) bytes)",
                                             effect: .file(.write(path: path, contents: contents, append: false))))
            case (let contents?, let old?) where contents != old:
                changes.append(PlannedChange(area: "files", sign: .change, text: "\(path) (\(old.utf8.count) -> \(contents.utf8.count) bytes)",
                                             effect: .file(.write(path: path, contents: contents, append: false))))
            default:
                continue
            }
        }
        for path in removedTrees.sorted() where exists(path) != nil {
            changes.append(PlannedChange(area: "files", sign: .remove, text: "\(path) and everything below it", effect: .file(.removeTree(path: path))))
        }
        for (path, mode) in modes.sorted(by: { $0.key < $1.key }) {
            let old = exists(path)?.mode
            if old != mode {
                changes.append(PlannedChange(area: "files", sign: .change,
                                             text: "\(path) mode \(old.map { "0" + String($0, radix: 8) } ?? "?") -> 0\(String(mode, radix: 8))",
                                             effect: .file(.setMode(path: path, mode: mode))))
            }
        }
        for (path, wanted) in owners.sorted(by: { $0.key < $1.key }) {
            let info = exists(path)
            if (wanted.owner != nil && wanted.owner != info?.owner) || (wanted.group != nil && wanted.group != info?.group) {
                let show: (UInt32?) -> String = { $0.map(String.init) ?? "?" }
                changes.append(PlannedChange(area: "files", sign: .change,
                                             text: "\(path) owner \(show(info?.owner)):\(show(info?.group)) -> \(show(wanted.owner ?? info?.owner)):\(show(wanted.group ?? info?.group))",
                                             effect: .file(.setOwner(path: path, owner: wanted.owner, group: wanted.group))))
            }
        }
        return changes
    }
}
