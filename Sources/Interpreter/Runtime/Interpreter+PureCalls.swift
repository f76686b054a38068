import Lexer

extension Interpreter {
    /// A call of a pure builtin (`BuiltinSpec.isPure`) whose positionals are
    /// written without a spread: what `invoke` does, in the same order and with
    /// the same errors, minus what such a call cannot need.
    ///
    /// - No probe bookkeeping: the builtin neither reads nor changes the host,
    ///   so what the probes know is the same before and after it. (Whether its
    ///   arguments read a probe still reaches the caller through
    ///   `readProbeDerivedValue` and the probe count, which it leaves alone.)
    /// - No new `Invocation` per call: the site keeps the one its last call
    ///   used (`CallSite.spareInvocation`), with the spec, range, argument
    ///   ranges and context already in it and its array of positionals emptied
    ///   but still allocated. It is taken out of the site while in use, so a
    ///   call of the same site inside an argument (a recursion) makes its own.
    func invokePure(_ site: CallSite, in scope: Scope, captured: Bool) throws -> Value {
        // Moved out of the site by `if let` (a copy, as `??` makes, would cost a retain per field).
        var invocation: Invocation
        if let spare = site.takeSpareInvocation() {
            invocation = spare
        } else {
            invocation = Invocation(spec: site.spec, range: site.range, positionalRanges: site.positionalRanges ?? [], context: context)
        }
        invocation.positionals.reserveCapacity(site.positionalValues.count)
        for argument in site.positionalValues {
            invocation.positionals.append(try argument(self, scope))
        }
        if !site.checksNothing {
            try check(invocation.positionals, ranges: invocation.positionalRanges, needsCheck: site.positionalNeedsCheck, of: site)
        }
        if !site.bound.options.isEmpty {
            invocation.options = try evaluateOptions(of: site, in: scope)
        }
        invocation.isCaptured = captured
        let result = try site.implementation(&invocation)
        try Limits.check(result, at: site.range)
        // Emptied now, so no value outlives the call in it.
        invocation.positionals.removeAll(keepingCapacity: true)
        invocation.options = [:]
        site.spareInvocation = invocation
        return result
    }
}
