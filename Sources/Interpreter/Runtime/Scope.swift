import Lexer

/// Variables of one block or function call. `let` defines in the innermost
/// scope; assignment changes the nearest scope that has the name. Every scope
/// of a run shares one `ValueBudget`: what its variables hold counts against
/// wds's limit on the memory of values until the scope ends.
///
/// A variable keeps its place (`index`) in its scope for the scope's life, and
/// every scope of a run has its own `id`: a compiled use of a variable
/// remembers both, and reads or assigns it again without hashing its name
/// (Compiler, `VariableCache`).
final class Scope {
    /// One variable: its value, the value's size (Limits.size, kept so a
    /// replacement costs only its own), and whether it came from reading the
    /// host (a probe), directly or not. One entry, so a use hashes the name once.
    struct Slot {
        var value: Value
        var size: Int
        var fromProbe: Bool
    }

    /// Each variable's place in `slots`; a name is never removed, so a place never changes.
    private var places: [String: Int] = [:]
    private(set) var slots: ContiguousArray<Slot> = []
    private var bytes = 0
    let parent: Scope?
    let budget: ValueBudget
    /// Unique among the scopes of a run (they share `budget`, which counts them).
    let id: Int

    init(parent: Scope?) {
        self.parent = parent
        self.budget = parent?.budget ?? ValueBudget()
        id = budget.scopesMade
        budget.scopesMade += 1
    }

    deinit { budget.held -= bytes }

    func lookup(_ name: String) -> Value? {
        find(name)?.value
    }

    /// The variable `name` in the nearest scope that has it.
    func find(_ name: String) -> Slot? {
        var scope: Scope? = self
        while let current = scope {
            // A block's scope is usually empty: no name to hash there.
            if !current.places.isEmpty, let place = current.places[name] { return current.slots[place] }
            scope = current.parent
        }
        return nil
    }

    /// Where `name` is in this scope itself (not an enclosing one), if it is here.
    func place(of name: String) -> Int? {
        places.isEmpty ? nil : places[name]
    }

    /// Defines `name` here; refused (a diagnostic at `range`) past the limit on all values.
    func define(_ name: String, _ value: Value, fromProbe: Bool = false, at range: SourceRange? = nil) throws {
        if let place = places[name] {
            try replace(at: place, value, fromProbe: fromProbe, at: range)
            return
        }
        let size = Limits.size(of: value)
        try budget.admit(size, at: range)
        places[name] = slots.count
        var all = takeSlots()
        all.append(Slot(value: value, size: size, fromProbe: fromProbe))
        slots = all
        bytes += size
    }

    /// `slots`, moved out (left empty) to be changed and stored back. Every
    /// access to `slots` is then a plain load or store, never a change in
    /// place (which may call out to copy the array): the optimizer can see
    /// that no two overlap and drops their run-time exclusivity checks, one
    /// per variable read or assignment otherwise.
    private func takeSlots() -> ContiguousArray<Slot> {
        let all = slots
        slots = []
        return all
    }

    /// Replaces the variable at `place` in this scope: no hash of its name.
    func replace(at place: Int, _ value: Value, fromProbe: Bool, at range: SourceRange?) throws {
        let size = Limits.size(of: value)
        let delta = size - slots[place].size
        try budget.admit(delta, at: range)
        var all = takeSlots()
        all[place] = Slot(value: value, size: size, fromProbe: fromProbe)
        slots = all
        bytes += delta
    }

    func isFromProbe(_ name: String) -> Bool {
        find(name)?.fromProbe ?? false
    }

    /// False when no enclosing scope has the name.
    func assign(_ name: String, _ value: Value, fromProbe: Bool = false, at range: SourceRange? = nil) throws -> Bool {
        var scope: Scope? = self
        while let current = scope {
            if !current.places.isEmpty, let place = current.places[name] {
                try current.replace(at: place, value, fromProbe: fromProbe, at: range)
                return true
            }
            scope = current.parent
        }
        return false
    }

    var names: [String] {
        Array(places.keys) + (parent?.names ?? [])
    }
}

/// Non-local exits, carried as Swift errors through the tree walk.
enum ControlFlow: Error {
    case returned(Value)
    case breakLoop
    case continueLoop
    case exit(Int32)
}
