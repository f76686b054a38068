import Interpreter
import Lexer

/// `iptables commit`: the run's iptables changes so far reach the kernel now,
/// as one all-or-nothing `iptables-restore --noflush` per family (they do at
/// the end of the run anyway, and before `run` starts another program).
enum IptablesCommitBuiltins {
    static let programType = ArgumentType.custom("legacy|nft|PROGRAM") { text in
        IptablesTool(program: text) == nil
            ? "'\(text)' is not an iptables program: give legacy, nft, or iptables, iptables-legacy or iptables-nft (with a folder or not)" : nil
    }

    static let family = BuiltinFamily("iptables", summary: "The run's iptables transaction, programs and whole tables.", subcommands: [
        BuiltinSpec("iptables commit", summary: "Apply the iptables changes made so far, all or nothing, and release the iptables lock; a refused change fails at the statement that made it, and none is applied. Without --no-batch changes are held until the end of the run, this, or `run`.",
                    example: "iptables commit") { call in
            try call.context.commitOpenBatches()
            return .empty
        },
        BuiltinSpec("iptables use", summary: "Choose the iptables programs of the run, before its first iptables statement: legacy or nft (iptables-legacy, iptables-nft and their save, restore and ip6tables), or PROGRAM as a script's GARDEN_IPTABLES_BIN names it (iptables, /usr/sbin/iptables-legacy). Without it, `iptables` as found on PATH.",
                    parameters: [Parameter("program", programType)],
                    example: "iptables use $(env GARDEN_IPTABLES_BIN \"iptables\")") { call in
            guard let tool = IptablesTool(program: try call.text(0)) else { return .empty }
            try IptablesEngine.of(call).transaction.use(tool, at: call.range)
            return .empty
        },
        BuiltinSpec("iptables flush", summary: "Delete every rule of every chain of a table (iptables -t TABLE -F), and with --delete-chains its user chains too (-X). Only chains that hold rules are flushed, so a table that does not exist on this host is not created.",
                    options: IptablesScope.options + [OptionSpec("--delete-chains", summary: "also delete every user chain (iptables -X)")],
                    example: "iptables flush --table nat --delete-chains") { call in
            let scope = try IptablesScope(call)
            let engine = IptablesEngine.of(call)
            let state = try engine.view(scope, call)
            for chain in state.chains where !state.rules(in: chain).isEmpty { try engine.execute(.flushChain(chain), in: scope, call) }
            if call.has("--delete-chains") {
                for chain in state.chains where !state.isBuiltin(chain) { try engine.execute(.deleteChain(chain), in: scope, call) }
            }
            return .empty
        },
    ])
}
