import CNamespaces
#if canImport(Glibc)
import Glibc
#endif

/// Network namespaces: entering one for a moment (to open a socket there),
/// and named ones as `ip netns add` makes them: a file under /run/netns with
/// the namespace bind-mounted on it, in a directory that is a shared mount
/// point so an unmount reaches every mount namespace.
public enum NetworkNamespaces {
    public static let directory = "/run/netns"

    /// The path of a namespace given by name (`/run/netns/NAME`) or by path (`/proc/PID/ns/net`).
    public static func path(of nameOrPath: String) -> String {
        nameOrPath.contains("/") ? nameOrPath : directory + "/" + nameOrPath
    }

    /// Runs `body` with the calling thread in the namespace at `path`, and puts it back.
    /// A socket opened inside stays in that namespace for its whole life.
    public static func inside<T>(_ path: String, _ body: () throws -> T) throws -> T {
        let target = open(path, O_RDONLY | O_CLOEXEC)
        guard target >= 0 else {
            throw NetlinkError(code: errno, message: "cannot open the network namespace \(path)")
        }
        defer { close(target) }
        return try switched(to: target, body)
    }

    /// Runs `body` in the thread's own namespace after moving it into the one open at `target`.
    private static func switched<T>(to target: Int32?, _ body: () throws -> T) throws -> T {
        let original = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
        guard original >= 0 else { throw NetlinkError(code: errno, message: "cannot open this thread's network namespace") }
        defer { close(original) }
        let entered = target.map { wds_enter_network_namespace($0) } ?? wds_unshare_network_namespace()
        guard entered == 0 else {
            throw NetlinkError(code: errno, message: target == nil ? "cannot create a network namespace" : "cannot enter the network namespace")
        }
        defer {
            // Staying in the other namespace would send every later change of the run there.
            if wds_enter_network_namespace(original) != 0 {
                fatalError("wds: cannot return to its own network namespace: \(String(cString: strerror(errno)))")
            }
        }
        return try body()
    }

    /// Runs `body` in a new, empty network namespace (gone when nothing holds it any more).
    /// What it returns may hold the namespace: a socket, a descriptor of /proc/thread-self/ns/net.
    public static func insideNew<T>(_ body: () throws -> T) throws -> T {
        try switched(to: nil, body)
    }

    /// The names under /run/netns, sorted; none when the directory does not exist.
    public static func names(in directory: String = directory) -> [String] {
        guard let handle = opendir(directory) else { return [] }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// `ip netns add NAME`: a new network namespace, bind-mounted on /run/netns/NAME.
    public static func create(_ name: String, in directory: String = directory) throws {
        if mkdir(directory, 0o755) != 0 && errno != EEXIST {
            throw NetlinkError(code: errno, message: "cannot create \(directory)")
        }
        // A shared mount point, so that the unmount of `delete` reaches every mount namespace.
        var madeMountPoint = false
        while mount("", directory, "none", UInt(MS_SHARED | MS_REC), nil) != 0 {
            guard errno == EINVAL, !madeMountPoint else {
                throw NetlinkError(code: errno, message: "cannot make \(directory) a shared mount")
            }
            guard mount(directory, directory, "none", UInt(MS_BIND | MS_REC), nil) == 0 else {
                throw NetlinkError(code: errno, message: "cannot bind-mount \(directory) on itself")
            }
            madeMountPoint = true
        }
        let path = directory + "/" + name
        let fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0)
        guard fd >= 0 else { throw NetlinkError(code: errno, message: "cannot create \(path)") }
        close(fd)
        do {
            try insideNew {
                guard mount("/proc/thread-self/ns/net", path, "none", UInt(MS_BIND), nil) == 0 else {
                    throw NetlinkError(code: errno, message: "cannot bind the new namespace to \(path)")
                }
            }
        } catch {
            unlink(path)
            throw error
        }
    }

    /// `ip netns delete NAME`: unmounts and removes /run/netns/NAME; the namespace
    /// goes away when no process or mount holds it any more.
    public static func delete(_ name: String, in directory: String = directory) throws {
        let path = directory + "/" + name
        // Not mounted (a file left behind) is fine: it is removed all the same.
        if umount2(path, Int32(MNT_DETACH)) != 0 && errno != EINVAL {
            throw NetlinkError(code: errno, message: "cannot unmount \(path)")
        }
        guard unlink(path) == 0 else { throw NetlinkError(code: errno, message: "cannot remove \(path)") }
    }
}
