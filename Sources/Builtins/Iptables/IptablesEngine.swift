import Interpreter
import Lexer

/// Which ruleset a command addresses: `iptables -t TABLE` or `ip6tables -t TABLE`.
public struct IptablesScope: Sendable, Hashable {
    public var family: AddressFamily
    public var table: String

    public init(family: AddressFamily, table: String) {
        self.family = family
        self.table = table
    }

    /// `filter`, or `ip6tables filter`, for messages.
    public var description: String { family == .ipv4 ? "'\(table)'" : "'\(table)' (ip6tables)" }
}

/// One change to a table, as wds asks iptables for it.
public enum IptablesCommand: Sendable, Equatable {
    case createChain(String)
    case flushChain(String)
    case deleteChain(String)
    case append(chain: String, rule: IptablesRule)
    case insert(chain: String, position: Int, rule: IptablesRule)
    case delete(chain: String, rule: IptablesRule)
    /// Deletes a rule by the exact words iptables-save printed for it (prune).
    case deleteSaved(chain: String, words: [String])
    /// Deletes the rule at a position (`iptables -D CHAIN N`), 1 being the first.
    case deleteAt(chain: String, position: Int)
    /// Sets a built-in chain's policy (`iptables -P CHAIN POLICY`).
    case setPolicy(chain: String, policy: String)

    /// The arguments after `iptables -w -t TABLE`.
    public var arguments: [String] {
        switch self {
        case .createChain(let chain): return ["-N", chain]
        case .flushChain(let chain): return ["-F", chain]
        case .deleteChain(let chain): return ["-X", chain]
        case .append(let chain, let rule): return ["-A", chain] + rule.arguments
        case .insert(let chain, let position, let rule): return ["-I", chain, String(position)] + rule.arguments
        case .delete(let chain, let rule): return ["-D", chain] + rule.arguments
        case .deleteSaved(let chain, let words): return ["-D", chain] + words
        case .deleteAt(let chain, let position): return ["-D", chain, String(position)]
        case .setPolicy(let chain, let policy): return ["-P", chain, policy]
        }
    }

    /// The same change as a line of an `iptables-restore --noflush` payload.
    public var restoreLine: String {
        func line(_ head: String, _ spec: String) -> String { spec.isEmpty ? head : head + " " + spec }
        switch self {
        case .createChain(let chain): return ":\(chain) - [0:0]"
        case .flushChain(let chain): return "-F \(chain)"
        case .deleteChain(let chain): return "-X \(chain)"
        case .append(let chain, let rule): return rule.restoreLine(appendingTo: chain)
        case .insert(let chain, let position, let rule): return line("-I \(chain) \(position)", rule.specification)
        case .delete(let chain, let rule): return line("-D \(chain)", rule.specification)
        case .deleteSaved(let chain, let words):
            return line("-D \(chain)", words.map { $0.contains(where: { $0 == " " || $0 == "\"" }) ? IptablesRule.saveQuote($0) : $0 }
                .joined(separator: " "))
        case .deleteAt(let chain, let position): return "-D \(chain) \(position)"
        case .setPolicy(let chain, let policy): return "-P \(chain) \(policy)"
        }
    }
}

/// Every iptables change and question of a run goes through this one object,
/// kept in `RunContext.storage["iptables"]` and registered with the run as a
/// `TransactionalFamily`: an `IptablesTransaction` that decides each change on
/// a lazily read model and commits a batch per family (with `--no-batch`, one
/// `iptables -w` per change).
public final class IptablesEngine {
    static let storageKey = "iptables"

    let transaction: IptablesTransaction
    /// The canonical form of each rule with generic parts learned so far, by scope, chain and written form.
    var canonicalForms: [String: IptablesRule] = [:]

    /// The lock every batching wds run holds from its first read to its commit.
    public static let defaultLockPath = "/run/wds/iptables.lock"

    public init(batch: Bool = false, lockPath: String = IptablesEngine.defaultLockPath) {
        transaction = IptablesTransaction(batch: batch, lockPath: lockPath)
    }

    /// The run's engine, made on first use (per-command, for hosts that did not choose: the REPL).
    public static func of(_ call: Invocation) -> IptablesEngine {
        if let engine = call.context.storage[storageKey] as? IptablesEngine { return engine }
        let engine = IptablesEngine()
        call.context.storage[storageKey] = engine
        call.context.register(engine.transaction)
        return engine
    }

    /// Installs the engine a run uses (`Driver`): batching unless `--no-batch`.
    /// `WDS_IPTABLES_LOCK` in the run's environment moves the lock file (tests, sandboxes).
    public static func install(in context: RunContext, batch: Bool) {
        let engine = IptablesEngine(batch: batch, lockPath: context.environmentValue("WDS_IPTABLES_LOCK") ?? defaultLockPath)
        context.storage[storageKey] = engine
        context.register(engine.transaction)
    }

    // MARK: Changes

    public func execute(_ command: IptablesCommand, in scope: IptablesScope, _ call: Invocation) throws {
        try transaction.apply(command, in: scope, call)
    }

    // MARK: Questions

    /// The whole table as this run has left it (under `trace`, what the
    /// printed commands would have made of it).
    public func view(_ scope: IptablesScope, _ call: Invocation) throws -> IptablesTableState {
        try transaction.view(scope, call)
    }

    /// The chain names of the table, built-in chains first.
    public func chains(_ scope: IptablesScope, _ call: Invocation) throws -> [String] {
        try view(scope, call).chains
    }

    /// A built-in chain's policy as the run has left it; nil for a user chain or none.
    public func policy(_ chain: String, in scope: IptablesScope, _ call: Invocation) throws -> String? {
        try transaction.policy(chain, in: scope, call)
    }

    public func chainExists(_ chain: String, in scope: IptablesScope, _ call: Invocation) throws -> Bool {
        try transaction.exists(chain, in: scope, call)
    }

    /// Fails with `unknown chain 'FORWRD' in table 'filter'` and a suggestion.
    public func requireChain(_ chain: String, in scope: IptablesScope, _ call: Invocation) throws {
        if try chainExists(chain, in: scope, call) { return }
        let known = try chains(scope, call)
        let hint = Suggestions.didYouMean(chain, in: known)
            ?? "create it first with `chain ensure \(chain)\(scope.table == "filter" ? "" : " --table \(scope.table)")`"
        throw call.fail("unknown chain '\(chain)' in table \(scope.description)", hint: hint)
    }

    /// The rules of one chain, in evaluation order.
    public func rules(in chain: String, _ scope: IptablesScope, _ call: Invocation) throws -> [IptablesTableState.Entry] {
        try transaction.chain(chain, in: scope, call)?.entries ?? []
    }

    /// What `iptables -C` answers: whether the chain holds a rule equal to
    /// `rule` once both are in canonical form.
    public func ruleExists(_ rule: IptablesRule, in chain: String, _ scope: IptablesScope, _ call: Invocation) throws -> Bool {
        try requireChain(chain, in: scope, call)
        return (try transaction.chain(chain, in: scope, call)?.counts[rule] ?? 0) > 0
    }
}

extension IptablesScope {
    /// `--table TABLE` and `--ipv6`, which every iptables builtin takes.
    static let options: [OptionSpec] = [
        OptionSpec("--table", .table, summary: "the table (default filter)"),
        OptionSpec("--ipv6", summary: "the IPv6 ruleset (ip6tables)"),
    ]

    init(_ call: Invocation) throws {
        self.init(family: call.has("--ipv6") ? .ipv6 : .ipv4, table: try call.option("--table") ?? "filter")
    }
}
