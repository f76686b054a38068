import Lexer

/// A builtin's arguments as far as they are known: every value at run time,
/// only the literal ones at check time. A builtin whose arguments must agree
/// with each other (`--sport` needs `--protocol tcp`, SNAT only in `nat`)
/// checks them on this, so the same rules that stop a run stop `wds check`
/// first, wherever the words they need are written literally.
public struct StaticArguments {
    public enum Known {
        case text(String)
        /// A list of scalars (`--match [NAME OPTION…]`).
        case words([String])
        /// Computed: known only when the statement runs.
        case unknown
    }

    public struct Option {
        public var value: Known
        public var negated: Bool
        public var range: SourceRange
    }

    public var range: SourceRange
    public var positionals: [(value: Known, range: SourceRange)]
    public var options: OptionTable<Option>

    public init(range: SourceRange, positionals: [(value: Known, range: SourceRange)], options: OptionTable<Option>) {
        self.range = range
        self.positionals = positionals
        self.options = options
    }

    /// Everything an invocation holds (run time: every value known).
    public init(_ call: Invocation) {
        func known(_ value: Value) -> Known {
            if let text = value.text { return .text(text) }
            if case .list(let items) = value, items.allSatisfy({ $0.text != nil }) { return .words(items.map { $0.text! }) }
            return .unknown
        }
        self.init(range: call.range,
                  positionals: call.positionals.indices.map { (known(call.positionals[$0]), call.range(ofPositional: $0)) },
                  options: call.options.mapUses { Option(value: known($0.value), negated: $0.negated, range: $0.range) })
    }

    public func has(_ name: String) -> Bool { options.contains(name) }

    /// The first use of an option.
    public func option(_ name: String) -> Option? { options[name]?.first }

    /// The option's text; nil when it is absent or not known yet (check `has` for presence).
    public func text(_ name: String) -> String? {
        if case .text(let text)? = options[name]?.first?.value { return text }
        return nil
    }

    public func positionalText(_ index: Int) -> String? {
        guard index < positionals.count, case .text(let text) = positionals[index].value else { return nil }
        return text
    }

    public func range(ofPositional index: Int) -> SourceRange {
        index < positionals.count ? positionals[index].range : range
    }
}
