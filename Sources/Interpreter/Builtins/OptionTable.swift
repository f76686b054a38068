/// A call's options by name, each with every use of it in the order written:
/// what a builtin reads with `call.options["--source"]`, `call.has(…)` and
/// `call.option(…)`.
///
/// A small array searched from the front, not a dictionary. A call gives a
/// handful of options and a builtin asks for many it was not given (building
/// an iptables rule asks for some sixty), so hashing each name — SipHash over
/// its bytes, ~360 instructions a question — was 16 % of a 5000-network
/// setup, and each call built a dictionary (and the rule builder a second
/// one). Here a question compares lengths first and bytes only when they
/// agree; an option spec's name and the literal a builtin asks with are both
/// short immortal strings, so a match is a compare of a few bytes.
///
/// Every member is `@inlinable`: builtins in other modules then get code
/// specialized for their `Use`, not the generic code, which asks the runtime
/// for the metadata of `[Use]` on each call.
@frozen
public struct OptionTable<Use> {
    @usableFromInline var entries: [(name: String, uses: [Use])] = []

    @inlinable public init() {}

    @inlinable public var isEmpty: Bool { entries.isEmpty }
    @inlinable public var count: Int { entries.count }
    /// The options given, in the order first written.
    @inlinable public var names: [String] { entries.map(\.name) }

    @inlinable func index(of name: String) -> Int? {
        let length = name.utf8.count
        for index in entries.indices where entries[index].name.utf8.count == length && entries[index].name == name {
            return index
        }
        return nil
    }

    /// Whether `name` was given.
    @inlinable public func contains(_ name: String) -> Bool { index(of: name) != nil }

    /// Every use of `name`, nil when it was not given; setting nil removes it.
    @inlinable public subscript(name: String) -> [Use]? {
        get { index(of: name).map { entries[$0].uses } }
        set {
            switch (index(of: name), newValue) {
            case (let found?, let uses?): entries[found].uses = uses
            case (let found?, nil): entries.remove(at: found)
            case (nil, let uses?): entries.append((name, uses))
            case (nil, nil): break
            }
        }
    }

    /// Appends one more use of `name` (after any it already has).
    @inlinable public mutating func append(_ use: Use, to name: String) {
        if let found = index(of: name) {
            entries[found].uses.append(use)
        } else {
            entries.append((name, [use]))
        }
    }

    @inlinable public func mapUses<T>(_ transform: (Use) throws -> T) rethrows -> OptionTable<T> {
        var result = OptionTable<T>()
        result.entries.reserveCapacity(entries.count)
        for entry in entries { result.entries.append((entry.name, try entry.uses.map(transform))) }
        return result
    }
}

extension OptionTable: ExpressibleByDictionaryLiteral {
    @inlinable public init(dictionaryLiteral elements: (String, [Use])...) {
        for (name, uses) in elements { self[name] = uses }
    }
}
