#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whole-file reads with plain system calls (no Foundation, for start-up time).
/// A read that fails says why, so every "cannot read" can tell a missing file
/// from a forbidden one, a folder or a FIFO.
public enum FileBytes {
    public static let maximumSize = 16 << 20

    /// Why a file could not be read: the errno of the call that failed
    /// (`EISDIR` for a folder, `EFBIG` past `maximumSize`), or what it is
    /// when only a regular file would do.
    public struct Failure: Error, Equatable, CustomStringConvertible {
        public let code: Int32
        /// "a FIFO", "a socket"… when a regular file was asked for.
        public let irregularKind: String?
        public init(code: Int32, irregularKind: String? = nil) {
            self.code = code
            self.irregularKind = irregularKind
        }

        /// As `strerror` says it: "No such file or directory", "Permission denied", "Is a directory".
        public var description: String {
            if let irregularKind { return "it is \(irregularKind), not a regular file" }
            let text = String(cString: strerror(code))
            return code == EFBIG ? "\(text) (wds reads at most \(FileBytes.maximumSize >> 20) MiB)" : text
        }
    }

    /// The whole file, or why it cannot be read. With `regularOnly`, anything
    /// but a regular file is refused. The open never waits: a FIFO with no
    /// writer would block open(2) for ever (O_NONBLOCK, cleared before reading).
    public static func contents(of path: String, regularOnly: Bool = false) -> Result<[UInt8], Failure> {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return .failure(Failure(code: errno)) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return .failure(Failure(code: errno)) }
        guard (info.st_mode & S_IFMT) != S_IFDIR else { return .failure(Failure(code: EISDIR)) }
        if regularOnly && (info.st_mode & S_IFMT) != S_IFREG {
            return .failure(Failure(code: EINVAL, irregularKind: kind(info.st_mode)))
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        return readAll(fd)
    }

    /// The whole file; nil when it cannot be read (see `contents(of:)` for why).
    public static func read(_ path: String, regularOnly: Bool = false) -> [UInt8]? {
        try? contents(of: path, regularOnly: regularOnly).get()
    }

    /// Standard input to its end (`wds check -`, `trace -`, `fmt -`).
    public static func standardInput() -> Result<[UInt8], Failure> {
        readAll(0)
    }

    static func readAll(_ fd: Int32) -> Result<[UInt8], Failure> {
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return .failure(Failure(code: errno))
            }
            if n == 0 { break }
            result += buffer[0..<n]
            if result.count > maximumSize { return .failure(Failure(code: EFBIG)) }
        }
        return .success(result)
    }

    /// What a file is when it is not a regular file (a FIFO, a device…), for diagnostics.
    static func kind(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFDIR: return "a directory"
        case S_IFIFO: return "a FIFO"
        case S_IFSOCK: return "a socket"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        default: return "not a regular file"
        }
    }

    /// What a path is when it is not a regular file; nil for a regular file or one that does not exist.
    public static func irregularKind(_ path: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) != S_IFREG else { return nil }
        return kind(info.st_mode)
    }
}
