import Lexer

#if canImport(Glibc)
import Glibc
#endif

/// The description of one builtin command (or one subcommand of a family such
/// as `rule append`): its arguments and options, its usage text, and its
/// implementation. The checker, the interpreter, `--help`, the REPL's `:help`
/// and completion, and docs/language.md all read the same specs.
public struct BuiltinSpec: Sendable {
    public typealias Implementation = @Sendable (inout Invocation) throws -> Value

    /// The fields, behind one reference: every builtin call hands its spec to
    /// an `Invocation`, and a copy then costs one retain, not one per field.
    /// Setting a field copies the storage first when it is shared.
    private final class Storage: @unchecked Sendable {
        var name: String
        var summary: String
        var parameters: [Parameter]
        var rest: Parameter?
        var options: [OptionSpec]
        var optionsBeforePositionalsOnly: Bool
        var example: String
        var implementation: Implementation
        var argumentCheck: (@Sendable (StaticArguments) throws -> Void)?
        var isPure = false

        init(name: String, summary: String, parameters: [Parameter], rest: Parameter?, options: [OptionSpec],
             optionsBeforePositionalsOnly: Bool, example: String, implementation: @escaping Implementation,
             argumentCheck: (@Sendable (StaticArguments) throws -> Void)?) {
            self.name = name
            self.summary = summary
            self.parameters = parameters
            self.rest = rest
            self.options = options
            self.optionsBeforePositionalsOnly = optionsBeforePositionalsOnly
            self.example = example
            self.implementation = implementation
            self.argumentCheck = argumentCheck
        }

        func copy() -> Storage {
            let copy = Storage(name: name, summary: summary, parameters: parameters, rest: rest, options: options,
                               optionsBeforePositionalsOnly: optionsBeforePositionalsOnly, example: example,
                               implementation: implementation, argumentCheck: argumentCheck)
            copy.isPure = isPure
            return copy
        }
    }

    private var storage: Storage

    private mutating func unique() -> Storage {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
        return storage
    }

    public var name: String {
        get { storage.name }
        set { unique().name = newValue }
    }
    public var summary: String {
        get { storage.summary }
        set { unique().summary = newValue }
    }
    public var parameters: [Parameter] {
        get { storage.parameters }
        set { unique().parameters = newValue }
    }
    /// Extra positional values after `parameters`, if the builtin takes any number.
    public var rest: Parameter? {
        get { storage.rest }
        set { unique().rest = newValue }
    }
    public var options: [OptionSpec] {
        get { storage.options }
        set { unique().options = newValue }
    }
    /// Options are read only before the first positional (`run prog -x`: `-x` is prog's).
    public var optionsBeforePositionalsOnly: Bool {
        get { storage.optionsBeforePositionalsOnly }
        set { unique().optionsBeforePositionalsOnly = newValue }
    }
    /// A worked example for the docs and `:help`.
    public var example: String {
        get { storage.example }
        set { unique().example = newValue }
    }
    public var implementation: Implementation {
        get { storage.implementation }
        set { unique().implementation = newValue }
    }
    /// Rules between arguments (`--sport` needs `--protocol tcp`), run by the
    /// check on what is written literally and by the builtin on every value;
    /// it throws the diagnostic of the first rule broken.
    public var argumentCheck: (@Sendable (StaticArguments) throws -> Void)? {
        get { storage.argumentCheck }
        set { unique().argumentCheck = newValue }
    }

    /// The builtin computes its value from its arguments alone: it performs
    /// no effect, reads nothing from the host or the run's context, and
    /// consults no model of the host. The interpreter then skips the
    /// bookkeeping of which statements depend on a probe for its calls.
    public var isPure: Bool {
        get { storage.isPure }
        set { unique().isPure = newValue }
    }

    /// The same builtin, marked pure (`isPure`).
    public func pure() -> BuiltinSpec {
        var spec = self
        spec.isPure = true
        return spec
    }

    public init(_ name: String, summary: String, parameters: [Parameter] = [], rest: Parameter? = nil,
                options: [OptionSpec] = [], optionsBeforePositionalsOnly: Bool = false, example: String = "",
                argumentCheck: (@Sendable (StaticArguments) throws -> Void)? = nil,
                implementation: @escaping Implementation) {
        storage = Storage(name: name, summary: summary, parameters: parameters, rest: rest, options: options,
                          optionsBeforePositionalsOnly: optionsBeforePositionalsOnly, example: example,
                          implementation: implementation, argumentCheck: argumentCheck)
    }

    /// `rule append CHAIN [--table TABLE] …`: the synopsis line.
    public var synopsis: String {
        var parts = [name]
        for option in options {
            let body = option.valueType.map { "\(option.name) \($0.placeholder)" } ?? option.name
            parts.append("[\(body)]")
        }
        for parameter in parameters {
            parts.append(parameter.optional ? "[\(parameter.placeholder)]" : parameter.placeholder)
        }
        if let rest { parts.append("[\(rest.placeholder)…]") }
        return parts.joined(separator: " ")
    }

    public var requiredCount: Int { parameters.filter { !$0.optional }.count }

    public func option(named name: String) -> OptionSpec? {
        options.first { $0.name == name || $0.aliases.contains(name) }
    }
}

public struct Parameter: Sendable {
    public var name: String
    public var type: ArgumentType
    public var optional: Bool

    public init(_ name: String, _ type: ArgumentType = .text, optional: Bool = false) {
        self.name = name
        self.type = type
        self.optional = optional
    }

    public var placeholder: String { name.uppercased() }
}

public struct OptionSpec: Sendable {
    public var name: String
    public var aliases: [String]
    /// `nil` for a flag; otherwise the type of the value that follows.
    public var valueType: ArgumentType?
    public var summary: String
    /// May be written as `! --name value` (iptables-style negation).
    public var negatable: Bool
    public var repeatable: Bool

    public init(_ name: String, _ valueType: ArgumentType? = nil, aliases: [String] = [], summary: String = "",
                negatable: Bool = false, repeatable: Bool = false) {
        self.name = name
        self.aliases = aliases
        self.valueType = valueType
        self.summary = summary
        self.negatable = negatable
        self.repeatable = repeatable
    }
}

/// A family of subcommands under one name (`rule append`, `chain ensure`).
public struct BuiltinFamily: Sendable {
    public var name: String
    public var summary: String
    public var subcommands: [BuiltinSpec]

    public init(_ name: String, summary: String, subcommands: [BuiltinSpec]) {
        self.name = name
        self.summary = summary
        self.subcommands = subcommands
    }

    public func subcommand(_ name: String) -> BuiltinSpec? {
        // Every command of a script looks its subcommand up: compare the name's tail, without splitting it.
        subcommands.first { $0.name.hasSuffix(name) && $0.name.utf8.count == self.name.utf8.count + 1 + name.utf8.count }
    }

    public var subcommandNames: [String] {
        subcommands.compactMap { $0.name.split(separator: " ").last.map(String.init) }
    }
}

/// Every builtin, by name. `Builtins.standard` fills it; tests may add to it.
///
/// Its specs are built on first use: what is added is kept as a recipe until
/// a name is looked up, so a run that looks up none (an empty script) does
/// not pay for building several hundred specs (docs/performance.md, start-up).
public struct BuiltinRegistry: Sendable {
    public enum Entry: Sendable {
        case single(BuiltinSpec)
        case family(BuiltinFamily)
    }

    /// The entries by name, built from `table`'s recipes the first time they are read.
    public var entries: [String: Entry] { table.resolved().entries }
    /// The names in registration order.
    public var order: [String] { table.resolved().order }
    /// The host families registered with `add(_: HostFamily)`, in order.
    public internal(set) var families: [HostFamily] = []

    private var table = Table()

    public init() {}

    public mutating func add(_ spec: BuiltinSpec) { addLazily { [.single(spec)] } }

    public mutating func add(_ family: BuiltinFamily) { addLazily { [.family(family)] } }

    /// Entries made only when the registry is first read (a family's specs).
    public mutating func addLazily(_ recipe: @escaping @Sendable () -> [Entry]) {
        if !isKnownUniquelyReferenced(&table) { table = table.copy() }
        table.add(recipe)
    }

    public var names: [String] { order }

    /// Every spec, families flattened, in registration order.
    public var allSpecs: [BuiltinSpec] {
        order.flatMap { name -> [BuiltinSpec] in
            switch entries[name]! {
            case .single(let spec): return [spec]
            case .family(let family): return family.subcommands
            }
        }
    }
}

extension BuiltinRegistry {
    /// The recipes and, once read, what they made. A class so that a read of a
    /// registry (a value) can build once for every copy; the lock because one
    /// registry serves every run in the process (the language server's, the REPL's).
    final class Table: @unchecked Sendable {
        private var recipes: [@Sendable () -> [Entry]] = []
        private var built: (entries: [String: Entry], order: [String])?
        private var mutex = pthread_mutex_t()

        init() { pthread_mutex_init(&mutex, nil) }
        deinit { pthread_mutex_destroy(&mutex) }

        func copy() -> Table {
            let other = Table()
            pthread_mutex_lock(&mutex)
            other.recipes = recipes
            other.built = built
            pthread_mutex_unlock(&mutex)
            return other
        }

        func add(_ recipe: @escaping @Sendable () -> [Entry]) {
            pthread_mutex_lock(&mutex)
            recipes.append(recipe)
            built = nil
            pthread_mutex_unlock(&mutex)
        }

        func resolved() -> (entries: [String: Entry], order: [String]) {
            pthread_mutex_lock(&mutex)
            defer { pthread_mutex_unlock(&mutex) }
            if let built { return built }
            var entries: [String: Entry] = [:]
            var order: [String] = []
            for recipe in recipes {
                for entry in recipe() {
                    let name: String
                    switch entry {
                    case .single(let spec): name = spec.name
                    case .family(let family): name = family.name
                    }
                    if entries[name] == nil { order.append(name) }
                    entries[name] = entry
                }
            }
            built = (entries, order)
            return (entries, order)
        }
    }
}
