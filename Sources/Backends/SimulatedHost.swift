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
    var sysctls: [String: String] = [:]
    var addedMounts: [(target: String, line: String)] = []
    var removedMounts: Set<String> = []

    public init(probes: Host) { self.probes = probes }

    public func perform(_ effect: Effect, at location: SourceRange) throws -> EffectResult {
        switch effect {
        // Mutations: remember, perform nothing.
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
        case .writeSysctl(let key, let value):
            sysctls[key] = value + "\n"
            return .done
        case .mount(let request):
            let type = request.fileSystemType ?? (request.bind ? "none" : "unknown")
            let options = request.options.isEmpty ? "rw" : request.options.joined(separator: ",")
            addedMounts.append((request.target, "0 0 0:0 / \(request.target) rw - \(type) \(request.source) \(options)"))
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
            let outcome = try? Spawn.run([SystemHost.currentExecutable, "trace", path] + arguments, capture: false, captureError: false)
            return .process(status: outcome?.status ?? 0, standardOutput: "", standardError: "")
        case .print, .lock, .unlock, .iptables, .iptablesRestore, .iptablesStaged, .iptablesLock, .iptablesUnlock,
             .setResourceLimit:
            // `.done` for a restore tells the iptables engine that no kernel saw it: its model stays the truth.
            return .done

        // Probes: the overlay first.
        case .readFile(let path):
            if let entry = files[path] {
                guard let contents = entry else {
                    throw CommandFailure("cannot read '\(path)': No such file or directory (removed earlier in this run)", at: location)
                }
                return .text(contents)
            }
            if path.hasPrefix("/proc/sys/"), let value = sysctls[String(path.dropFirst(10)).replacingAll("/", with: ".")] {
                return .text(value)
            }
            return try probes.perform(effect, at: location)
        case .readSysctl(let key):
            if let value = sysctls[key] { return .text(value) }
            return try probes.perform(effect, at: location)
        case .fileInfo(let path):
            if let entry = files[path] {
                return .fileInfo(entry.map { FileInfo(kind: .file, isExecutable: false, size: $0.utf8.count) })
            }
            if createdDirectories.contains(path) { return .fileInfo(FileInfo(kind: .directory, isExecutable: true, size: 0)) }
            if removedDirectories.contains(path) { return .fileInfo(nil) }
            return try probes.perform(effect, at: location)
        case .listDirectory(let path):
            var names: Set<String> = []
            if !createdDirectories.contains(path) || (try? probes.perform(.fileInfo(path: path), at: location)) != .fileInfo(nil) {
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
                let fields = line.split(separator: " ")
                return fields.count < 5 || !removedMounts.contains(String(fields[4]))
            }
            lines += addedMounts.map(\.line)
            return .text(lines.map { $0 + "\n" }.joined())
        case .route, .iptablesSave, .iptablesList, .probeProgram:
            return try probes.perform(effect, at: location)
        }
    }
}
