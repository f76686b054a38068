import Lexer

/// Variables of one block or function call. `let` defines in the innermost
/// scope; assignment changes the nearest scope that has the name. Every scope
/// of a run shares one `ValueBudget`: what its variables hold counts against
/// wds's limit on the memory of values until the scope ends.
///
/// A variable keeps its place (`index`) in its scope for the scope's life,
/// with its name beside it. The checker works out each use's place before the
/// run (Resolutions), and the run goes there without hashing the name when
/// `resolved` says it may. Every scope of a run has its own `id` too: a
/// compiled use the checker did not place remembers where it found its
/// variable, and reads or assigns it there again (Compiler, `VariableCache`).
final class Scope {
    /// One variable: its value, the value's size (Limits.size, kept so a
    /// replacement costs only its own), and whether it came from reading the
    /// host (a probe), directly or not. One entry, so a use hashes the name once.
    struct Slot {
        var value: Value
        var size: Int
        var fromProbe: Bool
        /// The variable's name, kept beside it: a use the checker placed here
        /// (Resolutions) checks it before it trusts the place.
        let name: String
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
        all.append(Slot(value: value, size: size, fromProbe: fromProbe, name: name))
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
        all[place].value = value
        all[place].size = size
        all[place].fromProbe = fromProbe
        slots = all
        bytes += delta
    }

    /// The scope `hops` out that holds `name` at `index`, where the checker
    /// placed a use of it (Resolutions) — only when that is the very variable
    /// the lookup by name (`find`, `assign`) would reach; nil sends the use
    /// to that lookup.
    ///
    /// Why a scope returned here is always the lookup's answer: the lookup
    /// takes the nearest scope that has the name. Every scope passed on the
    /// way out is checked not to have it (a scan of its few slots' names,
    /// none for an empty one), and the scope reached has it at `index`; a
    /// scope has a name at one place only. So the scope returned is the
    /// nearest with the name, whatever the checker believed: a resolution
    /// that is wrong (the REPL's global scope, which grows line by line; a
    /// mistake in the checker's mirror of the run's scopes) can only miss and
    /// be slow, never find another variable. The scan of the scopes passed
    /// is what excludes an inner scope holding the name at run time while the
    /// checker believed it did not; in a correct mirror it never finds one,
    /// as a block's, loop round's or call's scope is made fresh and defines
    /// its names in the order the checker walked them.
    @inline(__always)
    func resolved(_ name: String, hops: Int, index: Int) -> Scope? {
        var scope = self
        var remaining = hops
        while remaining > 0 {
            let passed = scope.slots
            var place = 0
            while place < passed.count {
                if passed[place].name == name { return nil }
                place += 1
            }
            guard let parent = scope.parent else { return nil }
            scope = parent
            remaining -= 1
        }
        guard index < scope.slots.count, scope.slots[index].name == name else { return nil }
        return scope
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
