import Lexer

extension Interpreter {
    /// The value of an expression that stands alone (a `let`, a list element).
    func evaluate(_ expression: Expression, in scope: Scope) throws -> Value {
        switch expression.kind {
        case .word(let parts):
            return try evaluateWord(parts, range: expression.range, in: scope)
        case .list(let elements):
            let list = Value.list(try evaluateArguments(elements, in: scope))
            try Limits.check(list, at: expression.range)
            return list
        case .spread:
            throw Diagnostic("a spread '...' only makes sense among a command's arguments or in a list", at: expression.range)
        }
    }

    /// Arguments as values; a spread contributes each item of its list.
    func evaluateArguments(_ expressions: [Expression], in scope: Scope) throws -> [Value] {
        var values: [Value] = []
        for expression in expressions {
            if case .spread(let inner) = expression.kind {
                let value = try evaluate(inner, in: scope)
                guard case .list(let items) = value else {
                    throw Diagnostic("only a list can be spread, got a \(value.typeName)", at: inner.range)
                }
                values += items
            } else {
                values.append(try evaluate(expression, in: scope))
            }
        }
        return values
    }

    func evaluateText(_ expression: Expression, in scope: Scope, what: String) throws -> String {
        let value = try evaluate(expression, in: scope)
        guard let text = value.text else {
            throw Diagnostic("the \(what) must be text, got a \(value.typeName)", at: expression.range)
        }
        return text
    }

    /// A word alone keeps the type of its only piece (`$route` stays a record,
    /// `42` is an integer); pieces written together are joined as text.
    func evaluateWord(_ parts: [WordPart], range: SourceRange, in scope: Scope) throws -> Value {
        if parts.count == 1 {
            switch parts[0].kind {
            case .literal(let text, let quoted):
                if !quoted {
                    if text == "true" { return .boolean(true) }
                    if text == "false" { return .boolean(false) }
                    if let n = Interpreter.canonicalInteger(text) { return .integer(n) }
                }
                return .string(text)
            case .variable(let name, let fields):
                return try lookup(name, fields: fields, range: parts[0].range, in: scope)
            case .substitution(let pipeline):
                return try capture(pipeline, in: scope)
            }
        }
        var text = ""
        for part in parts {
            let value: Value
            switch part.kind {
            case .literal(let literal, _):
                try Limits.checkValue(bytes: text.utf8.count + literal.utf8.count, at: range)
                text += literal
                continue
            case .variable(let name, let fields):
                value = try lookup(name, fields: fields, range: part.range, in: scope)
            case .substitution(let pipeline):
                value = try capture(pipeline, in: scope)
            }
            guard let piece = value.text else {
                throw Diagnostic("a \(value.typeName) cannot be joined into text", at: part.range,
                                 hint: value.typeName == "list" ? "use $(join $list \" \")" : "pick a field, such as ${name.field}")
            }
            // Checked before the text is made: "$s$s" in a loop doubles until it cannot be allocated.
            try Limits.checkValue(bytes: text.utf8.count + piece.utf8.count, at: range)
            text += piece
        }
        return .string(text)
    }

    /// The whole number a literal spells in its one canonical form (`42`,
    /// `-7`, `0`; not `+1`, `007` or `-0`, which stay text), without making a
    /// string to compare: the same answer as `text == String(Int(text)!)`.
    static func canonicalInteger(_ text: String) -> Int? {
        let utf8 = text.utf8
        guard var i = utf8.first else { return nil }
        if i == UInt8(ascii: "-") {
            guard utf8.count > 1 else { return nil }
            i = utf8[utf8.index(after: utf8.startIndex)]
            guard i >= UInt8(ascii: "1") && i <= UInt8(ascii: "9") else { return nil }
        } else {
            guard i >= UInt8(ascii: "0") && i <= UInt8(ascii: "9") else { return nil }
            if i == UInt8(ascii: "0") && utf8.count > 1 { return nil }
        }
        return Int(text)
    }

    /// `$name.field…` in the tree walk: at the slot the checker placed it in
    /// when that slot holds it (Scope.resolved), else by name.
    func lookup(_ name: String, fields: [String], range: SourceRange, in scope: Scope) throws -> Value {
        guard let (hops, index) = resolvedVariable(at: range), let holder = scope.resolved(name, hops: hops, index: index) else {
            return try lookupByName(name, fields: fields, range: range, in: scope)
        }
        let slots = holder.slots
        if slots[index].fromProbe { readProbeDerivedValue = true }
        var value = slots[index].value
        for field in fields {
            value = try self.field(field, of: value, range: range)
        }
        return value
    }

    /// `$name.field…` found by its name in the scopes out from `scope`, or the script's argument `$1`….
    func lookupByName(_ name: String, fields: [String], range: SourceRange, in scope: Scope) throws -> Value {
        var value: Value
        // Only a name that starts like a number can be one ($1…); the others skip the parse.
        if let first = name.utf8.first, first <= UInt8(ascii: "9"), let position = Int(name) {
            guard position >= 1, position <= context.arguments.count else {
                throw CommandFailure("script argument $\(name) was not given", at: range,
                                     hint: "the script got \(context.arguments.count) argument(s); test $argc first")
            }
            value = .string(context.arguments[position - 1])
        } else {
            variableLookupsByName += 1
            guard let found = scope.find(name) else {
                throw Diagnostic("undefined variable '\(name)'", at: range,
                                 hint: Suggestions.didYouMean(name, in: scope.names))
            }
            if found.fromProbe { readProbeDerivedValue = true }
            value = found.value
        }
        for field in fields {
            value = try self.field(field, of: value, range: range)
        }
        return value
    }

    func field(_ field: String, of value: Value, range: SourceRange) throws -> Value {
        switch value {
        case .record(let record):
            guard let found = record[field] else {
                // A failure, not a mistake: config files have optional keys, and `try` or `has-field` handle them.
                throw CommandFailure("record has no field '\(field)'", at: range,
                                 hint: Suggestions.didYouMean(field, in: record.names) ?? "fields: \(record.names.joined(separator: ", "))")
            }
            return found
        case .list(let items):
            switch field {
            case "count": return .integer(items.count)
            case "first": return items.first ?? .empty
            case "last": return items.last ?? .empty
            default:
                throw Diagnostic("a list has no field '\(field)' (it has count, first, last)", at: range)
            }
        default:
            throw Diagnostic("a \(value.typeName) has no field '\(field)'", at: range,
                             hint: "for a literal dot after a variable, write ${name}.\(field)")
        }
    }

    /// `$( … )`: the value of the command.
    func capture(_ pipeline: Pipeline, in scope: Scope) throws -> Value {
        switch pipeline.kind {
        case .command(let command):
            return try call(command, in: scope, captured: true)
        default:
            return .boolean(try test(pipeline, in: scope))
        }
    }
}
