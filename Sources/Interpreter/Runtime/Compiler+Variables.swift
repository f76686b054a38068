import Lexer

/// Where a compiled use of a variable last found it: the scope (by `Scope.id`)
/// that held it itself, and its place there. In a loop whose body defines
/// nothing, every round runs in the same scope, so each use after the first
/// goes straight to the variable. A scope's places never change and no scope
/// can come between a scope and its own variable, so a match is always right;
/// anything else (a variable of an enclosing scope, a new scope each round)
/// takes the place the checker gave the use (`VariablePlace`), or the
/// ordinary lookup by name. Checked first, it spares a use in the same scope
/// as its variable even the check of the checker's place.
final class VariableCache {
    var scopeID = -1
    var place = 0

    func remember(_ name: String, in scope: Scope) {
        if let place = scope.place(of: name) {
            scopeID = scope.id
            self.place = place
        }
    }

    /// After `Scope.resolved` found the variable at `place` of `scope` itself.
    @inline(__always)
    func remember(_ place: Int, in scope: Scope, hops: Int) {
        if hops == 0 {
            scopeID = scope.id
            self.place = place
        }
    }
}

/// Where the checker placed a compiled use's variable (Resolutions), read
/// from the interpreter on the use's first run: the place is the same on
/// every run of the use.
final class VariablePlace {
    var read = false
    var hops = 0
    /// -1: not placed.
    var index = -1

    @inline(__always)
    func scope(for name: String, at range: SourceRange, from scope: Scope, _ interpreter: Interpreter) -> Scope? {
        if !read {
            read = true
            if let (hops, index) = interpreter.resolvedVariable(at: range) { (self.hops, self.index) = (hops, index) }
        }
        return index < 0 ? nil : scope.resolved(name, hops: hops, index: index)
    }
}

extension Compiler {
    /// `$name.field…`: what `lookup` does.
    static func variable(_ name: String, fields: [String], range: SourceRange) -> Compiled.Expression {
        // `$1`… are the script's arguments, not variables: no place to remember.
        if let first = name.utf8.first, first <= UInt8(ascii: "9"), Int(name) != nil {
            return { interpreter, scope in try interpreter.lookupByName(name, fields: fields, range: range, in: scope) }
        }
        let placed = VariablePlace()
        let cache = VariableCache()
        return { interpreter, scope in
            var value: Value
            if scope.id == cache.scopeID {
                let slots = scope.slots
                if slots[cache.place].fromProbe { interpreter.readProbeDerivedValue = true }
                value = slots[cache.place].value
            } else if let holder = placed.scope(for: name, at: range, from: scope, interpreter) {
                let slots = holder.slots
                if slots[placed.index].fromProbe { interpreter.readProbeDerivedValue = true }
                value = slots[placed.index].value
                cache.remember(placed.index, in: scope, hops: placed.hops)
            } else {
                value = try interpreter.lookupByName(name, fields: [], range: range, in: scope)
                cache.remember(name, in: scope)
            }
            for field in fields {
                value = try interpreter.field(field, of: value, range: range)
            }
            return value
        }
    }

    /// `name = value`: what `executeStatement` does for an assignment.
    static func assignment(_ name: Identifier, _ expression: Expression, range: SourceRange) -> Compiled.Statement {
        let value = self.expression(expression)
        let placed = VariablePlace()
        let cache = VariableCache()
        return { interpreter, scope in
            let (result, fromProbe) = try interpreter.watchingProbes { try value(interpreter, scope) }
            let probed = fromProbe || interpreter.probeDepth > 0
            if scope.id == cache.scopeID {
                try scope.replace(at: cache.place, result, fromProbe: probed, at: range)
                return .empty
            }
            if let holder = placed.scope(for: name.name, at: name.range, from: scope, interpreter) {
                try holder.replace(at: placed.index, result, fromProbe: probed, at: range)
                cache.remember(placed.index, in: scope, hops: placed.hops)
                return .empty
            }
            interpreter.variableLookupsByName += 1
            if try !scope.assign(name.name, result, fromProbe: probed, at: range) {
                throw Diagnostic("assignment to undefined variable '\(name.name)'", at: name.range,
                                 hint: "define it first with `let \(name.name) = …`")
            }
            cache.remember(name.name, in: scope)
            return .empty
        }
    }
}
