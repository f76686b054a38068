import Lexer

/// Variables of one block or function call. `let` defines in the innermost
/// scope; assignment changes the nearest scope that has the name. Every scope
/// of a run shares one `ValueBudget`: what its variables hold counts against
/// wds's limit on the memory of values until the scope ends.
final class Scope {
    private var values: [String: Value] = [:]
    /// The size of each value (Limits.size), kept so a replacement costs only its own.
    private var sizes: [String: Int] = [:]
    private var bytes = 0
    /// Names whose value came from reading the host (a probe), directly or not.
    private var probeDerived: Set<String> = []
    let parent: Scope?
    let budget: ValueBudget

    init(parent: Scope?) {
        self.parent = parent
        self.budget = parent?.budget ?? ValueBudget()
    }

    deinit { budget.held -= bytes }

    func lookup(_ name: String) -> Value? {
        var scope: Scope? = self
        while let current = scope {
            if let value = current.values[name] { return value }
            scope = current.parent
        }
        return nil
    }

    /// Defines `name` here; refused (a diagnostic at `range`) past the limit on all values.
    func define(_ name: String, _ value: Value, fromProbe: Bool = false, at range: SourceRange? = nil) throws {
        try store(name, value, at: range)
        if fromProbe { probeDerived.insert(name) } else { probeDerived.remove(name) }
    }

    private func store(_ name: String, _ value: Value, at range: SourceRange?) throws {
        let size = Limits.size(of: value)
        let delta = size - (sizes[name] ?? 0)
        try budget.admit(delta, at: range)
        values[name] = value
        sizes[name] = size
        bytes += delta
    }

    func isFromProbe(_ name: String) -> Bool {
        var scope: Scope? = self
        while let current = scope {
            if current.values[name] != nil { return current.probeDerived.contains(name) }
            scope = current.parent
        }
        return false
    }

    /// False when no enclosing scope has the name.
    func assign(_ name: String, _ value: Value, fromProbe: Bool = false, at range: SourceRange? = nil) throws -> Bool {
        var scope: Scope? = self
        while let current = scope {
            if current.values[name] != nil {
                try current.store(name, value, at: range)
                if fromProbe { current.probeDerived.insert(name) } else { current.probeDerived.remove(name) }
                return true
            }
            scope = current.parent
        }
        return false
    }

    var names: [String] {
        Array(values.keys) + (parent?.names ?? [])
    }
}

/// Non-local exits, carried as Swift errors through the tree walk.
enum ControlFlow: Error {
    case returned(Value)
    case breakLoop
    case continueLoop
    case exit(Int32)
}
