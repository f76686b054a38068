#if canImport(Glibc)
import Glibc
#endif
import Interpreter
import Lexer

/// The message of an errno, as `strerror` gives it.
public func errnoMessage(_ code: Int32) -> String {
    String(cString: strerror(code))
}

/// The exit status that tells this kind of failure apart.
public func exitStatus(forErrno code: Int32) -> Int32 {
    switch code {
    case ENOSPC, EDQUOT, EROFS: return ExitStatus.noSpace
    case EPERM, EBUSY, EINVAL, EACCES, ENODEV: return ExitStatus.kernelRefused
    default: return ExitStatus.failure
    }
}

extension CommandFailure {
    /// A system call's failure: `MESSAGE: strerror`, with the exit status of its errno.
    public static func system(_ message: String, _ code: Int32, at location: SourceRange?) -> CommandFailure {
        CommandFailure("\(message): \(errnoMessage(code))", at: location, status: exitStatus(forErrno: code))
    }
}
