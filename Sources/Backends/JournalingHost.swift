import Interpreter
import Lexer

/// Wraps the real host for `wds run`: before each change it reads what the
/// change will overwrite and records in the run's journal how to put it back,
/// so a failed run can leave the host as it found it. Changes that cannot be
/// undone exactly (a program, an unmount, a removed file or directory, a
/// remount, a removed tree, a signal, a copy over a file) are points of no
/// return: the journal forgets what came before.
/// iptables batches record their own undo (the inverse restore payload).
public final class JournalingHost: Host {
    let inner: Host
    let journal: Journal

    public init(_ inner: Host, journal: Journal) {
        self.inner = inner
        self.journal = journal
    }

    public func perform(_ effect: Effect, at location: SourceRange) throws -> EffectResult {
        switch effect {
        case .copyFile(_, let destination):
            guard case .fileInfo(nil)? = try? inner.perform(.fileInfo(path: destination), at: location) else {
                let result = try inner.perform(effect, at: location)
                journal.recordPointOfNoReturn("a copy over \(destination)", at: location)
                return result
            }
            let result = try inner.perform(effect, at: location)
            journal.record(undo: shellLine(["rm", "-f", destination]), at: location) { [inner] in
                _ = try inner.perform(.removeFile(path: destination), at: location)
            }
            return result
        case .setMode(let path, _), .setOwner(let path, _, _):
            guard case .fileInfo(let info?)? = try? inner.perform(.fileInfo(path: path), at: location),
                  let mode = info.mode, let owner = info.owner, let group = info.group else {
                let result = try inner.perform(effect, at: location)
                journal.recordPointOfNoReturn("the \(effect.kind) of \(path), whose old value could not be read", at: location)
                return result
            }
            let result = try inner.perform(effect, at: location)
            let undo: Effect
            if case .setMode = effect { undo = .setMode(path: path, mode: mode) } else { undo = .setOwner(path: path, owner: owner, group: group) }
            journal.record(undo: undo.shellCommand, at: location) { [inner] in _ = try inner.perform(undo, at: location) }
            return result
        case .removeTree(let path):
            let result = try inner.perform(effect, at: location)
            journal.recordPointOfNoReturn("the removal of \(path)", at: location)
            return result
        case .signal(let pids, let signal):
            let result = try inner.perform(effect, at: location)
            journal.recordPointOfNoReturn("\(signal) sent to \(pids.count) process(es)", at: location)
            return result
        case .writeFile(let path, _, _), .replaceFile(let path, _):
            let base = Paths.base(path)
            if Effect.processControlFiles.contains(base) {
                let result = try inner.perform(effect, at: location)
                journal.recordPointOfNoReturn("a write to \(path)", at: location)
                return result
            }
            let before = try? inner.perform(.fileInfo(path: path), at: location)
            var old: String?
            if case .fileInfo(let info?)? = before {
                guard info.kind == .file, case .text(let text)? = try? inner.perform(.readFile(path: path), at: location) else {
                    let result = try inner.perform(effect, at: location)
                    journal.recordPointOfNoReturn("a write to \(path), whose old contents could not be read", at: location)
                    return result
                }
                old = text
            }
            let result = try inner.perform(effect, at: location)
            let left: String
            switch effect {
            case .writeFile(_, let contents, let append): left = append ? (old ?? "") + contents : contents
            case .replaceFile(_, let contents): left = contents
            default: return result
            }
            if let old {
                journal.record(undo: shellLine(["printf", "%s", "…", ">", path]), at: location) { [inner] in
                    try JournalingHost.requireUnchanged(path, left, inner, location)
                    _ = try inner.perform(.writeFile(path: path, contents: old, append: false), at: location)
                }
            } else {
                journal.record(undo: shellLine(["rm", "-f", path]), at: location) { [inner] in
                    try JournalingHost.requireUnchanged(path, left, inner, location)
                    _ = try inner.perform(.removeFile(path: path), at: location)
                }
            }
            return result
        case .makeDirectory(let path, let parents):
            // The directories this call creates, deepest first.
            var missing: [String] = []
            var current = path
            while !current.isEmpty, current != "/", current != ".", !exists(current, location) {
                missing.append(current)
                if !parents { break }
                current = Paths.directory(current)
            }
            let result = try inner.perform(effect, at: location)
            for directory in missing.reversed() {
                journal.record(undo: shellLine(["rmdir", directory]), at: location) { [inner] in
                    _ = try inner.perform(.removeDirectory(path: directory), at: location)
                }
            }
            return result
        case .mount(let request):
            let result = try inner.perform(effect, at: location)
            if request.remount {
                journal.recordPointOfNoReturn("a remount of \(request.target)", at: location)
            } else {
                journal.record(undo: shellLine(["umount", request.target]), at: location) { [inner] in
                    _ = try inner.perform(.unmount(path: request.target), at: location)
                }
            }
            return result
        case .unmount(let path):
            let result = try inner.perform(effect, at: location)
            journal.recordPointOfNoReturn("the unmount of \(path)", at: location)
            return result
        case .removeFile(let path), .removeDirectory(let path):
            let result = try inner.perform(effect, at: location)
            journal.recordPointOfNoReturn("the removal of \(path)", at: location)
            return result
        case .runProgram(let argv, _, _):
            let result = try inner.perform(effect, at: location)
            journal.recordPointOfNoReturn("`\(shellLine(argv))`", at: location)
            return result
        case .runScript(let path, _):
            let result = try inner.perform(effect, at: location)
            journal.recordPointOfNoReturn("the script \(path)", at: location)
            return result
        case .family(let wrapped):
            switch try wrapped.effect.undo(at: location) {
            case .nothing:
                return try inner.perform(effect, at: location)
            case .effects(let undo, let description):
                let result = try inner.perform(effect, at: location)
                journal.record(undo: description, at: location) { [inner] in
                    for step in undo.reversed() { _ = try inner.perform(.family(step), at: location) }
                }
                return result
            case .pointOfNoReturn(let what):
                let result = try inner.perform(effect, at: location)
                journal.recordPointOfNoReturn(what, at: location)
                return result
            }
        case .readFile, .fileInfo, .listDirectory, .readSysctl, .mountTable, .route, .iptablesSave, .iptablesList, .canonicalPath,
             .iptablesCanonical, .processTable,
             .probeProgram, .print, .lock, .unlock, .iptables, .iptablesRestore, .iptablesStaged, .iptablesLock,
             .iptablesUnlock:
            // Reads, output, locks; iptables changes are journaled by their engine.
            return try inner.perform(effect, at: location)
        }
    }

    /// Undo puts back only what the run left: a file someone changed since is theirs now.
    static func requireUnchanged(_ path: String, _ left: String, _ host: Host, _ location: SourceRange) throws {
        guard case .text(let now)? = try? host.perform(.readFile(path: path), at: location) else {
            throw CommandFailure("\(path) is gone or unreadable now: left as it is", at: location)
        }
        if now != left { throw CommandFailure("\(path) changed after the run wrote it: left as it is", at: location) }
    }

    private func exists(_ path: String, _ location: SourceRange) -> Bool {
        if case .fileInfo(let info)? = try? inner.perform(.fileInfo(path: path), at: location) { return info != nil }
        return true
    }
}
