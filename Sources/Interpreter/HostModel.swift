// The interpreter speaks to the host only in the host model's terms (effects,
// their results, `Host`): every module built on the interpreter sees them as
// its own, as it did when they lived here, without importing HostModel itself.
@_exported import HostModel
