#if canImport(Glibc)
import Glibc
#endif

/// A resource setrlimit(2) limits, by the name `rlimit` and prlimit(1) give it.
enum ResourceLimit: String, Sendable, Equatable, CaseIterable {
    case nofile, nproc, core, memlock, stack, fsize, cpu, `as`

    var prlimitName: String { self == .as ? "as" : rawValue }

    var systemResource: __rlimit_resource_t {
        switch self {
        case .nofile: return __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        case .nproc: return __rlimit_resource_t(6)  // RLIMIT_NPROC, not exported to Swift
        case .core: return __rlimit_resource_t(RLIMIT_CORE.rawValue)
        case .memlock: return __rlimit_resource_t(8)  // RLIMIT_MEMLOCK, not exported to Swift
        case .stack: return __rlimit_resource_t(RLIMIT_STACK.rawValue)
        case .fsize: return __rlimit_resource_t(RLIMIT_FSIZE.rawValue)
        case .cpu: return __rlimit_resource_t(RLIMIT_CPU.rawValue)
        case .as: return __rlimit_resource_t(RLIMIT_AS.rawValue)
        }
    }
}
