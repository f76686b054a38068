import Interpreter
import Lexer

/// The standard library of wds: the language's builtins and every host
/// family, registered in one place. Adding a family is its folder (or file)
/// and one `registry.add` line here.
public enum Builtins {
    public static let standard: BuiltinRegistry = {
        var registry = BuiltinRegistry()
        // The language's own builtins, which touch no host state.
        registry.addLazily { OutputBuiltins.specs.map { .single($0) } }
        // Values from values only: pure, so their calls skip the probe bookkeeping (BuiltinSpec.isPure).
        registry.addLazily { (TextBuiltins.specs + ValueBuiltins.specs).map { .single($0.pure()) } }
        // The host families, one line each (see `HostFamily`).
        registry.add(FilesFamily.family)
        registry.add(ProgramsFamily.family)
        registry.add(HostBuiltins.hostFamily)
        registry.add(SysctlFamily.family)
        registry.add(MountsFamily.family)
        registry.add(CgroupBuiltins.hostFamily)
        registry.add(NetworkFamily.family)
        registry.add(RlimitFamily.family)
        registry.add(IptablesFamily.family)
        registry.add(NftFamily.family)
        return registry
    }()
}
