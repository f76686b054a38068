import Interpreter
import Lexer

/// `iptables commit`: the run's iptables changes so far reach the kernel now,
/// as one all-or-nothing `iptables-restore --noflush` per family (they do at
/// the end of the run anyway, and before `run` starts another program).
enum IptablesCommitBuiltins {
    static let family = BuiltinFamily("iptables", summary: "Control the run's iptables transaction.", subcommands: [
        BuiltinSpec("iptables commit", summary: "Apply the iptables changes made so far, all or nothing, and release the iptables lock; a refused change fails at the statement that made it, and none is applied. Without --no-batch changes are held until the end of the run, this, or `run`.",
                    example: "iptables commit") { call in
            try call.context.commitOpenBatches()
            return .empty
        },
    ])
}
