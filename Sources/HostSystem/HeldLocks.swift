#if canImport(Glibc)
import Glibc
#endif
import Interpreter
import Lexer

/// The flocks one run holds, by the identity of their file (device and inode).
/// flock(2) locks an open file description: a second open of a file this
/// process has locked would wait for itself for ever. So taking a lock the run
/// already holds — a nested `lock` of the same file however it is spelled, or
/// a `lock` of the iptables lock the run took for its transaction (or the
/// transaction taking a lock a `lock` block holds) — is re-entrant: it counts,
/// and the file is unlocked when the last holder lets go.
///
/// The table is the process's (`shared`), as flock(2)'s own table is: a
/// `lock` block and a family effect's `perform` (the iptables transaction
/// lock) take and release their locks in it without a host instance.
public final class HeldLocks: @unchecked Sendable {
    public struct Identity: Hashable, Sendable {
        var device: UInt64
        var inode: UInt64
    }

    /// Every flock this process holds.
    public static let shared = HeldLocks()

    private var held: [Identity: (fd: Int32, holders: Int)] = [:]
    private var mutex = pthread_mutex_t()

    init() { pthread_mutex_init(&mutex, nil) }

    private func locked<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return body()
    }

    /// Takes the lock on `path` (waiting up to `timeoutSeconds`, or as long as it
    /// takes), or counts one more holder if the run already has it.
    public func acquire(_ path: String, timeoutSeconds: Int?, at location: SourceRange) throws -> Identity {
        // A lock file is created like any write: no untrusted link on the way, the last one included.
        let (fd, code) = try SafePath.openFile(path, flags: O_WRONLY | O_CREAT | O_APPEND, followLast: true, at: location)
        guard fd >= 0 else {
            throw CommandFailure("cannot open lock file '\(path)': \(errnoMessage(code))", at: location, status: exitStatus(forErrno: code))
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let code = errno
            close(fd)
            throw CommandFailure("cannot examine lock file '\(path)': \(errnoMessage(code))", at: location)
        }
        let identity = Identity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
        let counted: Bool = locked {
            guard let entry = held[identity] else { return false }
            held[identity] = (entry.fd, entry.holders + 1)
            return true
        }
        if counted {
            close(fd)
            return identity
        }
        // Waited for outside the table's mutex: a wait as long as it takes keeps no one else from letting go.
        try Locks.lock(fd, path, timeoutSeconds: timeoutSeconds, at: location)
        locked { held[identity] = (fd, 1) }
        return identity
    }

    /// One holder lets go; the file is unlocked (closed) when none is left.
    public func release(_ identity: Identity) {
        locked {
            guard let entry = held[identity] else { return }
            if entry.holders > 1 {
                held[identity] = (entry.fd, entry.holders - 1)
            } else {
                close(entry.fd)
                held[identity] = nil
            }
        }
    }

    /// The descriptor holding the lock (a child that must keep it inherits it).
    public func descriptor(_ identity: Identity) -> Int32? { locked { held[identity]?.fd } }
}

/// flock(2) with a timeout, as `flock -w N` does.
enum Locks {
    /// Without a timeout it waits as long as it takes, as plain `flock` does.
    /// On failure `fd` is closed.
    static func lock(_ fd: Int32, _ path: String, timeoutSeconds: Int?, at location: SourceRange) throws {
        guard let timeoutSeconds else {
            while flock(fd, LOCK_EX) != 0 {
                guard errno == EINTR else {
                    let code = errno
                    close(fd)
                    throw CommandFailure("cannot lock '\(path)': \(errnoMessage(code))", at: location)
                }
            }
            return
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
    }
}
