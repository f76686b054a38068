import Interpreter

/// Removing whole groups of chains, as Warden's teardown did with
/// `iptables -S | grep warden-instance- | sed s/-A/-D/ | xargs iptables`, but
/// exactly: chain names are compared as names (a prefix or the whole name) on
/// the parsed table, never by a pattern over its text.
extension IptablesEngine {
    public enum PruneSelection: Sendable {
        case prefix(String)
        case exact(String)

        func selects(_ chain: String) -> Bool {
            switch self {
            case .prefix(let prefix): return chain.hasPrefix(prefix)
            case .exact(let name): return chain == name
            }
        }
    }

    /// The changes that remove the selected chains: first every rule of another
    /// chain that jumps or goes to one of them (by the words iptables printed,
    /// so rules wds does not model are matched too), then a flush of each
    /// selected chain (which drops their references to each other), then their
    /// deletion. Nothing when no chain is selected.
    public static func pruneCommands(_ state: IptablesTableState, selecting selection: PruneSelection) -> [IptablesCommand] {
        let doomed = state.chains.filter { selection.selects($0) && !state.isBuiltin($0) }
        guard !doomed.isEmpty else { return [] }
        var commands: [IptablesCommand] = []
        for entry in state.entries where !doomed.contains(entry.chain) {
            if let target = entry.rule.targetName, doomed.contains(target) {
                commands.append(.deleteSaved(chain: entry.chain, words: entry.words))
            }
        }
        commands += doomed.map(IptablesCommand.flushChain)
        commands += doomed.map(IptablesCommand.deleteChain)
        return commands
    }

    /// Removes the selected chains and every reference to them; returns their names.
    public func prune(_ selection: PruneSelection, in scope: IptablesScope, _ call: Invocation) throws -> [String] {
        // No rule can lead to a chain that does not exist: one cheap listing instead of the whole table.
        if case .exact(let name) = selection, !IptablesTableState(table: scope.table).isBuiltin(name),
           try !chainExists(name, in: scope, call) {
            return []
        }
        let state = try view(scope, call)
        if case .prefix(let prefix) = selection, let builtin = state.chains.first(where: { $0.hasPrefix(prefix) && state.isBuiltin($0) }) {
            throw call.fail("prefix '\(prefix)' also matches the built-in chain \(builtin), which cannot be removed")
        }
        if case .exact(let name) = selection, state.isBuiltin(name) {
            throw call.fail("'\(name)' is a built-in chain of table \(scope.description) and cannot be removed")
        }
        let commands = IptablesEngine.pruneCommands(state, selecting: selection)
        for command in commands { try execute(command, in: scope, call) }
        return commands.compactMap { if case .deleteChain(let chain) = $0 { return chain } else { return nil } }
    }
}
