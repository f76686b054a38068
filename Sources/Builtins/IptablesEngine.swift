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
        }
    }
}

/// Every iptables change and question of a run goes through this one object,
/// kept in `RunContext.storage["iptables"]`. Today each change is one
/// `.iptables` effect (one `iptables -w` command, printed as such by the trace)
/// and each question reads an `iptables-save -t TABLE` probe, parsed and
/// cached until the next change to that table. Keeping the seam this narrow
/// lets a later version batch a run's changes into one iptables-restore.
public final class IptablesEngine {
    static let storageKey = "iptables"

    private var snapshots: [IptablesScope: IptablesTableState] = [:]
    /// Chains this run created or deleted. The trace performs no change, so its
    /// probes still show the old state; this keeps `chain ensure` followed by
    /// `rule ensure` in that chain meaningful there.
    private var createdChains: [IptablesScope: Set<String>] = [:]
    private var deletedChains: [IptablesScope: Set<String>] = [:]

    public init() {}

    /// The run's engine, made on first use.
    public static func of(_ call: Invocation) -> IptablesEngine {
        if let engine = call.context.storage[storageKey] as? IptablesEngine { return engine }
        let engine = IptablesEngine()
        call.context.storage[storageKey] = engine
        return engine
    }

    // MARK: Changes

    public func execute(_ command: IptablesCommand, in scope: IptablesScope, _ call: Invocation) throws {
        try call.perform(.iptables(family: scope.family, table: scope.table, arguments: command.arguments))
        snapshots[scope] = nil
        switch command {
        case .createChain(let chain):
            createdChains[scope, default: []].insert(chain)
            deletedChains[scope]?.remove(chain)
        case .deleteChain(let chain):
            deletedChains[scope, default: []].insert(chain)
            createdChains[scope]?.remove(chain)
        case .flushChain, .append, .insert, .delete, .deleteSaved:
            break
        }
    }

    // MARK: Questions

    /// The table as the kernel reports it now.
    public func state(_ scope: IptablesScope, _ call: Invocation) throws -> IptablesTableState {
        if let cached = snapshots[scope] { return cached }
        guard case .text(let text) = try call.perform(.iptablesSave(family: scope.family, table: scope.table)) else {
            return IptablesTableState(table: scope.table)
        }
        let state: IptablesTableState
        do {
            state = try IptablesTableState.parse(text, table: scope.table, family: scope.family)
        } catch let problem as IptablesTableState.MalformedLine {
            throw call.fail("cannot read \(scope.family.saveCommand) output: unbalanced quote in '\(problem.line)'")
        }
        snapshots[scope] = state
        return state
    }

    /// The table as this run has left it: the kernel's answer, with the chains
    /// the run created or deleted applied (the same thing after `run`; under
    /// `trace`, what the printed commands would have made of it).
    public func view(_ scope: IptablesScope, _ call: Invocation) throws -> IptablesTableState {
        var state = try self.state(scope, call)
        let deleted = deletedChains[scope] ?? []
        let created = (createdChains[scope] ?? []).filter { !state.chains.contains($0) }.sorted()
        state.chains = state.chains.filter { !deleted.contains($0) } + created
        state.entries.removeAll { entry in
            deleted.contains(entry.chain) || entry.rule.targetName.map(deleted.contains) == true
        }
        return state
    }

    /// The chain names of the table, built-in chains first.
    public func chains(_ scope: IptablesScope, _ call: Invocation) throws -> [String] {
        try view(scope, call).chains
    }

    public func chainExists(_ chain: String, in scope: IptablesScope, _ call: Invocation) throws -> Bool {
        try chains(scope, call).contains(chain)
    }

    /// Fails with `unknown chain 'FORWRD' in table 'filter'` and a suggestion.
    public func requireChain(_ chain: String, in scope: IptablesScope, _ call: Invocation) throws {
        let known = try chains(scope, call)
        guard !known.contains(chain) else { return }
        let hint = Suggestions.didYouMean(chain, in: known)
            ?? "create it first with `chain ensure \(chain)\(scope.table == "filter" ? "" : " --table \(scope.table)")`"
        throw call.fail("unknown chain '\(chain)' in table \(scope.description)", hint: hint)
    }

    /// The rules of one chain, in evaluation order.
    public func rules(in chain: String, _ scope: IptablesScope, _ call: Invocation) throws -> [IptablesTableState.Entry] {
        try view(scope, call).rules(in: chain)
    }

    /// What `iptables -C` answers, read from the saved table: whether the chain
    /// holds a rule equal to `rule` once both are in canonical form.
    public func ruleExists(_ rule: IptablesRule, in chain: String, _ scope: IptablesScope, _ call: Invocation) throws -> Bool {
        try requireChain(chain, in: scope, call)
        return try rules(in: chain, scope, call).contains { $0.rule == rule }
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
