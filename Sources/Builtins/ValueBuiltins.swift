import Interpreter
import Lexer

/// Records, numbers and text beyond the basics: what ports wrote helper
/// functions (or `sh -c`) for. Pure: none of them touches the host.
enum ValueBuiltins {
    static let specs: [BuiltinSpec] = recordSpecs + numberSpecs + textSpecs

    // MARK: - Records

    static func record(_ call: Invocation, _ index: Int = 0) throws -> Record {
        guard case .record(let record) = call.positionals[index] else {
            throw Diagnostic("expected a record, got a \(call.positionals[index].typeName)", at: call.range(ofPositional: index),
                             hint: "records come from load-config, rules, mounts, route and the like")
        }
        return record
    }

    static let recordSpecs: [BuiltinSpec] = [
        BuiltinSpec("has-field", summary: "Whether RECORD has a field NAME (a key of a load-config file, say).",
                    parameters: [Parameter("record", .anyValue), Parameter("name")],
                    example: "if has-field $config POOL_SIZE { … }") { call in
            .boolean(try record(call)[try call.text(1)] != nil)
        },
        BuiltinSpec("keys", summary: "The names of RECORD's fields, in order.",
                    parameters: [Parameter("record", .anyValue)], example: "for key in $(keys $config) { echo $key }") { call in
            .list(try record(call).names.map(Value.string))
        },
        BuiltinSpec("field", summary: "The field NAME of RECORD, the name computed; DEFAULT when it has none. Without a default, a missing field is a failure (try catches it).",
                    parameters: [Parameter("record", .anyValue), Parameter("name"), Parameter("default", .anyValue, optional: true)],
                    example: "let size = $(field $config \"${kind}_SIZE\" 256)") { call in
            let found = try record(call), name = try call.text(1)
            if let value = found[name] { return value }
            if call.positionals.count > 2 { return call.positionals[2] }
            throw call.fail("record has no field '\(name)'",
                            hint: Suggestions.didYouMean(name, in: found.names) ?? "fields: \(found.names.joined(separator: ", "))")
        },
    ]

    // MARK: - Numbers

    static func arithmetic(_ name: String, summary: String, example: String,
                           _ operation: @escaping @Sendable (Int, Int) -> (Int, Bool)?) -> BuiltinSpec {
        BuiltinSpec(name, summary: summary, parameters: [Parameter("a", .integer), Parameter("b", .integer)], example: example) { call in
            let (a, b) = (try call.integer(0), try call.integer(1))
            guard let (result, overflow) = operation(a, b) else {
                throw call.fail("'\(name)' by zero", hint: "test the divisor first: `if $b != 0 { … }`")
            }
            if overflow { throw call.fail("'\(name)' overflowed") }
            return .integer(result)
        }
    }

    static let numberSpecs: [BuiltinSpec] = [
        arithmetic("subtract", summary: "A minus B.", example: "let left = $(subtract $total $used)") { $0.subtractingReportingOverflow($1) },
        arithmetic("multiply", summary: "A times B.", example: "let bytes = $(multiply $megabytes 1048576)") { $0.multipliedReportingOverflow(by: $1) },
        arithmetic("divide", summary: "A divided by B, rounded toward zero (as the shell's $(( a / b ))); dividing by zero is a failure.",
                   example: "let half = $(divide $count 2)") { $1 == 0 ? nil : $0.dividedReportingOverflow(by: $1) },
        arithmetic("remainder", summary: "What is left of A after dividing by B, with A's sign (the shell's $(( a % b ))); by zero is a failure.",
                   example: "if $(remainder $n 2) == 0 { echo even }") { $1 == 0 ? nil : $0.remainderReportingOverflow(dividingBy: $1) },
        BuiltinSpec("min", summary: "The smallest of whole numbers.", parameters: [Parameter("a", .integer)], rest: Parameter("more", .integer),
                    example: "let workers = $(min $cpus 8)") { call in
            .integer(try call.positionals.indices.map { try call.integer($0) }.min()!)
        },
        BuiltinSpec("max", summary: "The largest of whole numbers.", parameters: [Parameter("a", .integer)], rest: Parameter("more", .integer),
                    example: "let size = $(max $requested 64)") { call in
            .integer(try call.positionals.indices.map { try call.integer($0) }.max()!)
        },
        BuiltinSpec("is-number", summary: "Whether VALUE is a whole number (as `<` and `add` take it), such as a value from the environment.",
                    parameters: [Parameter("value", .anyValue)], example: "if ! is-number $port { fail \"not a port: $port\" }") { call in
            .boolean(call.positionals[0].integerValue != nil)
        },
    ]

    // MARK: - Text

    /// The characters of TEXT from START (0 is the first; a negative START counts from the end), LENGTH of them or to the end.
    static func substring(_ text: String, start: Int, length: Int?) -> String? {
        let characters = Array(text)
        let from = start < 0 ? characters.count + start : start
        guard from >= 0, from <= characters.count else { return nil }
        if let length, length < 0 { return nil }
        let to = min(length.map { from + $0 } ?? characters.count, characters.count)
        return String(characters[from..<to])
    }

    static let textSpecs: [BuiltinSpec] = [
        BuiltinSpec("if-empty", summary: "VALUE, or FALLBACK when VALUE is empty (an empty text or list): the shell's ${x:-default}, which treats empty like unset.",
                    parameters: [Parameter("value", .anyValue), Parameter("fallback", .anyValue)],
                    example: "let pool = $(if-empty $(env POOL_NETWORK \"\") 10.254.0.0/22)") { call in
            switch call.positionals[0] {
            case .string(""), .list([]): return call.positionals[1]
            default: return call.positionals[0]
            }
        },
        BuiltinSpec("substring", summary: "LENGTH characters of TEXT from START (0 is the first; a negative START counts from the end), or all from START to the end: the shell's ${x:START:LENGTH}. A LENGTH past the end stops there; a START outside the text is a failure.",
                    parameters: [Parameter("text"), Parameter("start", .integer), Parameter("length", .integer, optional: true)],
                    example: "let short = $(substring $id 0 8)") { call in
            let text = try call.text(0), start = try call.integer(1)
            let length = call.positionals.count > 2 ? try call.integer(2) : nil
            guard let result = substring(text, start: start, length: length) else {
                throw call.fail("'substring' from \(start)\(length.map { " for \($0)" } ?? "") is outside a text of \(text.count) characters")
            }
            return .string(result)
        },
        BuiltinSpec("char", summary: "The character at INDEX of TEXT (0 is the first; -1 the last); outside the text is a failure.",
                    parameters: [Parameter("text"), Parameter("index", .integer)], example: "if $(char $path 0) != \"/\" { fail \"not absolute\" }") { call in
            let text = try call.text(0), index = try call.integer(1)
            let characters = Array(text)
            let at = index < 0 ? characters.count + index : index
            guard at >= 0, at < characters.count else { throw call.fail("index \(index) is outside a text of \(characters.count) characters") }
            return .string(String(characters[at]))
        },
        BuiltinSpec("index-of", summary: "Where PART first starts in TEXT, counting characters from 0; -1 when it is not there.",
                    parameters: [Parameter("text"), Parameter("part")], example: "let colon = $(index-of $address \":\")") { call in
            let text = try call.text(0), part = try call.text(1)
            guard let found = Substring(text).range(of: part) else { return .integer(-1) }
            return .integer(text.distance(from: text.startIndex, to: found.lowerBound))
        },
        BuiltinSpec("upper", summary: "TEXT in upper case.", parameters: [Parameter("text")], example: "let name = $(upper $chain)") { call in
            .string(try call.text(0).uppercased())
        },
        BuiltinSpec("lower", summary: "TEXT in lower case.", parameters: [Parameter("text")], example: "let proto = $(lower $proto)") { call in
            .string(try call.text(0).lowercased())
        },
        BuiltinSpec("sha256", summary: "The SHA-256 of TEXT (its UTF-8 bytes), as 64 hexadecimal digits: `printf %s TEXT | sha256sum`.",
                    parameters: [Parameter("text")], example: "let tag = $(substring $(sha256 $handle) 0 12)") { call in
            .string(SHA256.hex(try call.text(0)))
        },
    ]
}
