/// Text operations every layer needs, without Foundation (kept out for start-up time).
extension String {
    /// Replaces every occurrence, without Foundation (kept out for start-up time).
    public func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var result = ""
        var rest = self[...]
        while let found = rest.range(of: target) {
            result += rest[..<found.lowerBound]
            result += replacement
            rest = rest[found.upperBound...]
        }
        result += rest
        return result
    }
}

extension Substring {
    /// First occurrence of `target`, by Unicode scalars.
    public func range(of target: String) -> Range<Substring.Index>? {
        let needle = Array(target.unicodeScalars)
        guard let first = needle.first else { return nil }
        var index = unicodeScalars.startIndex
        while index < unicodeScalars.endIndex {
            if unicodeScalars[index] == first {
                var i = index
                var j = 0
                while j < needle.count && i < unicodeScalars.endIndex && unicodeScalars[i] == needle[j] {
                    i = unicodeScalars.index(after: i)
                    j += 1
                }
                if j == needle.count { return index..<i }
            }
            index = unicodeScalars.index(after: index)
        }
        return nil
    }
}
