import Interpreter
import Lexer

/// The nftables family as the standard library registers it: its builtins
/// (`nft-table`, `nft-chain`, `nft-rule`, `nft-set`, `nft-map`, `nft
/// commit`), the decoder of its effects for saved plans, and, for each run,
/// the transaction that models the ruleset (`NftTransaction`).
enum NftFamily {
    static let family = HostFamily(
        NftEffects.family,
        builtins: [.family(NftTableBuiltins.family), .family(NftChainBuiltins.family), .family(NftRuleBuiltins.family),
                   .family(NftSetBuiltins.setFamily), .family(NftSetBuiltins.mapFamily), .family(commit)],
        decoder: { kind, fields in NftEffects.decode(kind: kind, fields: fields) },
        install: { context, batch in install(in: context, batch: batch) },
        snapshot: { NftSnapshot.take() },
        liveNames: { parameter, type, _, host in NftSnapshot.liveNames(parameter, type, host) })

    static let storageKey = "nftables"
    /// The lock every batching wds run holds from its first read of the nftables ruleset to its commit.
    static let defaultLockPath = "/run/wds/nftables.lock"

    /// The run's transaction, made on first use (for hosts that did not install one: the REPL).
    static func transaction(_ call: Invocation) -> NftTransaction {
        if let transaction = call.context.storage[storageKey] as? NftTransaction { return transaction }
        let transaction = NftTransaction(batch: true, lockPath: lockPath(call.context))
        call.context.storage[storageKey] = transaction
        call.context.register(transaction)
        return transaction
    }

    /// `WDS_NFT_LOCK` in the run's environment moves the lock file (tests, sandboxes).
    static func lockPath(_ context: RunContext) -> String { context.environment["WDS_NFT_LOCK"] ?? defaultLockPath }

    static func install(in context: RunContext, batch: Bool) {
        let transaction = NftTransaction(batch: batch, lockPath: lockPath(context))
        context.storage[storageKey] = transaction
        context.register(transaction)
    }

    static let commit = BuiltinFamily("nft", summary: "Control the run's nftables transaction.", subcommands: [
        BuiltinSpec("nft commit", summary: "Apply the changes made so far as one nftables transaction (and any other family's open batch), and release the nftables lock; a change nft refuses fails at the statement that made it, and none is applied. Without it, changes are held until the end of the run, a change of another kind, a program, or a lock.",
                    example: "nft commit") { call in
            try call.context.commitOpenBatches()
            return .empty
        },
    ])

    // MARK: - What every builtin takes first

    static let familyParameter = Parameter("family", NftNames.family)
    static let tableParameter = Parameter("table", NftNames.table)
    static let chainParameter = Parameter("chain", NftNames.chain)

    /// FAMILY TABLE, the first two positionals.
    static func tableID(_ call: Invocation) throws -> NftTableID {
        let familyText = try call.text(0)
        guard let family = NftTableFamily(rawValue: familyText) else {
            throw Diagnostic("'\(familyText)' is not an nftables family (\(NftTableFamily.allCases.map(\.rawValue).joined(separator: ", ")))",
                             at: call.range(ofPositional: 0))
        }
        return NftTableID(family: family, name: try call.text(1))
    }

    static func unknownTable(_ id: NftTableID, _ transaction: NftTransaction, _ call: Invocation) -> CommandFailure {
        transaction.refusal("unknown table '\(id.words)'", call, kernel: "No such file or directory",
                            hint: "create it first with `nft-table ensure \(id.words)`")
    }

    static func requireTable(_ id: NftTableID, _ transaction: NftTransaction, _ call: Invocation) throws -> NftTableModel {
        guard let table = try transaction.table(id, call) else { throw unknownTable(id, transaction, call) }
        return table
    }

    static func requireChain(_ name: String, _ id: NftTableID, _ transaction: NftTransaction, _ call: Invocation) throws -> NftChainModel {
        _ = try requireTable(id, transaction, call)
        if let chain = try transaction.chain(name, in: id, call) { return chain }
        let known = (try? transaction.whole(id, call))??.chainOrder ?? []
        let hint = Suggestions.didYouMean(name, in: known) ?? "create it first with `nft-chain ensure \(id.words) \(name)`"
        throw transaction.refusal("unknown chain '\(name)' in table '\(id.words)'", call, kernel: "No such file or directory", hint: hint)
    }
}
