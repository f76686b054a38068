import HostSystem
import Interpreter
import Lexer

/// What the host would look like after the mutations so far, for a run that
/// performs none of them (trace). Mutations update an overlay; probes are
/// answered from the overlay first and from the wrapped read-only host
/// otherwise — so a script that writes a file and reads it back, or creates a
/// directory and then tests for it, traces the way it would run.
public final class SimulatedHost: Host {
    let probes: Host
    /// Written files by path; nil marks a removed file.
    var files: [String: String?] = [:]
    var createdDirectories: Set<String> = []
    var removedDirectories: Set<String> = []
    var addedMounts: [(target: String, line: String)] = []
    /// The mount(2) each added mount came from, by target.
    var mountEffects: [String: Effect] = [:]
    var removedMounts: Set<String> = []
    /// Trees `remove-tree` removed: everything at or below them is gone, unless made again.
    var removedTrees: Set<String> = []
    /// Modes and owners set by the script, by path.
    var modes: [String: UInt32] = [:]
    var owners: [String: (owner: UInt32?, group: UInt32?)] = [:]
    /// Each family's model of what the run changed, in registration order (see `SimulatedFamilyModel`):
    /// made on first use, when a builtin has run and so the families have registered.
    lazy var models = FamilyEffects.makeSimulations()

    /// How a script started with `run-script` is shown: traced by a child wds
    /// with these extra arguments (format, state file), or not at all (a plan,
    /// which lists it as a change it cannot look into).
    let childTraceArguments: [String]?

    public init(probes: Host, childTraceArguments: [String]? = []) {
        self.probes = probes
        self.childTraceArguments = childTraceArguments
    }

    public func perform(_ effect: Effect, at location: SourceRange) throws -> EffectResult {
        switch effect {
        // Mutations: remember, perform nothing.
        case .replaceFile(let path, let contents):
            return try perform(.writeFile(path: path, contents: contents, append: false), at: location)
        case .copyFile(let source, let destination):
            guard case .text(let contents) = try perform(.readFile(path: source), at: location) else { return .done }
            return try perform(.writeFile(path: destination, contents: contents, append: false), at: location)
        case .setMode(let path, let mode):
            guard case .fileInfo(_?) = try perform(.fileInfo(path: path), at: location) else {
                throw CommandFailure("cannot change the mode of '\(path)': No such file or directory", at: location)
            }
            modes[path] = mode
            return .done
        case .setOwner(let path, let owner, let group):
            guard case .fileInfo(_?) = try perform(.fileInfo(path: path), at: location) else {
                throw CommandFailure("cannot change the owner of '\(path)': No such file or directory", at: location)
            }
            owners[path] = (owner ?? owners[path]?.owner, group ?? owners[path]?.group)
            return .done
        case .removeTree(let path):
            let below = path.hasSuffix("/") ? path : path + "/"
            for key in files.keys where key == path || key.hasPrefix(below) { files[key] = .some(nil) }
            createdDirectories = createdDirectories.filter { $0 != path && !$0.hasPrefix(below) }
            removedTrees.insert(path)
            return .done
        case .signal:
            return .done
        case .writeFile(let path, let contents, let append):
            // Fail where the real write would: a file in a folder that does not exist.
            let parent = Paths.directory(path)
            if case .fileInfo(let info)? = try? perform(.fileInfo(path: parent), at: location), info?.kind != .directory {
                throw CommandFailure("cannot open '\(path)' for writing: No such file or directory", at: location)
            }
            var base = ""
            if append, case .text(let existing)? = try? perform(.readFile(path: path), at: location) { base = existing }
            files[path] = .some(base + contents)
            return .done
        case .makeDirectory(let path, let parents):
            var current = path
            while current != "/" && current != "." && !current.isEmpty {
                createdDirectories.insert(current)
                removedDirectories.remove(current)
                if !parents { break }
                current = Paths.directory(current)
            }
            return .done
        case .removeDirectory(let path):
            createdDirectories.remove(path)
            removedDirectories.insert(path)
            return .done
        case .removeFile(let path):
            files[path] = .some(nil)
            return .done
        case .mount(let request):
            let type = request.fileSystemType ?? (request.bind ? "none" : "unknown")
            let options = request.options.isEmpty ? "rw" : request.options.joined(separator: ",")
            addedMounts.append((request.target, "0 0 0:0 / \(request.target) rw - \(type) \(request.source) \(options)"))
            mountEffects[request.target] = effect
            removedMounts.remove(request.target)
            return .done
        case .unmount(let path):
            if let index = addedMounts.lastIndex(where: { $0.target == path }) {
                addedMounts.remove(at: index)
            } else {
                removedMounts.insert(path)
            }
            return .done
        case .runProgram:
            return .process(status: 0, standardOutput: "", standardError: "")
        case .runScript(let path, let arguments):
            // The other script is traced too (it changes nothing either), so the audit shows its effects.
            guard let extra = childTraceArguments else { return .process(status: 0, standardOutput: "", standardError: "") }
            let outcome = try? Spawn.run([SystemHost.currentExecutable, "trace"] + extra + [path] + arguments,
                                         capture: false, captureError: false, setting: Spawn.scriptChildVariables)
            return .process(status: outcome?.status ?? 0, standardOutput: "", standardError: "")
        case .print, .lock, .unlock, .iptables, .iptablesRestore, .iptablesStaged, .iptablesLock, .iptablesUnlock:
            // `.done` for a restore tells the iptables engine that no kernel saw it: its model stays the truth.
            return .done

        // Probes: the overlay first.
        case .readFile(let path) where files[path] == nil && insideRemovedTree(path):
            throw CommandFailure("cannot read '\(path)': No such file or directory (removed earlier in this run)", at: location)
        case .readFile(let path):
            if let entry = files[path] {
                guard let contents = entry else {
                    throw CommandFailure("cannot read '\(path)': No such file or directory (removed earlier in this run)", at: location)
                }
                return .text(contents)
            }
            if let answer = try modelsAnswer(effect, at: location) { return answer }
            return try probes.perform(effect, at: location)
        case .readSysctl:
            if let answer = try modelsAnswer(effect, at: location) { return answer }
            return try probes.perform(effect, at: location)
        case .fileInfo(let path):
            if let entry = files[path] {
                return .fileInfo(entry.map { FileInfo(kind: .file, isExecutable: false, size: $0.utf8.count) })
            }
            if createdDirectories.contains(path) { return .fileInfo(FileInfo(kind: .directory, isExecutable: true, size: 0)) }
            if removedDirectories.contains(path) || insideRemovedTree(path) { return .fileInfo(nil) }
            return try probes.perform(effect, at: location)
        case .listDirectory(let path):
            var names: Set<String> = []
            if !insideRemovedTree(path),
               !createdDirectories.contains(path) || (try? probes.perform(.fileInfo(path: path), at: location)) != .fileInfo(nil) {
                if case .names(let live)? = try? probes.perform(effect, at: location) { names = Set(live) }
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
        case .mountTable:
            guard case .text(let live) = try probes.perform(effect, at: location) else { return .text("") }
            var lines = live.split(separator: "\n").map(String.init).filter { line in
                MountInfo.parseLine(Substring(line)).map { !removedMounts.contains($0.mountpoint) } ?? true
            }
            lines += addedMounts.map(\.line)
            return .text(lines.map { $0 + "\n" }.joined())
        case .family(let wrapped) where wrapped.effect.isMutation:
            // The family's model remembers it (a sysctl read back later); a transactional family's
            // model (iptables, links) has decided it already. Nothing is performed.
            return try model(of: wrapped.effect.family)?.simulate(wrapped.effect, simulated: self, at: location) ?? .done
        case .family:
            return try probes.perform(effect, at: location)
        case .route, .iptablesSave, .iptablesList, .probeProgram, .canonicalPath, .iptablesCanonical, .processTable:
            return try probes.perform(effect, at: location)
        }
    }

    /// The simulated model of `family`; nil if it has none.
    func model(of family: String) -> SimulatedFamilyModel? {
        models.first(where: { $0.family == family })?.model
    }

    /// A probe's answer from the first family model the run's changes concern; nil: none does.
    func modelsAnswer(_ probe: Effect, at location: SourceRange) throws -> EffectResult? {
        for (_, model) in models {
            if let answer = try model.answer(probe, simulated: self, live: probes, at: location) { return answer }
        }
        return nil
    }

    /// Whether PATH lies at or below a tree the script removed.
    func insideRemovedTree(_ path: String) -> Bool {
        removedTrees.contains { path == $0 || path.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") }
    }
}

extension SimulatedHost {
    /// What differs between the live host (`live`, read-only) and the overlay,
    /// per area: files, directories, cgroups (directories in cgroup file
    /// systems), mounts, then what each family model lists (sysctls). Writing what is already there is no change.
    public func plannedChanges(live: Host, at location: SourceRange) -> [PlannedChange] {
        func exists(_ path: String) -> FileInfo? {
            if case .fileInfo(let info)? = try? live.perform(.fileInfo(path: path), at: location) { return info }
            return nil
        }
        var changes: [PlannedChange] = []
        let liveMounts: [String: String]  // mount point → type
        if case .text(let table)? = try? live.perform(.mountTable, at: location) {
            liveMounts = Dictionary(MountInfo.parse(table).map { ($0.mountpoint, $0.type) }, uniquingKeysWith: { _, last in last })
        } else {
            liveMounts = [:]
        }
        let cgroupRoots = liveMounts.filter { $0.value == "cgroup" || $0.value == "cgroup2" }.map(\.key)
            + addedMounts.filter { $0.line.contains(" - cgroup") }.map(\.target)
        func isCgroup(_ path: String) -> Bool { cgroupRoots.contains { path.hasPrefix($0 + "/") } }

        for path in createdDirectories.sorted() where exists(path) == nil {
            changes.append(PlannedChange(area: isCgroup(path) ? "cgroups" : "directories", sign: .add, text: path,
                                         effect: .makeDirectory(path: path, parents: true)))
        }
        for path in removedDirectories.sorted() where exists(path) != nil {
            changes.append(PlannedChange(area: isCgroup(path) ? "cgroups" : "directories", sign: .remove, text: path + PlannedChange.noReturn,
                                         effect: .removeDirectory(path: path)))
        }
        for (path, entry) in files.sorted(by: { $0.key < $1.key }) {
            var current: String?
            if case .text(let text)? = try? live.perform(.readFile(path: path), at: location) { current = text }
            switch (entry, current) {
            case (nil, _):
                // Removed by the script: a change only if it is there now.
                guard exists(path) != nil else { continue }
                changes.append(PlannedChange(area: "files", sign: .remove, text: path + PlannedChange.noReturn, effect: .removeFile(path: path)))
            case (let contents?, nil):
                changes.append(PlannedChange(area: "files", sign: .add, text: "\(path) (\(contents.utf8.count) bytes)",
                                             effect: .writeFile(path: path, contents: contents, append: false)))
            case (let contents?, let old?) where contents != old:
                changes.append(PlannedChange(area: "files", sign: .change, text: "\(path) (\(old.utf8.count) -> \(contents.utf8.count) bytes)",
                                             effect: .writeFile(path: path, contents: contents, append: false)))
            default:
                continue
            }
        }
        for (target, line) in addedMounts where liveMounts[target] == nil {
            let described = MountInfo.parseLine(Substring(line)).map { "\(target) \($0.type) \($0.source)" } ?? target
            changes.append(PlannedChange(area: "mounts", sign: .add, text: described, effect: mountEffects[target]))
        }
        for target in removedMounts.sorted() where liveMounts[target] != nil {
            changes.append(PlannedChange(area: "mounts", sign: .remove, text: target + PlannedChange.noReturn, effect: .unmount(path: target)))
        }
        for path in removedTrees.sorted() where exists(path) != nil {
            changes.append(PlannedChange(area: "files", sign: .remove, text: "\(path) and everything below it", effect: .removeTree(path: path)))
        }
        for (path, mode) in modes.sorted(by: { $0.key < $1.key }) {
            let old = exists(path)?.mode
            if old != mode {
                changes.append(PlannedChange(area: "files", sign: .change,
                                             text: "\(path) mode \(old.map { "0" + String($0, radix: 8) } ?? "?") -> 0\(String(mode, radix: 8))",
                                             effect: .setMode(path: path, mode: mode)))
            }
        }
        for (path, wanted) in owners.sorted(by: { $0.key < $1.key }) {
            let info = exists(path)
            if (wanted.owner != nil && wanted.owner != info?.owner) || (wanted.group != nil && wanted.group != info?.group) {
                let show: (UInt32?) -> String = { $0.map(String.init) ?? "?" }
                changes.append(PlannedChange(area: "files", sign: .change,
                                             text: "\(path) owner \(show(info?.owner)):\(show(info?.group)) -> \(show(wanted.owner ?? info?.owner)):\(show(wanted.group ?? info?.group))",
                                             effect: .setOwner(path: path, owner: wanted.owner, group: wanted.group)))
            }
        }
        // The families' own models (sysctls), after the host's areas.
        for (_, model) in models { changes += model.plannedChanges(simulated: self, live: live, at: location) }
        return changes
    }
}
