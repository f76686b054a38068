/// Variables of one block or function call. `let` defines in the innermost
/// scope; assignment changes the nearest scope that has the name.
final class Scope {
    private var values: [String: Value] = [:]
    /// Names whose value came from reading the host (a probe), directly or not.
    private var probeDerived: Set<String> = []
    let parent: Scope?

    init(parent: Scope?) {
        self.parent = parent
    }

    func lookup(_ name: String) -> Value? {
        var scope: Scope? = self
        while let current = scope {
            if let value = current.values[name] { return value }
            scope = current.parent
        }
        return nil
    }

    func define(_ name: String, _ value: Value, fromProbe: Bool = false) {
        values[name] = value
        if fromProbe { probeDerived.insert(name) } else { probeDerived.remove(name) }
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
    func assign(_ name: String, _ value: Value, fromProbe: Bool = false) -> Bool {
        var scope: Scope? = self
        while let current = scope {
            if current.values[name] != nil {
                current.values[name] = value
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
