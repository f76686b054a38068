import Interpreter
import Lexer

/// The standard library of wds: every builtin family, registered in one place.
/// One file per family; each contributes its specs here.
public enum Builtins {
    public static let standard: BuiltinRegistry = {
        var registry = BuiltinRegistry()
        for spec in OutputBuiltins.specs + TextBuiltins.specs + FileBuiltins.specs + ProcessBuiltins.specs {
            registry.add(spec)
        }
        registry.add(SysctlBuiltins.family)
        registry.add(MountBuiltins.family)
        for spec in MountBuiltins.specs { registry.add(spec) }
        registry.add(CgroupBuiltins.family)
        registry.add(RouteBuiltins.family)
        registry.add(RlimitBuiltins.family)
        registry.add(IptablesFamily.family)
        registry.add(NftFamily.family)
        return registry
    }()
}
