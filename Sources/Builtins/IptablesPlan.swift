import Interpreter
import Lexer

/// What a run's iptables transaction would change, table by table: the
/// ruleset as the kernel holds it, and as the run would leave it. `wds plan`
/// and `wds verify` show the difference; nothing is committed.
public struct PlannedIptablesTable {
    public var scope: IptablesScope
    public var before: IptablesTableState
    public var after: IptablesTableState
    /// The iptables programs the run chose (`iptables use`).
    public var tool: IptablesTool
}

extension IptablesEngine {
    /// The tables the run changed, before and after, read through the run's host
    /// (so the reads are probes like any other). Empty in per-command mode.
    public static func plannedTables(_ context: RunContext, at location: SourceRange) throws -> [PlannedIptablesTable] {
        guard let engine = context.storage[storageKey] as? IptablesEngine else { return [] }
        let transaction = engine.transaction
        let spec = BuiltinSpec("plan", summary: "") { _ in .empty }
        let call = Invocation(spec: spec, range: location, context: context)
        // Every table the run changed, across all its batches, not only the last.
        return try transaction.touchedScopes.map { scope in
            PlannedIptablesTable(scope: scope, before: try IptablesTableState.read(scope, tool: transaction.tool, call),
                                 after: try transaction.view(scope, call), tool: transaction.tool)
        }
    }
}
