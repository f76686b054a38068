#if canImport(Glibc)
import Glibc
#endif
import Interpreter
import Lexer

/// Paths wds writes to, walked one component at a time with `O_NOFOLLOW`, so
/// that a symbolic link planted in a shared directory cannot turn a root write
/// into one elsewhere (`/tmp/x/evil -> /etc`, then `write-file /tmp/x/evil/passwd`).
///
/// A link is followed only when root owns it **and** the directory holding it
/// is not world-writable: stricter than `fs.protected_symlinks`, which also
/// trusts a link owned by the directory's owner. Every other link is refused
/// with a message naming it and the rule. Each step holds a descriptor of the
/// directory reached (`O_PATH`), and the final system call is made relative to
/// it (`openat`, `mkdirat`, `unlinkat`, a mount on `/proc/self/fd/N`), so a
/// link swapped in after the check is never followed either.
public enum SafePath {
    /// open(2)'s O_PATH (a descriptor that only names a file), not exported to Swift.
    public static let O_PATH: Int32 = 0o10000000

    /// Links followed while resolving one path, as the kernel's own limit.
    static let maximumLinks = 40

    /// Where a walk ended: the directory holding the last component (an
    /// `O_PATH` descriptor the caller closes) and that component's name.
    /// `name` is `.` when the path names the directory itself (`/`, `a/..`).
    public struct Location {
        public var directory: Int32
        public var name: String
        /// The path of `directory` as walked (physical: trusted links resolved).
        public var directoryPath: String

        public var path: String {
            name == "." ? directoryPath : (directoryPath == "/" ? "/" + name : directoryPath + "/" + name)
        }
    }

    /// Walks every component of `path` but the last, which is returned unresolved
    /// unless `followLast` (then a trusted link there is followed too, so the name
    /// returned is never a link wds would follow). With `createDirectories`, a
    /// missing directory on the way is made (0755), as `mkdir --parents` does.
    /// With `missingIsLexical`, a missing component ends the walk and the rest is
    /// only joined as text (`realpath -m`); the location's `directory` is then -1.
    public static func locate(_ path: String, followLast: Bool, createDirectories: Bool = false, missingIsLexical: Bool = false,
                       at location: SourceRange) throws -> Location {
        guard !path.isEmpty else {
            throw CommandFailure("an empty path names no file", at: location)
        }
        var pending = components(path)
        var directoryPath = path.hasPrefix("/") ? "/" : currentDirectory()
        var directory = open(path.hasPrefix("/") ? "/" : ".", O_PATH | O_DIRECTORY | O_CLOEXEC)
        guard directory >= 0 else { throw failure("cannot open '\(directoryPath)'", errno, at: location) }
        var linksFollowed = 0
        func fail(_ error: CommandFailure) -> CommandFailure {
            close(directory)
            return error
        }
        walk: while let name = pending.first {
            let isLast = pending.count == 1
            if isLast && !followLast && name != ".." { break walk }
            pending.removeFirst()
            if name == ".." {
                let parent = openat(directory, "..", O_PATH | O_DIRECTORY | O_CLOEXEC)
                guard parent >= 0 else { throw fail(failure("cannot open '\(directoryPath)/..'", errno, at: location)) }
                close(directory)
                directory = parent
                directoryPath = Paths.directory(directoryPath)
                continue
            }
            let shown = join(directoryPath, name)
            var child = openat(directory, name, O_PATH | O_NOFOLLOW | O_CLOEXEC)
            if child < 0 && errno == ENOENT && createDirectories && !isLast {
                if mkdirat(directory, name, 0o755) != 0 && errno != EEXIST {
                    throw fail(failure("cannot create directory '\(shown)'", errno, at: location))
                }
                child = openat(directory, name, O_PATH | O_NOFOLLOW | O_CLOEXEC)
            }
            if child < 0 && errno == ENOENT && isLast {
                pending.insert(name, at: 0)
                break walk
            }
            if child < 0 && errno == ENOENT && missingIsLexical {
                directoryPath = lexical(directoryPath, [name] + pending)
                close(directory)
                return Location(directory: -1, name: ".", directoryPath: directoryPath)
            }
            guard child >= 0 else { throw fail(unreachable(path, shown, errno, at: location)) }
            var info = stat()
            guard fstat(child, &info) == 0 else {
                let code = errno
                close(child)
                throw fail(failure("cannot examine '\(shown)'", code, at: location))
            }
            switch info.st_mode & S_IFMT {
            case S_IFDIR where isLast:
                // The last component is named from its parent, whatever it is (a mount point to unmount).
                close(child)
                pending.insert(name, at: 0)
                break walk
            case S_IFDIR:
                close(directory)
                directory = child
                directoryPath = shown
            case S_IFLNK:
                defer { close(child) }
                if let refusal = refusal(link: shown, owner: info.st_uid, in: directory, directoryPath: directoryPath, at: location) {
                    throw fail(refusal)
                }
                linksFollowed += 1
                guard linksFollowed <= maximumLinks, let target = readLink(child) else {
                    throw fail(CommandFailure("cannot resolve '\(path)': more than \(maximumLinks) symbolic links, or an unreadable one at '\(shown)'",
                                              at: location))
                }
                if target.hasPrefix("/") {
                    let root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)
                    guard root >= 0 else { throw fail(failure("cannot open '/'", errno, at: location)) }
                    close(directory)
                    directory = root
                    directoryPath = "/"
                }
                pending = components(target) + pending
            default:
                close(child)
                if isLast {
                    pending.insert(name, at: 0)
                    break walk
                }
                throw fail(unreachable(path, shown, ENOTDIR, at: location))
            }
        }
        return Location(directory: directory, name: pending.first ?? ".", directoryPath: directoryPath)
    }

    /// Why a link may not be followed, as a failure; nil when root owns it in a
    /// directory that is not world-writable.
    static func refusal(link: String, owner: uid_t, in directory: Int32, directoryPath: String,
                        at location: SourceRange) -> CommandFailure? {
        var info = stat()
        let worldWritable = fstat(directory, &info) != 0 || (info.st_mode & S_IWOTH) != 0
        guard owner != 0 || worldWritable else { return nil }
        let why: String
        switch (owner != 0, worldWritable) {
        case (true, true): why = "owned by uid \(owner) in world-writable \(directoryPath)"
        case (true, false): why = "owned by uid \(owner), not root"
        default: why = "in world-writable \(directoryPath)"
        }
        return CommandFailure("refusing to follow symlink \(link) (\(why))", at: location,
                              hint: "wds writes through a symbolic link only when root owns it and its directory is not world-writable; name the link's target instead")
    }

    /// Opens the file a path names for writing, creating it with `mode` when
    /// `flags` has O_CREAT. The last component is never followed (O_NOFOLLOW);
    /// with `followLast`, a trusted link there is resolved first (locks).
    public static func openFile(_ path: String, flags: Int32, mode: mode_t = 0o644, followLast: Bool,
                         at location: SourceRange) throws -> (fd: Int32, errno: Int32) {
        let place = try locate(path, followLast: followLast, at: location)
        defer { close(place.directory) }
        let fd = openat(place.directory, place.name, flags | O_NOFOLLOW | O_CLOEXEC, mode)
        return (fd, fd < 0 ? errno : 0)
    }

    /// An `O_PATH` descriptor of what `path` names, every link on the way
    /// (the last one too) followed only if trusted: a mount's target or source.
    /// A last component that cannot be opened is answered with its errno (-1 and the code).
    public static func openObject(_ path: String, at location: SourceRange) throws -> (fd: Int32, errno: Int32) {
        let place = try locate(path, followLast: true, at: location)
        defer { close(place.directory) }
        let fd = openat(place.directory, place.name, O_PATH | O_NOFOLLOW | O_CLOEXEC)
        return (fd, fd < 0 ? errno : 0)
    }

    /// `realpath -m`: `.`, `..` and trusted links resolved, missing components
    /// joined as text. An untrusted link on the way is refused, as for a write.
    public static func canonical(_ path: String, at location: SourceRange) throws -> String {
        let place = try locate(path, followLast: true, missingIsLexical: true, at: location)
        if place.directory >= 0 { close(place.directory) }
        return place.path
    }

    // MARK: Helpers

    static func components(_ path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).map(String.init).filter { $0 != "." }
    }

    static func join(_ directory: String, _ name: String) -> String {
        directory == "/" ? "/" + name : directory + "/" + name
    }

    /// Joins the rest of a path as text once a component is missing; `..` removes one.
    static func lexical(_ directory: String, _ rest: [String]) -> String {
        var path = directory
        for name in rest {
            path = name == ".." ? Paths.directory(path) : join(path, name)
        }
        return path
    }

    static func readLink(_ fd: Int32) -> String? {
        var buffer = [CChar](repeating: 0, count: 4097)
        let length = readlinkat(fd, "", &buffer, 4096)
        guard length > 0 else { return nil }
        return String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func currentDirectory() -> String {
        var buffer = [CChar](repeating: 0, count: 4097)
        guard getcwd(&buffer, 4096) != nil else { return "." }
        let end = buffer.firstIndex(of: 0) ?? buffer.count
        return String(decoding: buffer[..<end].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// A component on the way to `path` that is missing, not a directory, or not allowed.
    static func unreachable(_ path: String, _ component: String, _ code: Int32, at location: SourceRange) -> CommandFailure {
        let why: String
        switch code {
        case ENOENT: why = "'\(component)' does not exist"
        case ENOTDIR: why = "'\(component)' is not a directory"
        default: why = "\(errnoMessage(code)) at '\(component)'"
        }
        return CommandFailure("cannot reach '\(path)': \(why)", at: location, status: exitStatus(forErrno: code))
    }

    static func failure(_ message: String, _ code: Int32, at location: SourceRange) -> CommandFailure {
        CommandFailure.system(message, code, at: location)
    }
}
