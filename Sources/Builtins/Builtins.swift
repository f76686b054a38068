import Interpreter
import Lexer

/// The standard library of wds: every builtin family, registered in one place.
/// One file per family; each contributes its specs here.
public enum Builtins {
    public static let standard: BuiltinRegistry = {
        var registry = BuiltinRegistry()
        for spec in OutputBuiltins.specs + TextBuiltins.specs + ValueBuiltins.specs + FileBuiltins.specs + ProcessBuiltins.specs + HostBuiltins.specs {
            registry.add(spec)
        }
        registry.add(SysctlBuiltins.family)
        registry.add(HostBuiltins.hostnameFamily)
        registry.add(MountBuiltins.family)
        for spec in MountBuiltins.specs { registry.add(spec) }
        registry.add(CgroupBuiltins.family)
        registry.add(RouteBuiltins.family)
        registry.add(RlimitBuiltins.family)
        registry.add(IptablesChainBuiltins.family)
        registry.add(IptablesRuleBuiltins.family)
        registry.add(IptablesRuleBuiltins.rulesSpec)
        registry.add(IptablesCommitBuiltins.family)
        return registry
    }()
}
