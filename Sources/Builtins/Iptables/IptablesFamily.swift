import Interpreter

/// The iptables family as the standard library registers it: its builtins
/// (`chain`, `rule`, `rules`, `iptables commit`) and, for each run, the
/// transaction that models the ruleset (`IptablesEngine`).
enum IptablesFamily {
    static let family = HostFamily(
        "iptables",
        builtins: [.family(IptablesChainBuiltins.family), .family(IptablesRuleBuiltins.family),
                   .single(IptablesRuleBuiltins.rulesSpec), .family(IptablesCommitBuiltins.family)],
        install: { context, batch in IptablesEngine.install(in: context, batch: batch) })
}
