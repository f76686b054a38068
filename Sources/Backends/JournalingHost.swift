import Interpreter
import Lexer

/// Wraps the real host for `wds run`: before each change it reads what the
/// change will overwrite and records in the run's journal how to put it back,
/// so a failed run can leave the host as it found it. Changes that cannot be
/// undone exactly (a program, another script, a removal) are points of no
/// return: the journal forgets what came before. Each family effect says
/// itself how it is undone (`FamilyEffect.undo`: files, mounts, sysctls,
/// programs, links…); the host's own cases left are reads, output and locks;
/// iptables batches record their own undo (the inverse restore payload).
public final class JournalingHost: Host {
    let inner: Host
    let journal: Journal

    public init(_ inner: Host, journal: Journal) {
        self.inner = inner
        self.journal = journal
    }

    public func perform(_ effect: Effect, at location: SourceRange) throws -> EffectResult {
        switch effect {
        case .family(let wrapped):
            switch try wrapped.effect.undo(at: location) {
            case .nothing:
                return try inner.perform(effect, at: location)
            case .effects(let undo, let description):
                let result = try inner.perform(effect, at: location)
                journal.record(undo: description, at: location) { [inner] in
                    for step in undo.reversed() { _ = try inner.perform(.family(step), at: location) }
                }
                return result
            case .steps(let steps):
                let result = try inner.perform(effect, at: location)
                for step in steps {
                    journal.record(undo: step.description, at: location) { [inner] in _ = try inner.perform(.family(step.effect), at: location) }
                }
                return result
            case .pointOfNoReturn(let what):
                let result = try inner.perform(effect, at: location)
                journal.recordPointOfNoReturn(what, at: location)
                return result
            }
        case .readFile, .fileInfo, .listDirectory, .readSysctl, .mountTable, .route, .canonicalPath, .processTable,
             .probeProgram, .print:
            // Reads and output.
            return try inner.perform(effect, at: location)
        }
    }
}
