import Lexer

/// Variables of one block or function call. `let` defines in the innermost
/// scope; assignment changes the nearest scope that has the name. Every scope
/// of a run shares one `ValueBudget`: what its variables hold counts against
/// wds's limit on the memory of values until the scope ends.
final class Scope {
    /// One variable: its value, the value's size (Limits.size, kept so a
    /// replacement costs only its own), and whether it came from reading the
    /// host (a probe), directly or not. One table, so a use hashes the name once.
    struct Slot {
        var value: Value
        var size: Int
        var fromProbe: Bool
    }

    private var slots: [String: Slot] = [:]
    private var bytes = 0
    let parent: Scope?
    let budget: ValueBudget

    init(parent: Scope?) {
        self.parent = parent
        self.budget = parent?.budget ?? ValueBudget()
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
            if !current.slots.isEmpty, let slot = current.slots[name] { return slot }
            scope = current.parent
        }
        return nil
    }

    /// Defines `name` here; refused (a diagnostic at `range`) past the limit on all values.
    func define(_ name: String, _ value: Value, fromProbe: Bool = false, at range: SourceRange? = nil) throws {
        try store(name, value, fromProbe: fromProbe, previousSize: slots[name]?.size ?? 0, at: range)
    }

    private func store(_ name: String, _ value: Value, fromProbe: Bool, previousSize: Int, at range: SourceRange?) throws {
        let size = Limits.size(of: value)
        let delta = size - previousSize
        try budget.admit(delta, at: range)
        slots[name] = Slot(value: value, size: size, fromProbe: fromProbe)
        bytes += delta
    }

    /// Replaces the variable at `index` of `slots` (found by the caller): no second hash of the name.
    private func replace(at index: Dictionary<String, Slot>.Index, _ value: Value, fromProbe: Bool, at range: SourceRange?) throws {
        let size = Limits.size(of: value)
        let delta = size - slots.values[index].size
        try budget.admit(delta, at: range)
        slots.values[index] = Slot(value: value, size: size, fromProbe: fromProbe)
        bytes += delta
    }

    func isFromProbe(_ name: String) -> Bool {
        find(name)?.fromProbe ?? false
    }

    /// False when no enclosing scope has the name.
    func assign(_ name: String, _ value: Value, fromProbe: Bool = false, at range: SourceRange? = nil) throws -> Bool {
        var scope: Scope? = self
        while let current = scope {
            if !current.slots.isEmpty, let index = current.slots.index(forKey: name) {
                try current.replace(at: index, value, fromProbe: fromProbe, at: range)
                return true
            }
            scope = current.parent
        }
        return false
    }

    var names: [String] {
        Array(slots.keys) + (parent?.names ?? [])
    }
}

/// Non-local exits, carried as Swift errors through the tree walk.
enum ControlFlow: Error {
    case returned(Value)
    case breakLoop
    case continueLoop
    case exit(Int32)
}
