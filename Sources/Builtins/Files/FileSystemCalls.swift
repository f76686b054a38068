#if canImport(Glibc)
import Glibc
#endif
import HostSystem
import Interpreter
import Lexer

/// The system calls the files family makes (moved here from the system
/// host). Every path is walked as SafePath walks it: a link wds does not
/// trust is never followed, and the final call is made relative to the
/// directory reached.
enum FileSystemCalls {

    /// Reads all of a descriptor; nil on an error.
    static func readAll(_ fd: Int32) -> [UInt8]? {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR { continue } else { return nil } }
            if n == 0 { return bytes }
            bytes += chunk[0..<n]
        }
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Int32? {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR { continue } else { return errno } }
            offset += n
        }
        return nil
    }

    static func copyFile(_ source: String, to destination: String, at location: SourceRange) throws {
        let (input, code) = try SafePath.openFile(source, flags: O_RDONLY, followLast: true, at: location)
        guard input >= 0 else { throw CommandFailure.system("cannot open '\(source)'", code, at: location) }
        defer { close(input) }
        var info = stat()
        guard fstat(input, &info) == 0 else { throw CommandFailure.system("cannot read '\(source)'", errno, at: location) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw CommandFailure("'\(source)' is not a file; copy-file copies files", at: location) }
        guard let bytes = readAll(input) else { throw CommandFailure.system("cannot read '\(source)'", errno, at: location) }
        let (output, openCode) = try SafePath.openFile(destination, flags: O_WRONLY | O_CREAT | O_TRUNC, mode: 0o600,
                                                       followLast: false, at: location)
        guard output >= 0 else { throw CommandFailure.system("cannot open '\(destination)' for writing", openCode, at: location) }
        defer { close(output) }
        if let code = writeAll(output, bytes) { throw CommandFailure.system("cannot write '\(destination)'", code, at: location) }
        guard fchown(output, info.st_uid, info.st_gid) == 0 else { throw CommandFailure.system("cannot give '\(destination)' its owner", errno, at: location) }
        guard fchmod(output, info.st_mode & 0o7777) == 0 else { throw CommandFailure.system("cannot give '\(destination)' its mode", errno, at: location) }
    }

    /// Written beside PATH, flushed, then renamed over it: a reader sees the old file or the new one, never half.
    static func replaceFile(_ path: String, _ contents: String, at location: SourceRange) throws {
        let place = try SafePath.locate(path, followLast: false, at: location)
        defer { close(place.directory) }
        let beside = "." + place.name + ".wds-new"
        unlinkat(place.directory, beside, 0)
        let fd = openat(place.directory, beside, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw CommandFailure.system("cannot create '\(ReplayLine.besideName(path))'", errno, at: location) }
        var renamed = false
        defer {
            close(fd)
            if !renamed { unlinkat(place.directory, beside, 0) }
        }
        if let code = writeAll(fd, Array(contents.utf8)) { throw CommandFailure.system("cannot write '\(path)'", code, at: location) }
        var old = stat()
        if fstatat(place.directory, place.name, &old, AT_SYMLINK_NOFOLLOW) == 0 {
            guard (old.st_mode & S_IFMT) == S_IFREG else {
                throw CommandFailure("'\(path)' is not a file (a link or a directory); replace-file replaces files", at: location)
            }
            guard fchown(fd, old.st_uid, old.st_gid) == 0, fchmod(fd, old.st_mode & 0o7777) == 0 else {
                throw CommandFailure.system("cannot give the new '\(path)' the old one's mode and owner", errno, at: location)
            }
        }
        guard fsync(fd) == 0 else { throw CommandFailure.system("cannot write '\(path)'", errno, at: location) }
        guard renameat(place.directory, beside, place.directory, place.name) == 0 else {
            throw CommandFailure.system("cannot rename '\(ReplayLine.besideName(path))' to '\(path)'", errno, at: location)
        }
        renamed = true
    }

    static func setMode(_ path: String, _ mode: UInt32, at location: SourceRange) throws {
        let place = try SafePath.locate(path, followLast: true, at: location)
        defer { close(place.directory) }
        guard fchmodat(place.directory, place.name, mode_t(mode), 0) == 0 else {
            throw CommandFailure.system("cannot change the mode of '\(path)'", errno, at: location)
        }
    }

    static func setOwner(_ path: String, _ owner: UInt32?, _ group: UInt32?, at location: SourceRange) throws {
        let place = try SafePath.locate(path, followLast: true, at: location)
        defer { close(place.directory) }
        guard fchownat(place.directory, place.name, owner ?? UInt32.max, group ?? UInt32.max, AT_SYMLINK_NOFOLLOW) == 0 else {
            throw CommandFailure.system("cannot change the owner of '\(path)'", errno, at: location)
        }
    }

    /// `rm -rf` that never follows a link and never crosses into another mounted file system.
    static func removeTree(_ path: String, at location: SourceRange) throws {
        let place = try SafePath.locate(path, followLast: false, at: location)
        defer { close(place.directory) }
        var info = stat()
        guard fstatat(place.directory, place.name, &info, AT_SYMLINK_NOFOLLOW) == 0 else {
            if errno == ENOENT { return }
            throw CommandFailure.system("cannot remove '\(path)'", errno, at: location)
        }
        try removeEntry(place.directory, place.name, path, device: info.st_dev, at: location)
    }

    private static func removeEntry(_ directory: Int32, _ name: String, _ path: String, device: UInt, at location: SourceRange) throws {
        var info = stat()
        guard fstatat(directory, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else {
            if errno == ENOENT { return }
            throw CommandFailure.system("cannot remove '\(path)'", errno, at: location)
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            guard info.st_dev == device else {
                throw CommandFailure("'\(path)' is another mounted file system; unmount it before removing the tree", at: location,
                                     hint: "`unmount --recursive` unmounts every mount below a path, deepest first")
            }
            let fd = openat(directory, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard fd >= 0, let stream = fdopendir(fd) else { throw CommandFailure.system("cannot open '\(path)'", errno, at: location) }
            defer { closedir(stream) }
            var names: [String] = []
            while let entry = readdir(stream) {
                let child = withUnsafePointer(to: entry.pointee.d_name) {
                    $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
                }
                if child != "." && child != ".." { names.append(child) }
            }
            for child in names { try removeEntry(dirfd(stream), child, path + "/" + child, device: device, at: location) }
            guard unlinkat(directory, name, AT_REMOVEDIR) == 0 || errno == ENOENT else {
                throw CommandFailure.system("cannot remove directory '\(path)'", errno, at: location)
            }
        } else {
            guard unlinkat(directory, name, 0) == 0 || errno == ENOENT else { throw CommandFailure.system("cannot remove '\(path)'", errno, at: location) }
        }
    }

    /// rmdir(2), relative to the directory reached without untrusted links (SafePath), as every write.
    static func removeDirectory(_ path: String, at location: SourceRange) throws {
        let place = try SafePath.locate(path, followLast: false, at: location)
        defer { close(place.directory) }
        guard unlinkat(place.directory, place.name, AT_REMOVEDIR) == 0 else {
            throw CommandFailure.system("cannot remove directory '\(path)'", errno, at: location)
        }
    }

    /// unlink(2); a file already gone is no error.
    static func removeFile(_ path: String, at location: SourceRange) throws {
        let place = try SafePath.locate(path, followLast: false, at: location)
        defer { close(place.directory) }
        guard unlinkat(place.directory, place.name, 0) == 0 || errno == ENOENT else {
            throw CommandFailure.system("cannot remove '\(path)'", errno, at: location)
        }
    }
}
