import Lexer

/// A family's state as the sandbox shows it: the whole of it as text, and
/// its lines by area, which the sandbox compares before and after the run.
public struct FamilySnapshot: Sendable {
    /// `nftables ruleset (nft list ruleset)`: the heading of `text`.
    public var title: String
    public var text: String
    /// Lines by area (`inet warden, chain forward`), in order.
    public var areas: [(area: String, lines: [String])]

    public init(title: String, text: String, areas: [(area: String, lines: [String])]) {
        self.title = title
        self.text = text
        self.areas = areas
    }
}

/// One line of a plan: `+` added, `-` removed, `~` changed, under an area heading.
public struct PlanLine: Equatable, Sendable {
    public enum Sign: String, Sendable { case add = "+", remove = "-", change = "~" }
    public var area: String
    public var sign: Sign
    public var text: String
    public init(area: String, sign: Sign, text: String) {
        self.area = area
        self.sign = sign
        self.text = text
    }
}

/// What a family would change, for `wds plan` and `wds verify`.
public struct FamilyPlan {
    public var lines: [PlanLine] = []
    /// What `verify --fix` performs to put back what is missing (never what is extra).
    public var fixes: [Effect] = []
    /// How many missing pieces `fixes` puts back.
    public var fixedCount = 0
    /// Effects to perform before checking the host and fixing, and after (a lock and its release).
    public var holdDuringFix: (take: Effect, release: Effect)?
    public init() {}
}
