#if canImport(Glibc)
import Glibc
#endif
import Interpreter
import Lexer

/// The effects of the nftables family. Reads (`nft -j list …`) are probes;
/// a change a statement makes is staged (printed by the trace as a comment,
/// performed by no one); the batch is one commit (`nft -f -` with the
/// batch as input); the lock every batching run holds from its first read
/// to its commit is taken and released like iptables'.
enum NftEffects {
    static let family = "nftables"

    /// Reads effects back from a saved plan.
    static func decode(kind: String, fields: JSON) -> (any FamilyEffect)? {
        switch kind {
        case "nft-list":
            guard let words = fields["command"]?.arrayValue?.compactMap(\.stringValue) else { return nil }
            return NftListEffect(words: words, terse: fields["terse"] == .bool(true))
        case "nft-netlink":
            guard let question = fields["question"]?.stringValue, let words = fields["words"]?.arrayValue?.compactMap(\.stringValue) else {
                return nil
            }
            return NftNetlinkEffect(question: question, words: words)
        case "nft-staged":
            guard let command = fields["command"]?.stringValue else { return nil }
            return NftStagedEffect(command: command)
        case "nft-commit":
            guard let payload = fields["payload"]?.stringValue else { return nil }
            return NftCommitEffect(payload: payload, json: fields["json"] == .bool(true))
        case "nft-lock", "nft-unlock":
            guard let path = fields["path"]?.stringValue else { return nil }
            if kind == "nft-unlock" { return NftUnlockEffect(path: path) }
            guard case .number(let timeout)? = fields["timeout"] else { return nil }
            return NftLockEffect(path: path, timeoutSeconds: Int(timeout))
        default:
            return nil
        }
    }

    /// Runs nft commands in this process; a host without libnftables fails with status 4.
    static func run(_ commands: String, flags: UInt32, at location: SourceRange) throws -> Libnftables.Outcome {
        do {
            return try Libnftables.run(commands, flags: flags)
        } catch let unavailable as Libnftables.Unavailable {
            throw CommandFailure("nftables is not available: \(unavailable.reason)", at: location, status: ExitStatus.missingProgram,
                                 hint: "install the nftables package")
        }
    }
}

/// `nft -j list table|chain|set|map|tables …` (or `nft -t list …`, terse, for
/// what JSON leaves out: a set's auto-merge). Answered with `.process`; the
/// packet counters and the expiry of set elements, which change by
/// themselves, are zeroed and dropped so that a plan's fingerprint of the
/// answer holds while traffic flows.
struct NftListEffect: FamilyEffect {
    var words: [String]
    var terse = false

    var family: String { NftEffects.family }
    var kind: String { "nft-list" }
    var isMutation: Bool { false }
    var argv: [String] { ["nft", terse ? "-t" : "-j", "list"] + words }
    var fields: JSON { .object([("command", .array(words.map(JSON.string))), ("terse", .bool(terse))]) }

    func perform(at location: SourceRange) throws -> EffectResult {
        let outcome = try NftEffects.run("list " + words.joined(separator: " "),
                                         flags: terse ? Libnftables.outputTerse : Libnftables.outputJSON, at: location)
        let output = terse ? outcome.output : NftListing.stable(outcome.output)
        return .process(status: outcome.status, standardOutput: output, standardError: outcome.error)
    }

    func undo(at location: SourceRange) throws -> FamilyUndo { .nothing }
}

/// A change the run's nftables batch recorded: printed by the trace, performed by no one.
struct NftStagedEffect: FamilyEffect {
    var command: String

    var family: String { NftEffects.family }
    var kind: String { "nft-staged" }
    var isMutation: Bool { true }
    var argv: [String] { ["nft", command] }
    var fields: JSON { .object([("command", .string(command))]) }

    func perform(at location: SourceRange) throws -> EffectResult { .done }
    func undo(at location: SourceRange) throws -> FamilyUndo { .nothing }

    func traceLine(format: String, place: String) -> String? {
        switch format {
        case "text", "restore": return "# nft: \(command)  # \(place)"
        case "nft": return ""  // the commit below holds it, at its line
        default: return nil
        }
    }
}

/// One nftables transaction: the batch as `nft -f -` reads it (with `json`,
/// as `nft -j -f -` does: an undo batch, which adds back rules exactly as the
/// kernel printed them). The system answers `.process`: status 0, or the
/// refusal; a backend that reaches no kernel (trace) answers `.done`. (No
/// `--echo` for the handles of new rules: with it nft 1.0.6 reads its whole
/// cache, 110 ms instead of 15 on a table of 6000 chains; they are read over
/// netlink afterwards.)
struct NftCommitEffect: FamilyEffect {
    var payload: String
    var json = false

    var family: String { NftEffects.family }
    var kind: String { "nft-commit" }
    var isMutation: Bool { true }
    var argv: [String] { json ? ["nft", "-j", "-f", "-"] : ["nft", "-f", "-"] }
    var shellCommand: String { "\(shellLine(argv)) <<'WDS_NFT'\n\(payload)WDS_NFT" }
    var fields: JSON { .object([("payload", .string(payload)), ("json", .bool(json))]) }

    func perform(at location: SourceRange) throws -> EffectResult {
        // JSON output with text input makes libnftables 1.0.6 apply nothing: no output flags for a text batch.
        let outcome = try NftEffects.run(payload, flags: json ? Libnftables.outputJSON : 0, at: location)
        return .process(status: outcome.status, standardOutput: outcome.output, standardError: outcome.error)
    }

    // The transaction journals its own undo after the commit (it needs the handles the kernel gave).
    func undo(at location: SourceRange) throws -> FamilyUndo { .nothing }

    func traceLine(format: String, place: String) -> String? {
        switch format {
        case "nft":
            return "# commit  # \(place)\n" + (json ? "# (an undo batch in JSON)\n" : "") + payload.dropLast()
        case "text", "restore":
            // The place on the first line: the here-document's end must stand alone on its line.
            return "\(shellLine(argv)) <<'WDS_NFT'  # \(place)\n\(payload)WDS_NFT"
        default:
            return nil
        }
    }
}

/// The flock every batching wds run holds from its first read of the nftables ruleset to its commit.
struct NftLockEffect: FamilyEffect {
    var path: String
    var timeoutSeconds: Int

    var family: String { NftEffects.family }
    var kind: String { "nft-lock" }
    var isMutation: Bool { true }
    var argv: [String] { ["flock", "-w", String(timeoutSeconds), path] }
    var fields: JSON { .object([("path", .string(path)), ("timeout", .number(Double(timeoutSeconds)))]) }
    var inSandbox: SandboxPolicy { .perform }

    func perform(at location: SourceRange) throws -> EffectResult {
        try NftLockFile.acquire(path, timeoutSeconds: timeoutSeconds, at: location)
        return .done
    }

    func undo(at location: SourceRange) throws -> FamilyUndo { .nothing }

    func traceLine(format: String, place: String) -> String? {
        format == "json" ? nil : "# \(kind): \(shellLine(argv))  # \(place)"
    }
}

struct NftUnlockEffect: FamilyEffect {
    var path: String

    var family: String { NftEffects.family }
    var kind: String { "nft-unlock" }
    var isMutation: Bool { true }
    var argv: [String] { ["flock", "-u", path] }
    var fields: JSON { .object([("path", .string(path))]) }

    func perform(at location: SourceRange) throws -> EffectResult {
        NftLockFile.release()
        return .done
    }

    func undo(at location: SourceRange) throws -> FamilyUndo { .nothing }

    func traceLine(format: String, place: String) -> String? {
        format == "json" ? nil : "# \(kind): \(shellLine(argv))  # \(place)"
    }
}

/// The descriptor that holds the nftables lock while the run has it.
enum NftLockFile {
    nonisolated(unsafe) static var held: Int32?

    static func acquire(_ path: String, timeoutSeconds: Int, at location: SourceRange) throws {
        guard held == nil else { return }
        if let slash = path.lastIndex(of: "/"), slash != path.startIndex {
            _ = mkdir(String(path[..<slash]), 0o755)
        }
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw CommandFailure("cannot open the nftables lock '\(path)': \(String(cString: strerror(errno)))", at: location)
        }
        var waited = 0
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR, waited < timeoutSeconds * 20 else {
                close(fd)
                throw CommandFailure("the nftables lock '\(path)' was not free within \(timeoutSeconds)s (another wds run holds it)",
                                     at: location, status: ExitStatus.lockTimeout)
            }
            usleep(50_000)
            waited += 1
        }
        held = fd
    }

    static func release() {
        if let fd = held { close(fd) }
        held = nil
    }
}
