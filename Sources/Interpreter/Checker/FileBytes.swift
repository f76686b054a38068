#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whole-file reads with plain system calls (no Foundation, for start-up time).
/// A read that fails says why, so every "cannot read" can tell a missing file
/// from a forbidden one or a folder.
public enum FileBytes {
    public static let maximumSize = 16 << 20

    /// Why a file could not be read: the errno of the call that failed
    /// (`EISDIR` for a folder, `EFBIG` past `maximumSize`).
    public struct Failure: Error, Equatable, CustomStringConvertible {
        public let code: Int32
        public init(code: Int32) { self.code = code }

        /// As `strerror` says it: "No such file or directory", "Permission denied", "Is a directory".
        public var description: String {
            let text = String(cString: strerror(code))
            return code == EFBIG ? "\(text) (wds reads at most \(FileBytes.maximumSize >> 20) MiB)" : text
        }
    }

    /// The whole file, or why it cannot be read.
    public static func contents(of path: String) -> Result<[UInt8], Failure> {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .failure(Failure(code: errno)) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return .failure(Failure(code: errno)) }
        guard (info.st_mode & S_IFMT) != S_IFDIR else { return .failure(Failure(code: EISDIR)) }
        return readAll(fd)
    }

    public static func read(_ path: String) -> [UInt8]? {
        try? contents(of: path).get()
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
}
