import Lexer

/// Where a compiled use of a variable last found it: the scope (by `Scope.id`)
/// that held it itself, and its place there. In a loop whose body defines
/// nothing, every round runs in the same scope, so each use after the first
/// goes straight to the variable. A scope's places never change and no scope
/// can come between a scope and its own variable, so a match is always right;
/// anything else (a variable of an enclosing scope, a new scope each round)
/// takes the ordinary lookup by name.
final class VariableCache {
    var scopeID = -1
    var place = 0

    func remember(_ name: String, in scope: Scope) {
        if let place = scope.place(of: name) {
            scopeID = scope.id
            self.place = place
        }
    }
}

extension Compiler {
    /// `$name.field…`: what `lookup` does.
    static func variable(_ name: String, fields: [String], range: SourceRange) -> Compiled.Expression {
        // `$1`… are the script's arguments, not variables: no place to remember.
        if let first = name.utf8.first, first <= UInt8(ascii: "9"), Int(name) != nil {
            return { interpreter, scope in try interpreter.lookup(name, fields: fields, range: range, in: scope) }
        }
        let cache = VariableCache()
        return { interpreter, scope in
            var value: Value
            if scope.id == cache.scopeID {
                let slot = scope.slots[cache.place]
                if slot.fromProbe { interpreter.readProbeDerivedValue = true }
                value = slot.value
            } else {
                value = try interpreter.lookup(name, fields: [], range: range, in: scope)
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
        let cache = VariableCache()
        return { interpreter, scope in
            let (result, fromProbe) = try interpreter.watchingProbes { try value(interpreter, scope) }
            let probed = fromProbe || interpreter.probeDepth > 0
            if scope.id == cache.scopeID {
                try scope.replace(at: cache.place, result, fromProbe: probed, at: range)
                return .empty
            }
            if try !scope.assign(name.name, result, fromProbe: probed, at: range) {
                throw Diagnostic("assignment to undefined variable '\(name.name)'", at: name.range,
                                 hint: "define it first with `let \(name.name) = …`")
            }
            cache.remember(name.name, in: scope)
            return .empty
        }
    }
}
