#if canImport(Glibc)
import Glibc
#endif
import Interpreter

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
