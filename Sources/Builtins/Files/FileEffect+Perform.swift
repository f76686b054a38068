#if canImport(Glibc)
import Glibc
#endif
import HostSystem
import Interpreter
import Lexer

/// How the real host makes each file change, and what a sandbox does with it.
extension FileEffect {
    func perform(at location: SourceRange) throws -> EffectResult {
        switch self {
        case .write(let path, let contents, let append):
            // O_NOFOLLOW: a symlink planted at PATH (in /tmp, say) must not turn a root write into one elsewhere.
            try SafePath.writeFile(path, contents, append: append, at: location)
        case .replace(let path, let contents):
            try FileSystemCalls.replaceFile(path, contents, at: location)
        case .copy(let source, let destination):
            try FileSystemCalls.copyFile(source, to: destination, at: location)
        case .makeDirectory(let path, let parents):
            try SafePath.makeDirectory(path, parents: parents, at: location)
        case .removeDirectory(let path):
            try FileSystemCalls.removeDirectory(path, at: location)
        case .remove(let path):
            try FileSystemCalls.removeFile(path, at: location)
        case .setMode(let path, let mode):
            try FileSystemCalls.setMode(path, mode, at: location)
        case .setOwner(let path, let owner, let group):
            try FileSystemCalls.setOwner(path, owner, group, at: location)
        case .removeTree(let path):
            try FileSystemCalls.removeTree(path, at: location)
        case .putBack(let path, let contents, let left):
            guard let now = FileEffect.text(of: path) else {
                throw CommandFailure("\(path) is gone or unreadable now: left as it is", at: location)
            }
            // A kernel parameter prints back what the kernel read of the run's write (`010` as 8).
            let same = now == left || (SysctlSimulation.key(of: path, writing: left) != nil && SysctlValue.holds(now, written: left))
            if !same { throw CommandFailure("\(path) changed after the run wrote it: left as it is", at: location) }
            if let contents {
                try SafePath.writeFile(path, contents, append: false, at: location)
            } else {
                try FileSystemCalls.removeFile(path, at: location)
            }
        }
        return .done
    }

    /// A write under /proc/sys is a kernel parameter; a directory or file in a cgroup v1 hierarchy
    /// a user namespace can mount is the host's, which the kernel may refuse the sandbox.
    var inSandbox: SandboxPolicy {
        switch self {
        case .write(let path, let contents, _) where path.hasPrefix("/proc/sys/"):
            return .kernelParameter(key: String(path.dropFirst("/proc/sys/".count)).replacingAll("/", with: "."), value: contents)
        case .write(let path, _, _), .makeDirectory(let path, _), .removeDirectory(let path):
            guard MountInfo.fileSystemType(of: path, in: MountInfo.current()) == "cgroup" else { return .perform }
            return .notSimulatedIfRefused(reason: "the cgroup v1 hierarchy is the host's", alsoDenied: true)
        case .replace, .copy, .remove, .setMode, .setOwner, .removeTree, .putBack:
            return .perform
        }
    }

    /// A file's contents as text, as the host's `readFile` reads them; nil if missing, unreadable or not UTF-8.
    static func text(of path: String) -> String? {
        guard case .success(let bytes) = FileBytes.contents(of: path) else { return nil }
        return String(validating: bytes, as: UTF8.self)
    }

    /// stat(2) of PATH (links followed, as the host's `fileInfo`); nil if it cannot be reached.
    static func status(of path: String) -> stat? {
        var info = stat()
        return stat(path, &info) == 0 ? info : nil
    }
}
