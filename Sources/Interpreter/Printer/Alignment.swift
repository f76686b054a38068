/// The shortest edit from one list to another (longest common subsequence),
/// after trimming the common ends, so an unchanged chain costs nothing.
public enum Alignment {
    public enum Edit: Equatable { case keep(Int, Int), remove(Int), insert(Int) }

    public static func edits<T>(_ a: [T], _ b: [T], equal: (T, T) -> Bool) -> [Edit] {
        var prefix = 0
        while prefix < a.count && prefix < b.count && equal(a[prefix], b[prefix]) { prefix += 1 }
        var suffix = 0
        while suffix < a.count - prefix && suffix < b.count - prefix && equal(a[a.count - 1 - suffix], b[b.count - 1 - suffix]) {
            suffix += 1
        }
        let x = Array(a[prefix..<(a.count - suffix)]), y = Array(b[prefix..<(b.count - suffix)])
        // lengths[i][j]: the LCS of x[i...] and y[j...].
        var lengths = [[Int]](repeating: [Int](repeating: 0, count: y.count + 1), count: x.count + 1)
        for i in stride(from: x.count - 1, through: 0, by: -1) {
            for j in stride(from: y.count - 1, through: 0, by: -1) {
                lengths[i][j] = equal(x[i], y[j]) ? lengths[i + 1][j + 1] + 1 : max(lengths[i + 1][j], lengths[i][j + 1])
            }
        }
        var result = (0..<prefix).map { Edit.keep($0, $0) }
        var i = 0, j = 0
        while i < x.count || j < y.count {
            if i < x.count && j < y.count && equal(x[i], y[j]) {
                result.append(.keep(prefix + i, prefix + j)); i += 1; j += 1
            } else if j < y.count && (i == x.count || lengths[i][j + 1] >= lengths[i + 1][j]) {
                result.append(.insert(prefix + j)); j += 1
            } else {
                result.append(.remove(prefix + i)); i += 1
            }
        }
        result += (0..<suffix).map { Edit.keep(a.count - suffix + $0, b.count - suffix + $0) }
        return result
    }
}
