import Lexer

/// A family of host changes that wds holds and sends to the kernel as one
/// transaction (iptables today, nftables next). The run keeps the script's
/// order by committing every open batch before an effect of any other family,
/// a program, a lock or the end of the run; a failure drops what is open.
public protocol TransactionalFamily: AnyObject {
    /// The family's name, as its effects give it (`Effect.batchFamily`).
    var name: String { get }
    var hasPendingChanges: Bool { get }
    /// Sends the open batch to the kernel. A refusal is thrown at the statement that caused it.
    func commit(_ context: RunContext) throws
    /// Drops the open batch and releases what it holds (a failure ended the run).
    func abandon(_ context: RunContext)
    /// Forgets what it read of the host: something wds cannot see (a program,
    /// another script, another REPL entry) may have changed it.
    func forgetHost()
    /// Where the open batch stands, to come back to when a caught failure is undone.
    func savepoint() -> FamilySavepoint
    /// Drops what the batch gained since `savepoint`. The journal has already
    /// undone what was committed since; the batch re-opens with what it held then.
    func rollBack(to savepoint: FamilySavepoint)
}

/// A family's own mark in its open batch: which commit it was in, and how far.
public struct FamilySavepoint: Sendable {
    public var generation: Int
    public var count: Int
    /// How many simulated commits came before (trace, plan).
    public var simulatedCount: Int
    public init(generation: Int, count: Int, simulatedCount: Int = 0) {
        self.generation = generation
        self.count = count
        self.simulatedCount = simulatedCount
    }
}

/// What the run has done to the host, in order, with how to undo each step.
/// A failure undoes the steps since the last point of no return, latest
/// first (a program ran, a file was removed: nothing before it can be put
/// back exactly); a failure that `||`, `try`, `if` or `!` catches undoes the
/// steps of the statement that failed (a savepoint).
public final class Journal {
    public struct Step {
        /// The command that undoes it, for messages (`rmdir /tmp/x`).
        public var undoDescription: String
        public var undo: () throws -> Void
        public var location: SourceRange
    }

    public private(set) var steps: [Step] = []
    /// Only a run whose changes are real keeps a journal (trace and plan change nothing to undo).
    public let enabled: Bool
    /// The last step that cannot be undone and came after changes: those are gone from the journal.
    public private(set) var pointOfNoReturn: (what: String, location: SourceRange)?

    public init(enabled: Bool = false) { self.enabled = enabled }

    public func record(undo description: String, at location: SourceRange, _ undo: @escaping () throws -> Void) {
        guard enabled else { return }
        steps.append(Step(undoDescription: description, undo: undo, location: location))
    }

    /// Only where it drops undoable steps does it matter to say so later.
    public func recordPointOfNoReturn(_ what: String, at location: SourceRange) {
        guard enabled, !steps.isEmpty else { return }
        forgotten += steps.count
        steps.removeAll()
        pointOfNoReturn = (what, location)
    }

    /// How many steps a point of no return dropped: a mark counts them too, so a
    /// savepoint taken before a point of no return still names the steps after it.
    private var forgotten = 0
    /// Where the journal stands, for `rollBack(to:)`.
    public var mark: Int { forgotten + steps.count }

    /// Undoes the steps after `mark`, latest first; returns the ones that could not be undone.
    @discardableResult
    public func rollBack(to mark: Int = 0) -> [(step: Step, error: Error)] {
        var failed: [(Step, Error)] = []
        while steps.count > max(mark - forgotten, 0) {
            let step = steps.removeLast()
            do { try step.undo() } catch { failed.append((step, error)) }
        }
        return failed
    }
}

/// Where a run stands, to undo a caught failure back to.
public struct Savepoint {
    var journal: Int
    var families: [FamilySavepoint]
    /// Where a simulated host (trace, plan) stood: it has no journal to undo.
    var host: SimulatedSavepoint?
    /// Which came later, this or a point of no return (`RunContext.notePointOfNoReturn`).
    var serial: Int
}

extension RunContext {
    public func register(_ family: TransactionalFamily) {
        if !transactionalFamilies.contains(where: { $0 === family }) { transactionalFamilies.append(family) }
    }

    /// Commits every open batch (but `family`'s own): before another family's effect, a program, a lock, the end of the run.
    public func commitOpenBatches(except family: String? = nil) throws {
        for open in transactionalFamilies where open.hasPendingChanges && open.name != family { try open.commit(self) }
    }

    public func abandonOpenBatches() {
        for family in transactionalFamilies { family.abandon(self) }
    }

    /// What the run knows of the host may be stale now.
    public func forgetHost() {
        for family in transactionalFamilies { family.forgetHost() }
    }

    /// Drops every family's model and state (the REPL switching between trace and run:
    /// what a trace simulated must never be taken for the host).
    public func resetHostModels() {
        for family in transactionalFamilies { family.abandon(self) }
        transactionalFamilies = []
        storage = [:]
    }

    public func savepoint() -> Savepoint {
        savepointSerial += 1
        return Savepoint(journal: journal.mark, families: transactionalFamilies.map { $0.savepoint() },
                         host: (host as? SimulatedChanges)?.savepoint(), serial: savepointSerial)
    }

    /// A change no undo can take back was made (a program ran, a file was removed): a caught
    /// failure's rollback goes back no further than here, in the families' models and a simulated
    /// host as in the journal (which forgets its own steps before it).
    public func notePointOfNoReturn() {
        noReturn = savepoint()
    }

    /// A failed run: a simulated host (trace) forgets what the run changed since it began or its
    /// last point of no return, as the journal undoes a real run's changes.
    public func rollBackSimulation() {
        (host as? SimulatedChanges)?.rollBack(to: noReturn?.host ?? SimulatedSavepoint(changes: 0, models: nil), at: nil)
    }

    /// Undoes everything since `savepoint`, but not past the last point of no return: committed
    /// steps through the journal, open batches in place.
    /// `location`: the statement that failed, where a trace prints what undoes it.
    public func rollBack(to savepoint: Savepoint, at location: SourceRange? = nil) -> [(step: Journal.Step, error: Error)] {
        let failed = journal.rollBack(to: savepoint.journal)
        let target = noReturn.map { $0.serial > savepoint.serial ? $0 : savepoint } ?? savepoint
        for (family, mark) in zip(transactionalFamilies, target.families) { family.rollBack(to: mark) }
        if let mark = target.host { (host as? SimulatedChanges)?.rollBack(to: mark, at: location) }
        return failed
    }
}
