/// A unified diff of two texts, line by line (Myers' algorithm), as `diff -u`
/// prints it: for `wds fmt --diff`, with no external `diff` needed.
public enum UnifiedDiff {
    enum Edit: Equatable { case same, delete, insert }

    /// Empty when the texts are equal.
    public static func diff(_ old: String, _ new: String, oldName: String, newName: String, context: Int = 3) -> String {
        let a = lines(old)
        let b = lines(new)
        if a == b { return "" }
        let edits = script(a, b)
        // Positions in `a` and `b` before each edit.
        var positions: [(Int, Int)] = []
        var (i, j) = (0, 0)
        for edit in edits {
            positions.append((i, j))
            switch edit {
            case .same: i += 1; j += 1
            case .delete: i += 1
            case .insert: j += 1
            }
        }
        var out = "--- \(oldName)\n+++ \(newName)\n"
        var index = 0
        while index < edits.count {
            guard edits[index] != .same else { index += 1; continue }
            // A hunk: this change, and the next ones closer than 2 × context lines of equal text.
            let start = max(0, index - context)
            var end = index
            while end < edits.count {
                if edits[end] != .same { end += 1; continue }
                var run = end
                while run < edits.count && edits[run] == .same { run += 1 }
                if run == edits.count || run - end > 2 * context {
                    end = min(run, end + context)
                    break
                }
                end = run
            }
            let oldCount = edits[start..<end].filter { $0 != .insert }.count
            let newCount = edits[start..<end].filter { $0 != .delete }.count
            let (oldStart, newStart) = positions[start]
            out += "@@ -\(range(oldStart, oldCount)) +\(range(newStart, newCount)) @@\n"
            for k in start..<end {
                let (i, j) = positions[k]
                switch edits[k] {
                case .same: out += show(" ", a[i])
                case .delete: out += show("-", a[i])
                case .insert: out += show("+", b[j])
                }
            }
            index = end
        }
        return out
    }

    static func range(_ start: Int, _ count: Int) -> String {
        // As diff -u: a hunk that takes no line of a file names the line before it.
        count == 1 ? "\(start + 1)" : "\(count == 0 ? start : start + 1),\(count)"
    }

    static func show(_ mark: String, _ line: String) -> String {
        line.hasSuffix("\n") ? mark + line : mark + line + "\n\\ No newline at end of file\n"
    }

    /// Lines with their newline, so a last line without one differs from the same line with one.
    static func lines(_ text: String) -> [String] {
        var result: [String] = []
        var start = 0
        let bytes = Array(text.utf8)
        for (offset, byte) in bytes.enumerated() where byte == UInt8(ascii: "\n") {
            result.append(String(decoding: bytes[start...offset], as: UTF8.self))
            start = offset + 1
        }
        if start < bytes.count { result.append(String(decoding: bytes[start...], as: UTF8.self)) }
        return result
    }

    /// The shortest edit script from `a` to `b` (Myers, O((N+M)·D)).
    static func script(_ a: [String], _ b: [String]) -> [Edit] {
        let n = a.count, m = b.count
        let offset = n + m + 1
        var v = [Int](repeating: 0, count: 2 * offset + 1)
        var trace: [[Int]] = []
        var found = false
        for d in 0...(n + m) {
            trace.append(v)
            for k in stride(from: -d, through: d, by: 2) {
                var x: Int
                if k == -d || (k != d && v[offset + k - 1] < v[offset + k + 1]) {
                    x = v[offset + k + 1]
                } else {
                    x = v[offset + k - 1] + 1
                }
                var y = x - k
                while x < n && y < m && a[x] == b[y] { x += 1; y += 1 }
                v[offset + k] = x
                if x >= n && y >= m { found = true; break }
            }
            if found { break }
        }
        // Walk back through the saved frontiers.
        var edits: [Edit] = []
        var x = n, y = m
        for d in stride(from: trace.count - 1, through: 0, by: -1) {
            let v = trace[d]
            let k = x - y
            let previousK = (k == -d || (k != d && v[offset + k - 1] < v[offset + k + 1])) ? k + 1 : k - 1
            let previousX = d == 0 ? 0 : v[offset + previousK]
            let previousY = previousX - previousK
            while x > previousX && y > previousY {
                edits.append(.same)
                x -= 1; y -= 1
            }
            if d > 0 {
                edits.append(x == previousX ? .insert : .delete)
                x = previousX
                y = previousY
            }
        }
        return edits.reversed()
    }
}
