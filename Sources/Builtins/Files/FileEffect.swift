import Interpreter
import Lexer

/// A change to files and directories: what `write-file`, `mkdir`, `chmod`,
/// `copy-file`, `remove-tree` and their kin make, and what the cgroup family
/// writes through. Reading (`read-file`, `exists`, `list-dir`) stays the
/// host's own probes (`Effect.readFile`, `.fileInfo`, `.listDirectory`),
/// which `FileSimulation` answers in a trace once the run changed a path.
/// How each is performed is in FileEffect+Perform.swift, undone in
/// FileEffect+Undo.swift; this file holds what the trace and plans show.
enum FileEffect: FamilyEffect {
    case write(path: String, contents: String, append: Bool)
    /// PATH's contents replaced at once: written to a file beside it, then renamed over it,
    /// so no reader sees half a file; an existing file's mode and owner are kept.
    case replace(path: String, contents: String)
    /// A copy of SOURCE at DESTINATION with SOURCE's mode and owner (`cp --preserve=mode,ownership`).
    case copy(source: String, destination: String)
    case makeDirectory(path: String, parents: Bool)
    case removeDirectory(path: String)
    case remove(path: String)
    case setMode(path: String, mode: UInt32)
    /// chown(2) without following a link; nil leaves that id as it is.
    case setOwner(path: String, owner: UInt32?, group: UInt32?)
    /// PATH and everything below it (`rm -rf`); links are removed, never followed.
    case removeTree(path: String)
    /// The undo of a run's write: the old `contents` put back (nil: the new file removed),
    /// only if the file still holds what the run `left` (a file someone changed since is theirs).
    case putBack(path: String, contents: String?, left: String)

    var family: String { FilesFamily.name }
    var isMutation: Bool { true }

    var kind: String {
        switch self {
        case .write: return "write-file"
        case .replace: return "replace-file"
        case .copy: return "copy-file"
        case .makeDirectory: return "mkdir"
        case .removeDirectory: return "rmdir"
        case .remove: return "remove-file"
        case .setMode: return "chmod"
        case .setOwner: return "chown"
        case .removeTree: return "remove-tree"
        case .putBack: return "put-back"
        }
    }

    /// Saved plans name each as they did when it was the host's own effect (`writeFile`, `setMode`…).
    var planName: String? {
        switch self {
        case .write: return "writeFile"
        case .replace: return "replaceFile"
        case .copy: return "copyFile"
        case .makeDirectory: return "makeDirectory"
        case .removeDirectory: return "removeDirectory"
        case .remove: return "removeFile"
        case .setMode: return "setMode"
        case .setOwner: return "setOwner"
        case .removeTree: return "removeTree"
        case .putBack: return nil  // an undo: never in a plan
        }
    }

    var fields: JSON {
        func path(_ path: String) -> (String, JSON) { ("path", .string(path)) }
        func id(_ id: UInt32?) -> JSON { id.map { .number(Double($0)) } ?? .null }
        switch self {
        case .write(let p, let contents, let append):
            return .object([path(p), ("contents", .string(contents)), ("append", .bool(append))])
        case .replace(let p, let contents): return .object([path(p), ("contents", .string(contents))])
        case .copy(let source, let destination): return .object([("source", .string(source)), ("destination", .string(destination))])
        case .makeDirectory(let p, let parents): return .object([path(p), ("parents", .bool(parents))])
        case .removeDirectory(let p), .remove(let p), .removeTree(let p): return .object([path(p)])
        case .setMode(let p, let mode): return .object([path(p), ("mode", .number(Double(mode)))])
        case .setOwner(let p, let owner, let group): return .object([path(p), ("owner", id(owner)), ("group", id(group))])
        case .putBack(let p, let contents, let left):
            return .object([path(p), ("contents", contents.map(JSON.string) ?? .null), ("left", .string(left))])
        }
    }

    /// Reads a saved plan's object back (`kind` is its `planName`).
    static func decode(_ kind: String, _ json: JSON) -> FileEffect? {
        func string(_ key: String) -> String? { json[key]?.stringValue }
        func bool(_ key: String) -> Bool? { if case .bool(let b)? = json[key] { return b } else { return nil } }
        func int(_ key: String) -> Int? { if case .number(let n)? = json[key] { return Int(n) } else { return nil } }
        switch kind {
        case "writeFile":
            guard let p = string("path"), let c = string("contents"), let a = bool("append") else { return nil }
            return .write(path: p, contents: c, append: a)
        case "replaceFile":
            guard let p = string("path"), let c = string("contents") else { return nil }
            return .replace(path: p, contents: c)
        case "copyFile":
            guard let s = string("source"), let d = string("destination") else { return nil }
            return .copy(source: s, destination: d)
        case "makeDirectory":
            guard let p = string("path"), let parents = bool("parents") else { return nil }
            return .makeDirectory(path: p, parents: parents)
        case "removeDirectory": return string("path").map { .removeDirectory(path: $0) }
        case "removeFile": return string("path").map { .remove(path: $0) }
        case "setMode":
            guard let p = string("path"), let m = int("mode") else { return nil }
            return .setMode(path: p, mode: UInt32(m))
        case "setOwner":
            guard let p = string("path") else { return nil }
            return .setOwner(path: p, owner: int("owner").map(UInt32.init), group: int("group").map(UInt32.init))
        case "removeTree": return string("path").map { .removeTree(path: $0) }
        default: return nil
        }
    }

    var argv: [String] {
        switch self {
        case .write(let path, let contents, let append):
            return ["sh", "-c", "printf '%s' \"$1\" \(append ? ">>" : ">") \"$2\"", "sh", contents, path]
        case .replace(let path, _): return ["mv", "-f", "--", ReplayLine.besideName(path), path]
        case .copy(let source, let destination): return ["cp", "--preserve=mode,ownership", "--", source, destination]
        // `--`: a path that begins with '-' is a path, not an option.
        case .makeDirectory(let path, let parents): return parents ? ["mkdir", "-p", "--", path] : ["mkdir", "--", path]
        case .removeDirectory(let path): return ["rmdir", "--", path]
        case .remove(let path): return ["rm", "-f", "--", path]
        case .setMode(let path, let mode): return ["chmod", "0" + String(mode, radix: 8), "--", path]
        case .setOwner(let path, let owner, let group):
            return ["chown", "-h", (owner.map(String.init) ?? "") + (group.map { ":\($0)" } ?? ""), "--", path]
        case .removeTree(let path): return ["rm", "-rf", "--", path]
        case .putBack(let path, let contents?, _): return ["sh", "-c", "printf '%s' \"$1\" > \"$2\"", "sh", contents, path]
        case .putBack(let path, nil, _): return ["rm", "-f", "--", path]
        }
    }

    /// The trace line: the argv quoted, but for contents, which printf writes (a NUL cannot be a word).
    var shellCommand: String {
        switch self {
        case .write(let path, let contents, let append):
            return "\(ReplayLine.printf(contents, newline: false)) \(append ? ">>" : ">") \(shellQuote(path))"
        case .replace(let path, let contents):
            let beside = ReplayLine.besideName(path)
            return "\(ReplayLine.printf(contents, newline: false)) > \(shellQuote(beside)) && \(shellLine(["mv", "-f", "--", beside, path]))"
        case .copy, .makeDirectory, .removeDirectory, .remove, .setMode, .setOwner, .removeTree, .putBack:
            return shellLine(argv)
        }
    }

    /// A removal cannot be put back; nor can a write that moves or kills processes.
    var isPointOfNoReturn: Bool {
        switch self {
        case .remove, .removeDirectory, .removeTree: return true
        case .write(let path, _, _), .replace(let path, _): return FileEffect.processControlFiles.contains(Paths.base(path))
        // A copy over an existing file is a point of no return the journal finds when it happens.
        case .copy, .makeDirectory, .setMode, .setOwner, .putBack: return false
        }
    }

    /// cgroup files whose writes move or kill processes: what they held cannot be written back.
    static let processControlFiles: Set<String> = ["cgroup.procs", "tasks", "cgroup.threads", "cgroup.kill",
                                                   "cgroup.freeze", "release_agent", "notify_on_release",
                                                   "cgroup.subtree_control"]
}

extension Effect {
    /// A change to files, as the builtins perform it: `call.perform(.file(.write(…)))`.
    static func file(_ change: FileEffect) -> Effect { .family(AnyFamilyEffect(change)) }
}
