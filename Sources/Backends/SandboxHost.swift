#if canImport(Glibc)
import Glibc
#endif
import HostSystem
import Interpreter
import Lexer

/// The host of a sandbox run (`wds run --sandbox`, and a script it starts
/// with `run-script`): the real system, inside a container of its own (see
/// `Sandbox`), where the kernel, not wds, keeps the script from the host. It
/// only turns what a user-namespace container cannot make into a note
/// instead of a failure, so the rest of the script can be seen: a sysctl
/// outside the network namespace (global to the machine, or not writable
/// from a user namespace), a mount the kernel refuses there (a new cgroup v1
/// hierarchy, a remount of a host file system), a resource limit above the
/// hard one. Each family says which of its effects those are
/// (`FamilyEffect.inSandbox`); this host only carries out what it says. Each
/// note, and each sysctl the script set, goes to the journal
/// (`WDS_SANDBOX_JOURNAL`) that the report reads, so a `run-script` child's
/// notes are shown too.
public final class SandboxHost: Host {
    let inner: Host
    let journal: String?

    public init(_ inner: Host, journal: String? = SandboxHost.journalFromEnvironment) {
        self.inner = inner
        self.journal = journal
    }

    public static var journalFromEnvironment: String? {
        getenv("WDS_SANDBOX_JOURNAL").map { String(cString: $0) }
    }

    public func perform(_ effect: Effect, at location: SourceRange) throws -> EffectResult {
        switch effect {
        case .family(let wrapped):
            // The family says what a user-namespace sandbox cannot make.
            switch wrapped.effect.inSandbox {
            case .perform:
                return try inner.perform(effect, at: location)
            case .notSimulated(let reason):
                record(.object([("notSimulated", .string(wrapped.effect.shellCommand)), ("reason", .string(reason)),
                                ("location", .string(location.shortLocation))]))
                return .done
            case .notSimulatedIfRefused(let reason, let alsoDenied):
                return try notSimulatedIfRefused(effect, at: location, reason: reason, also: alsoDenied ? EACCES : EPERM)
            case .kernelParameter(let key, let value):
                return try setKernelParameter(key, value, effect, at: location)
            }
        case .readFile, .fileInfo, .listDirectory, .readSysctl, .mountTable, .route, .probeProgram, .canonicalPath, .processTable,
             .print:
            // Inside its namespaces, as on the host: the kernel keeps them from the host.
            return try inner.perform(effect, at: location)
        }
    }

    /// A kernel parameter set by `effect`: noted with its value before and after, and set only if it
    /// belongs to the sandbox's own network namespace (`net.*`); the others are the machine's.
    func setKernelParameter(_ key: String, _ value: String, _ effect: Effect, at location: SourceRange) throws -> EffectResult {
        var before = ""
        if case .text(let text)? = try? inner.perform(.readSysctl(key: key), at: location) { before = text.trimmingBlanks }
        let namespaced = key.hasPrefix("net.")
        if namespaced { _ = try inner.perform(effect, at: location) }
        record(.object([("sysctl", .string(key)), ("before", .string(before)), ("after", .string(value.trimmingBlanks)),
                        ("applied", .bool(namespaced))]))
        return .done
    }

    /// Performs the effect; if the kernel refuses it with EPERM (what a user namespace gets where
    /// the host's root would not), notes it as not simulated and goes on.
    func notSimulatedIfRefused(_ effect: Effect, at location: SourceRange, reason: String, also: Int32 = EPERM) throws -> EffectResult {
        do {
            return try inner.perform(effect, at: location)
        } catch let failure as CommandFailure
                    where failure.message.hasSuffix(errnoMessage(EPERM)) || failure.message.hasSuffix(errnoMessage(also)) {
            record(.object([("notSimulated", .string(effect.shellCommand)), ("reason", .string(reason)),
                            ("location", .string(location.shortLocation))]))
            return .done
        }
    }

    func record(_ entry: JSON) {
        guard let journal else { return }
        let fd = open(journal, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        Spawn.writeAll(fd, Array((entry.serialized + "\n").utf8))
        close(fd)
    }
}

extension String {
    var trimmingBlanks: String {
        let blank: (Character) -> Bool = { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }
        return String(drop(while: blank).reversed().drop(while: blank).reversed())
    }
}
