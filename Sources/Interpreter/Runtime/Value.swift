/// A wds value. A value is always exactly one argument when it reaches a
/// command: there is no word splitting, and a list becomes several arguments
/// only through an explicit spread (`...$list`).
public enum Value: Sendable, Equatable, CustomStringConvertible {
    case string(String)
    case integer(Int)
    case boolean(Bool)
    case list([Value])
    case record(Record)

    public static let empty = Value.string("")

    /// The text form of a scalar; `nil` for lists and records, which have none.
    public var text: String? {
        switch self {
        case .string(let s): return s
        case .integer(let i): return String(i)
        case .boolean(let b): return b ? "true" : "false"
        case .list, .record: return nil
        }
    }

    public var typeName: String {
        switch self {
        case .string: return "string"
        case .integer: return "whole number"  // reads right after "a": "got a whole number"
        case .boolean: return "boolean"
        case .list: return "list"
        case .record: return "record"
        }
    }

    /// An integer, also from text such as "42" read from the environment.
    public var integerValue: Int? {
        switch self {
        case .integer(let i): return i
        case .string(let s): return Int(s)
        default: return nil
        }
    }

    /// Truth for conditions: booleans and the strings "true"/"false".
    public var booleanValue: Bool? {
        switch self {
        case .boolean(let b): return b
        case .string("true"): return true
        case .string("false"): return false
        default: return nil
        }
    }

    /// How the REPL and `echo` show a value.
    public var description: String {
        switch self {
        case .string(let s): return s
        case .integer, .boolean: return text!
        case .list(let items): return "[" + items.map { $0.quotedForDisplay }.joined(separator: " ") + "]"
        case .record(let record): return record.description
        }
    }

    var quotedForDisplay: String {
        if case .string(let s) = self, s.isEmpty || s.contains(where: { $0 == " " || $0 == "\"" || $0 == "]" }) {
            return "\"" + s.replacingAll("\\", with: "\\\\").replacingAll("\"", with: "\\\"") + "\""
        }
        return description
    }
}

/// Named fields in a fixed order (a route, a mount, a parsed config file).
public struct Record: Sendable, Equatable, CustomStringConvertible {
    public private(set) var fields: [(name: String, value: Value)]

    public init(_ fields: [(String, Value)] = []) {
        self.fields = fields.map { (name: $0.0, value: $0.1) }
    }

    public subscript(name: String) -> Value? {
        get { fields.first { $0.name == name }?.value }
        set {
            if let index = fields.firstIndex(where: { $0.name == name }) {
                if let newValue { fields[index].value = newValue } else { fields.remove(at: index) }
            } else if let newValue {
                fields.append((name, newValue))
            }
        }
    }

    public var names: [String] { fields.map(\.name) }

    public var description: String {
        "{" + fields.map { "\($0.name): \($0.value.quotedForDisplay)" }.joined(separator: ", ") + "}"
    }

    public static func == (a: Record, b: Record) -> Bool {
        a.fields.count == b.fields.count && zip(a.fields, b.fields).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }
}
