#if canImport(Glibc)
import Glibc
#endif
import Interpreter
import Lexer

extension SafePath {
    /// What `write-file` and `append-file` do: PATH created (0644) if missing, truncated or appended to.
    public static func writeFile(_ path: String, _ contents: String, append: Bool, at location: SourceRange) throws {
        try write(path, contents, flags: O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | (append ? O_APPEND : O_TRUNC), at: location)
    }

    /// mkdir(2) relative to the directory reached without untrusted links; with
    /// `parents`, the missing directories on the way too, and no error if it exists.
    public static func makeDirectory(_ path: String, parents: Bool, at location: SourceRange) throws {
        let place = try locate(path, followLast: parents, createDirectories: parents, at: location)
        defer { close(place.directory) }
        if mkdirat(place.directory, place.name, 0o755) == 0 { return }
        let code = errno
        var info = stat()
        if parents, code == EEXIST, fstatat(place.directory, place.name, &info, AT_SYMLINK_NOFOLLOW) == 0,
           (info.st_mode & S_IFMT) == S_IFDIR {
            return
        }
        throw CommandFailure("cannot create directory '\(path)': \(errnoMessage(code))", at: location, status: exitStatus(forErrno: code))
    }

    /// Writes `contents` to the file `path` names, opened with `flags` on the
    /// walk SafePath makes (a link at PATH is never followed: O_NOFOLLOW). What
    /// `write-file` and `sysctl set` both do, each family's effect from its own folder.
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
