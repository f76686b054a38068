/// Finding one text in another: the one search behind `replace`, `split`,
/// `lines`, `contains` and `index-of`, and wds's own splitting of host output.
///
/// It compares UTF-8 bytes with Knuth–Morris–Pratt, so it takes time linear in
/// the text and the needle whatever they hold. A script's values come from
/// the environment and from files: the naive search (try each start, compare
/// forward) is quadratic on a value like "aaaa…a" searched for "aaa…ab", and
/// it walked Unicode scalars one index at a time (a `replace` over 8 MB took
/// over a second). Matching bytes is matching Unicode scalars: in valid UTF-8
/// a match of valid UTF-8 starts and ends on scalar boundaries. It is not
/// Swift's `Character` comparison, on purpose: "\r\n" is one Character, but
/// splitting at "\n" must still find its newline.
public struct TextSearch {
    private let needle: [UInt8]
    /// `fallback[j]`: how long a prefix of the needle is also a suffix of its first `j + 1` bytes.
    private let fallback: [Int]

    /// nil for an empty needle, which every caller treats on its own.
    public init?(_ target: some StringProtocol) {
        needle = Array(target.utf8)
        guard !needle.isEmpty else { return nil }
        var fallback = [Int](repeating: 0, count: needle.count)
        var length = 0
        for index in 1..<needle.count {
            while length > 0 && needle[index] != needle[length] { length = fallback[length - 1] }
            if needle[index] == needle[length] { length += 1 }
            fallback[index] = length
        }
        self.fallback = fallback
    }

    /// The byte offsets where the needle starts in `bytes`, leftmost first and
    /// not overlapping (as `replace` and `split` consume them); at most `limit`.
    public func offsets(in bytes: UnsafeBufferPointer<UInt8>, limit: Int = .max) -> [Int] {
        var found: [Int] = []
        var matched = 0
        var index = 0
        while index < bytes.count && found.count < limit {
            let byte = bytes[index]
            while matched > 0 && byte != needle[matched] { matched = fallback[matched - 1] }
            if byte == needle[matched] { matched += 1 }
            if matched == needle.count {
                found.append(index + 1 - matched)
                matched = 0  // not overlapping: the next match starts after this one
            }
            index += 1
        }
        return found
    }

    /// The byte offsets of the needle in `text` (see `offsets(in:limit:)`).
    public func offsets(in text: Substring, limit: Int = .max) -> [Int] {
        var copy = text
        return copy.withUTF8 { offsets(in: $0, limit: limit) }
    }

    public var byteCount: Int { needle.count }
}

extension String {
    /// Replaces every occurrence, leftmost first (see `TextSearch`).
    public func replacingAll(_ target: String, with replacement: String) -> String {
        guard let search = TextSearch(target) else { return self }
        var copy = self
        return copy.withUTF8 { bytes in
            let starts = search.offsets(in: bytes)
            if starts.isEmpty { return self }
            var result: [UInt8] = []
            result.reserveCapacity(bytes.count + starts.count * max(0, replacement.utf8.count - search.byteCount))
            var copied = 0
            for start in starts {
                result.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[copied..<start]))
                result.append(contentsOf: replacement.utf8)
                copied = start + search.byteCount
            }
            result.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[copied...]))
            return String(decoding: result, as: UTF8.self)
        }
    }
}

extension Substring {
    /// The first occurrence of `target` (see `TextSearch`); nil for an empty target.
    public func range(of target: String) -> Range<Substring.Index>? {
        guard let search = TextSearch(target), let start = search.offsets(in: self, limit: 1).first else { return nil }
        let lower = utf8.index(startIndex, offsetBy: start)
        return lower..<utf8.index(lower, offsetBy: search.byteCount)
    }

    /// Every piece between occurrences of `separator`, empty pieces kept; the
    /// whole text when the separator is empty. Splits within a Character too:
    /// "a\r\nb" split at "\n" is "a\r" and "b".
    public func splitAll(_ separator: String) -> [Substring] {
        guard let search = TextSearch(separator) else { return [self] }
        var pieces: [Substring] = []
        var from = startIndex
        var previous = 0
        for start in search.offsets(in: self) {
            let lower = utf8.index(from, offsetBy: start - previous)
            pieces.append(self[from..<lower])
            from = utf8.index(lower, offsetBy: search.byteCount)
            previous = start + search.byteCount
        }
        pieces.append(self[from...])
        return pieces
    }
}
