import Interpreter

/// The iptables family as the standard library registers it: its builtins
/// (`chain`, `rule`, `rules`, `iptables commit`) and, for each run, the
/// transaction that models the ruleset (`IptablesEngine`), and the decoder of
/// its effects (`IptablesEffects`) for saved plans.
enum IptablesFamily {
    static let family = HostFamily(
        "iptables",
        builtins: [.family(IptablesChainBuiltins.family), .family(IptablesRuleBuiltins.family),
                   .single(IptablesRuleBuiltins.rulesSpec), .family(IptablesCommitBuiltins.family)],
        decoder: { kind, fields in IptablesEffects.decode(kind: kind, fields: fields) },
        planNames: IptablesEffects.planNames,
        install: { context, batch in IptablesEngine.install(in: context, batch: batch) },
        snapshot: { IptablesSnapshot.take() },
        liveNames: { _, type, options, host in IptablesSnapshot.chainNames(type, options, host) })
}
