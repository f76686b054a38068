#if canImport(Glibc)
import Glibc
#endif
import Interpreter
import Lexer

extension SafePath {
    /// Writes `contents` to the file `path` names, opened with `flags` on the
    /// walk SafePath makes (a link at PATH is never followed: O_NOFOLLOW). What
    /// `write-file` and `sysctl set` both do; the sysctl family's effect calls
    /// it from its own folder, the system host for files.
    public static func write(_ path: String, _ contents: String, flags: Int32, at location: SourceRange) throws {
        let (fd, code) = try openFile(path, flags: flags, followLast: false, at: location)
        guard fd >= 0 else {
            let hint = code == ELOOP ? "PATH is a symbolic link, which write-file does not follow: write to its target" : nil
            throw CommandFailure("cannot open '\(path)' for writing: \(errnoMessage(code))", at: location, status: exitStatus(forErrno: code),
                                 hint: hint)
        }
        defer { close(fd) }
        let bytes = Array(contents.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                let code = errno
                throw CommandFailure("cannot write '\(path)': \(errnoMessage(code))", at: location, status: exitStatus(forErrno: code))
            }
            offset += n
        }
    }
}
