/// A `#` comment as written, from the `#` to the end of its line (without the
/// newline or trailing blanks). The parser ignores comments; the formatter
/// puts them back where they were, by position.
public struct Comment: Sendable {
    public var text: String
    public var range: SourceRange

    public init(text: String, range: SourceRange) {
        self.text = text
        self.range = range
    }
}
