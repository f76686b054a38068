#if canImport(Glibc)
import Glibc
#endif
import Interpreter
import Lexer

/// How a journaled run puts back each file change, read before it is made.
/// A written file gets its old contents back (a new one is removed) only if
/// it still holds what the run left; a removal, a copy over a file, or a
/// write that moves processes cannot be undone: points of no return.
extension FileEffect {
    func undo(at location: SourceRange) throws -> FamilyUndo {
        switch self {
        case .copy(_, let destination):
            guard FileEffect.status(of: destination) == nil else { return .pointOfNoReturn("a copy over \(destination)") }
            return .effects([AnyFamilyEffect(FileEffect.remove(path: destination))], description: shellLine(["rm", "-f", destination]))
        case .setMode(let path, _), .setOwner(let path, _, _):
            guard let info = FileEffect.status(of: path) else {
                return .pointOfNoReturn("the \(kind) of \(path), whose old value could not be read")
            }
            let undo: FileEffect
            if case .setMode = self { undo = .setMode(path: path, mode: UInt32(info.st_mode & 0o7777)) } else {
                undo = .setOwner(path: path, owner: info.st_uid, group: info.st_gid)
            }
            return .effects([AnyFamilyEffect(undo)], description: undo.shellCommand)
        case .removeTree(let path), .remove(let path), .removeDirectory(let path):
            return .pointOfNoReturn("the removal of \(path)")
        case .write(let path, _, _) where FileEffect.processControlFiles.contains(Paths.base(path)),
             .replace(let path, _) where FileEffect.processControlFiles.contains(Paths.base(path)):
            return .pointOfNoReturn("a write to \(path)")
        case .write(let path, let contents, let append):
            // An append to a kernel parameter writes it whole (its file's size is 0).
            let whole = !append || SysctlSimulation.key(of: path, writing: contents) != nil
            return FileEffect.undoWrite(path, leaving: { whole ? contents : ($0 ?? "") + contents })
        case .replace(let path, let contents):
            return FileEffect.undoWrite(path, leaving: { _ in contents })
        case .makeDirectory(let path, let parents):
            // The directories this call creates, deepest first; each is its own step, undone outermost last.
            var missing: [String] = []
            var current = path
            while !current.isEmpty, current != "/", current != ".", FileEffect.status(of: current) == nil {
                missing.append(current)
                if !parents { break }
                current = Paths.directory(current)
            }
            return .steps(missing.reversed().map { (AnyFamilyEffect(FileEffect.removeDirectory(path: $0)), shellLine(["rmdir", $0])) })
        case .putBack:
            return .nothing
        }
    }

    /// The undo of a write to PATH that leaves `leaving(old contents)` there.
    static func undoWrite(_ path: String, leaving: (String?) -> String) -> FamilyUndo {
        var old: String?
        if let info = status(of: path) {
            guard (info.st_mode & S_IFMT) == S_IFREG, let text = text(of: path) else {
                return .pointOfNoReturn("a write to \(path), whose old contents could not be read")
            }
            old = text
        }
        let undo = FileEffect.putBack(path: path, contents: old, left: leaving(old))
        return .effects([AnyFamilyEffect(undo)], description: shellLine(old == nil ? ["rm", "-f", path] : ["printf", "%s", "…", ">", path]))
    }
}
