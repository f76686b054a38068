#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whole-file reads with plain system calls (no Foundation, for start-up time).
public enum FileBytes {
    public static let maximumSize = 16 << 20

    /// The whole file; nil when it cannot be read, is a directory, or (with
    /// `regularOnly`) is anything but a regular file. The open never waits:
    /// a FIFO with no writer would block open(2) for ever (O_NONBLOCK, cleared
    /// again before reading).
    public static func read(_ path: String, regularOnly: Bool = false) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) != S_IFDIR else { return nil }
        if regularOnly && (info.st_mode & S_IFMT) != S_IFREG {
            errno = EINVAL
            return nil
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if n == 0 { break }
            result += buffer[0..<n]
            if result.count > maximumSize { return nil }
        }
        return result
    }
}

extension FileBytes {
    /// What a sourced file is when it is not a regular file (a FIFO, a device…),
    /// for the diagnostic; nil for a regular file or one that does not exist.
    public static func irregularKind(_ path: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return nil
        case S_IFDIR: return "a directory"
        case S_IFIFO: return "a FIFO"
        case S_IFSOCK: return "a socket"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        default: return "not a regular file"
        }
    }
}
