#if canImport(Glibc)
import Glibc
#endif
import Interpreter
import Lexer

/// flock(2) with a timeout, as `flock -w N` does.
enum Locks {
    /// Without a timeout it waits as long as it takes, as plain `flock` does.
    static func acquire(_ path: String, timeoutSeconds: Int?, at location: SourceRange) throws -> Int32 {
        // A lock file is created like any write: no untrusted link on the way, the last one included.
        let (fd, code) = try SafePath.openFile(path, flags: O_WRONLY | O_CREAT | O_APPEND, followLast: true, at: location)
        guard fd >= 0 else {
            throw CommandFailure("cannot open lock file '\(path)': \(errnoMessage(code))", at: location, status: exitStatus(forErrno: code))
        }
        guard let timeoutSeconds else {
            while flock(fd, LOCK_EX) != 0 {
                guard errno == EINTR else {
                    let code = errno
                    close(fd)
                    throw CommandFailure("cannot lock '\(path)': \(errnoMessage(code))", at: location)
                }
            }
            return fd
        }
        var waited = 0  // in milliseconds
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else {
                let code = errno
                close(fd)
                throw CommandFailure("cannot lock '\(path)': \(errnoMessage(code))", at: location)
            }
            if waited >= timeoutSeconds * 1000 {
                close(fd)
                throw CommandFailure("timed out after \(timeoutSeconds)s waiting for the lock '\(path)'", at: location,
                                     status: ExitStatus.lockTimeout)
            }
            usleep(10_000)
            waited += 10
        }
        return fd
    }
}
