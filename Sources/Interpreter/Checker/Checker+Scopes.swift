import Lexer

/// The checker's model of the scopes the run makes: which names each open
/// scope has (for the diagnostics of undefined variables) and at which slot
/// the run will keep each (for Resolutions).
extension Checker {
    func isDefined(_ name: String) -> Bool { scopes.contains { $0.contains(name) } }
    var visibleNames: [String] { scopes.flatMap { $0 } }

    mutating func define(_ name: String) {
        scopes[scopes.count - 1].insert(name)
        let last = layouts.count - 1
        if layouts[last] != nil && layouts[last]![name] == nil { layouts[last]![name] = layouts[last]!.count }
    }

    /// A scope the run makes, holding `names` first (a loop's variable, a function's parameters, a caught error).
    mutating func withScope(_ names: [String] = [], _ body: (inout Checker) -> Void) {
        scopes.append(Set(names))
        layouts.append(Checker.layout(names))
        body(&self)
        scopes.removeLast()
        layouts.removeLast()
    }

    /// Names at the places their first definitions give them.
    static func layout(_ names: [String]) -> [String: Int] {
        var places: [String: Int] = [:]
        for name in names where places[name] == nil { places[name] = places.count }
        return places
    }

    /// Records where the variable used (or assigned) at `range` lives: the
    /// nearest open scope that has it, as the lookup by name will find it.
    mutating func resolveVariable(_ name: String, at range: SourceRange) {
        guard let resolutions else { return }
        var resolution = Resolutions.Variable.unresolved
        for (hops, names) in scopes.reversed().enumerated() where names.contains(name) {
            if let place = layouts[scopes.count - 1 - hops]?[name] { resolution = .slot(hops: hops, index: place) }
            break
        }
        resolutions.record(resolution, at: range.start)
    }
}
