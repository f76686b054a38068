import Lexer

/// Prints an AST back as source in wds's one canonical layout, putting the
/// comments back by position (as go/printer does). The layout:
///
/// - 2-space indentation, one statement per line (`;` becomes a new line);
/// - `} elif … {`, `} else {`, `} catch err {` on the closing brace's line;
/// - a compound statement written on one line whose blocks each hold at most
///   one simple statement stays on one line (`if $ok { echo yes }`); any
///   other block is opened at the end of its line and closed on its own line;
///   an empty block is `{}`; consecutive one-line `match` arms align their `{`;
/// - a line break after `&&`/`||` and a `\` continuation between words are
///   kept where the source had them; continuation lines are indented 2 more;
/// - a list written over several lines keeps the elements that shared a
///   line on one line, each such line indented 2 more, `]` on its own line,
///   and one blank line where the source had one or more between them;
/// - words are printed from their source text, so quoting never changes; only
///   each `$( … )` inside is printed again, on one line;
/// - one blank line is kept where the source had one or more between two
///   statements (never after `{` or before `}`); at the top level a blank line
///   surrounds every multi-line `def`;
/// - comments stay: own-line comments before what followed them, trailing
///   comments after their line's statement (aligned with the trailing comments
///   of the neighbouring lines), comments at the end of a block before its
///   `}`; a comment inside `$( … )` moves above its statement.
struct Printer {
    let file: SourceFile
    let comments: [Comment]
    var used: [Bool]
    /// Every comment before this one is used.
    var firstUnused = 0
    /// Lines printed so far, and the one being printed.
    var lines: [Line] = []
    var current = Line(indent: 0)

    struct Line {
        var indent: Int
        var code = ""
        var trailing: String?
        var isBlank: Bool { code.isEmpty && trailing == nil }
    }

    init(file: SourceFile, comments: [Comment]) {
        self.file = file
        self.comments = comments.sorted { $0.range.start < $1.range.start }
        self.used = Array(repeating: false, count: comments.count)
    }

    // MARK: - Output

    mutating func write(_ text: String) { current.code += text }

    /// Ends the current line, unless nothing was printed on it.
    mutating func newLine(indent: Int) {
        if !current.isBlank { lines.append(current) }
        current = Line(indent: indent)
    }

    mutating func blankLine() {
        newLine(indent: current.indent)
        if let last = lines.last, !last.isBlank { lines.append(Line(indent: 0)) }
    }

    mutating func ownLineComment(_ index: Int, indent: Int) {
        markUsed(index)
        newLine(indent: indent)
        current.code = comments[index].text
        newLine(indent: indent)
    }

    /// A comment at the end of the current line (or on the next line if the current one has one).
    mutating func trailingComment(_ index: Int, indent: Int) {
        if current.trailing != nil || current.code.isEmpty {
            ownLineComment(index, indent: indent)
        } else {
            markUsed(index)
            current.trailing = comments[index].text
        }
    }

    /// A file written with CRLF line endings keeps them.
    var lineEnding: String {
        guard let newline = file.bytes.firstIndex(of: UInt8(ascii: "\n")) else { return "\n" }
        return newline > 0 && file.bytes[newline - 1] == UInt8(ascii: "\r") ? "\r\n" : "\n"
    }

    /// The finished text: trailing comments of neighbouring lines aligned, one newline at the end.
    mutating func render() -> String {
        newLine(indent: 0)
        while lines.last?.isBlank == true { lines.removeLast() }
        func width(_ line: Line) -> Int {
            if let newline = line.code.lastIndex(of: "\n") {
                return line.code[line.code.index(after: newline)...].count
            }
            return line.indent + line.code.count
        }
        func alignable(_ line: Line) -> Bool { line.trailing != nil && !line.code.contains("\n") }
        var out = ""
        var index = 0
        while index < lines.count {
            var end = index + 1
            if alignable(lines[index]) {
                while end < lines.count, alignable(lines[end]), lines[end].indent == lines[index].indent { end += 1 }
            }
            let column = lines[index..<end].map(width).max() ?? 0
            for line in lines[index..<end] {
                var text = line.code.isEmpty ? "" : String(repeating: " ", count: line.indent) + line.code
                if let trailing = line.trailing {
                    if text.isEmpty { text = String(repeating: " ", count: line.indent) }
                    text += String(repeating: " ", count: max(1, column - width(line) + 1)) + trailing
                }
                out += text + lineEnding
            }
            index = end
        }
        return out
    }

    // MARK: - Source positions

    func line(_ offset: Int) -> Int { file.lineAndColumn(of: offset).line }

    /// The line of the last character of a range.
    func lastLine(_ range: SourceRange) -> Int { line(max(range.start, range.end - 1)) }

    /// Whether the source has an empty line somewhere between two offsets.
    func blankLineBetween(_ start: Int, _ end: Int) -> Bool {
        guard start < end else { return false }
        let segments = file.bytes[start..<end].split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        guard segments.count > 2 else { return false }
        return segments.dropFirst().dropLast().contains { segment in
            segment.allSatisfy { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\r") }
        }
    }

    /// Unused comments starting in `start..<end`, in order.
    func unusedComments(from start: Int = 0, before end: Int) -> [Int] {
        var low = firstUnused
        var high = comments.count
        while low < high {
            let middle = (low + high) / 2
            if comments[middle].range.start < start { low = middle + 1 } else { high = middle }
        }
        var result: [Int] = []
        while low < comments.count && comments[low].range.start < end {
            if !used[low] { result.append(low) }
            low += 1
        }
        return result
    }

    mutating func markUsed(_ index: Int) {
        used[index] = true
        while firstUnused < comments.count && used[firstUnused] { firstUnused += 1 }
    }

    /// The unused comment starting on the same source line as `offset`, after it and before `end`.
    func commentOnLine(of offset: Int, before end: Int) -> Int? {
        let line = line(offset)
        return unusedComments(from: offset, before: end).first { self.line(comments[$0].range.start) == line }
    }

    // MARK: - Statements

    mutating func program(_ statements: [Statement]) -> String {
        sequence(statements, indent: 0, start: 0, end: file.bytes.count, topLevel: true)
        for index in unusedComments(before: Int.max) { ownLineComment(index, indent: 0) }
        return render()
    }

    /// The statements of a block or file, each with its own-line comments
    /// before it and its trailing comment after it, then the comments left
    /// before `end`.
    mutating func sequence(_ statements: [Statement], indent: Int, start: Int, end: Int, topLevel: Bool) {
        var lastEnd: Int?
        var forceBlank = false
        func separate(_ printer: inout Printer, before offset: Int) {
            if let lastEnd, forceBlank || printer.blankLineBetween(lastEnd, offset) { printer.blankLine() }
            forceBlank = false
        }
        for (position, statement) in statements.enumerated() {
            let isBigFunction = topLevel && isMultiLineFunction(statement)
            if isBigFunction && lastEnd != nil { forceBlank = true }
            let hoisted = Set(commentsInSubstitutions(of: statement))
            for index in (unusedComments(before: statement.range.start) + hoisted).sorted() {
                separate(&self, before: min(comments[index].range.start, statement.range.start))
                ownLineComment(index, indent: indent)
                lastEnd = hoisted.contains(index) ? statement.range.start : comments[index].range.end
            }
            separate(&self, before: statement.range.start)
            newLine(indent: indent)
            self.statement(statement, indent: indent)
            let limit = position + 1 < statements.count ? statements[position + 1].range.start : end
            lastEnd = statement.range.end
            if let index = commentOnLine(of: statement.range.end, before: limit) {
                trailingComment(index, indent: indent)
                lastEnd = comments[index].range.end
            }
            newLine(indent: indent)
            if isBigFunction { forceBlank = true }
        }
        for index in unusedComments(from: start, before: end) {
            separate(&self, before: comments[index].range.start)
            ownLineComment(index, indent: indent)
            lastEnd = comments[index].range.end
        }
    }

    func isMultiLineFunction(_ statement: Statement) -> Bool {
        guard case .function = statement.kind else { return false }
        return !staysOnOneLine(statement)
    }

    mutating func statement(_ statement: Statement, indent: Int) {
        let continuation = indent + 2
        switch statement.kind {
        case .let(let name, let value):
            write("let \(name.name) = ")
            expression(value, continuation: continuation)
        case .assign(let name, let value):
            write("\(name.name) = ")
            expression(value, continuation: continuation)
        case .pipeline(let pipeline):
            self.pipeline(pipeline, continuation: continuation)
        case .if(let branches, let elseBlock):
            let oneLine = staysOnOneLine(statement)
            for (position, branch) in branches.enumerated() {
                write(position == 0 ? "if " : " elif ")
                pipeline(branch.condition, continuation: continuation)
                let next = position + 1 < branches.count ? branches[position + 1].condition.range.start
                    : elseBlock?.range.start ?? branch.body.range.end
                block(branch.body, indent: indent, oneLine: oneLine, commentsBefore: next)
            }
            if let elseBlock {
                write(" else")
                block(elseBlock, indent: indent, oneLine: oneLine)
            }
        case .for(let name, let list, let body):
            write("for \(name.name) in ")
            expression(list, continuation: continuation)
            block(body, indent: indent, oneLine: staysOnOneLine(statement))
        case .while(let condition, let body):
            write("while ")
            pipeline(condition, continuation: continuation)
            block(body, indent: indent, oneLine: staysOnOneLine(statement))
        case .match(let subject, let arms, let elseBlock):
            write("match ")
            expression(subject, continuation: continuation)
            match(arms, else: elseBlock, range: statement.range, subjectEnd: subject.range.end, indent: indent)
        case .function(let declaration):
            write("def \(declaration.name.name)(\(declaration.parameters.map(\.name).joined(separator: ", ")))")
            block(declaration.body, indent: indent, oneLine: staysOnOneLine(statement))
        case .return(let value):
            write("return")
            if let value {
                write(" ")
                expression(value, continuation: continuation)
            }
        case .exit(let value):
            write("exit")
            if let value {
                write(" ")
                expression(value, continuation: continuation)
            }
        case .break:
            write("break")
        case .continue:
            write("continue")
        case .try(let body, let name, let handler):
            let oneLine = staysOnOneLine(statement)
            write("try")
            block(body, indent: indent, oneLine: oneLine, commentsBefore: handler.range.start)
            write(" catch" + (name.map { " " + $0.name } ?? ""))
            block(handler, indent: indent, oneLine: oneLine)
        case .lock(let path, let timeout, let body):
            write("lock ")
            expression(path, continuation: continuation)
            if let timeout {
                write(" timeout ")
                expression(timeout, continuation: continuation)
            }
            block(body, indent: indent, oneLine: staysOnOneLine(statement))
        case .source(let path, _):
            write("source ")
            expression(path, continuation: continuation)
        case .cleanup(let body):
            write("cleanup")
            block(body, indent: indent, oneLine: staysOnOneLine(statement))
        }
    }

    /// ` { … }`, leaving the current line at the closing brace. Comments
    /// before `commentsBefore` (those between this `}` and a following `elif`,
    /// `else` or `catch`) end up inside the block, before its `}`.
    mutating func block(_ block: Block, indent: Int, oneLine: Bool, commentsBefore: Int? = nil) {
        let end = commentsBefore ?? (block.range.end - 1)
        if block.statements.isEmpty && unusedComments(from: block.range.start, before: end).isEmpty {
            write(" {}")
            return
        }
        if oneLine, block.statements.count == 1 {
            write(" { ")
            statement(block.statements[0], indent: indent)
            write(" }")
            return
        }
        write(" {")
        let first = block.statements.first?.range.start ?? end
        if let index = commentOnLine(of: block.range.start, before: first) {
            trailingComment(index, indent: indent + 2)
        }
        newLine(indent: indent + 2)
        sequence(block.statements, indent: indent + 2, start: block.range.start, end: end, topLevel: false)
        newLine(indent: indent)
        write("}")
    }

    /// The arms of a `match`, one per line (an arm written on one line, with
    /// one simple statement, stays on one line).
    mutating func match(_ arms: [MatchArm], else elseBlock: Block?, range: SourceRange, subjectEnd: Int, indent: Int) {
        let inner = indent + 2
        // Each arm with where it starts (an `else` arm starts at its block: comments cannot sit between).
        var items: [(start: Int, arm: MatchArm?, body: Block)] = arms.map { ($0.patterns[0].range.start, $0, $0.body) }
        if let elseBlock { items.append((elseBlock.range.start, nil, elseBlock)) }
        items.sort { $0.start < $1.start }  // an `else` written before other arms stays there
        let close = range.end - 1
        if items.isEmpty && unusedComments(from: range.start, before: close).isEmpty {
            write(" {}")
            return
        }
        write(" {")
        if let index = commentOnLine(of: subjectEnd, before: items.first?.start ?? close) {
            trailingComment(index, indent: inner)
        }
        // Consecutive one-line arms align their `{` (a blank line or an own-line comment ends a run).
        let heads = items.map { item in item.arm.map { $0.patterns.map(word).joined(separator: " ") } ?? "else" }
        let oneLines = items.map { item in
            // An empty block is printed `{}` wherever its braces were.
            unusedComments(from: item.start, before: item.body.range.end).isEmpty
                && (item.body.statements.isEmpty || line(item.start) == lastLine(item.body.range) && isSimpleBlock(item.body))
        }
        var widths = heads.map(\.count)
        var runStart = 0
        for position in items.indices {
            let previousEnd = position > 0 ? items[position - 1].body.range : nil
            let continues = previousEnd.map { previous in
                oneLines[position] && oneLines[position - 1] && !heads[position].contains("\n")
                    && !heads[position - 1].contains("\n") && !blankLineBetween(previous.end, items[position].start)
                    && unusedComments(from: previous.end, before: items[position].start)
                        .allSatisfy { line(comments[$0].range.start) == lastLine(previous) }
            } ?? false
            if !continues { runStart = position }
            if oneLines[position] && !heads[position].contains("\n") {
                let width = heads[runStart...position].map(\.count).max() ?? 0
                for member in runStart...position { widths[member] = width }
            }
        }
        var lastEnd: Int?
        for (position, item) in items.enumerated() {
            for index in unusedComments(before: item.start) {
                if let lastEnd, blankLineBetween(lastEnd, comments[index].range.start) { blankLine() }
                ownLineComment(index, indent: inner)
                lastEnd = comments[index].range.end
            }
            if let lastEnd, blankLineBetween(lastEnd, item.start) { blankLine() }
            newLine(indent: inner)
            let oneLine = oneLines[position]
            write(heads[position])
            if oneLine { write(String(repeating: " ", count: max(0, widths[position] - heads[position].count))) }
            let limit = position + 1 < items.count ? items[position + 1].start : close
            block(item.body, indent: inner, oneLine: oneLine)
            lastEnd = item.body.range.end
            if let index = commentOnLine(of: item.body.range.end, before: limit) {
                trailingComment(index, indent: inner)
                lastEnd = comments[index].range.end
            }
            newLine(indent: inner)
        }
        for index in unusedComments(from: range.start, before: close) {
            if let lastEnd, blankLineBetween(lastEnd, comments[index].range.start) { blankLine() }
            ownLineComment(index, indent: inner)
            lastEnd = comments[index].range.end
        }
        newLine(indent: indent)
        write("}")
    }

    // MARK: - One-line statements

    /// A compound statement written on one source line, without comments,
    /// whose blocks each hold at most one simple statement.
    func staysOnOneLine(_ statement: Statement) -> Bool {
        guard line(statement.range.start) == lastLine(statement.range),
              unusedComments(from: statement.range.start, before: statement.range.end).isEmpty else { return false }
        switch statement.kind {
        case .if(let branches, let elseBlock):
            return branches.allSatisfy { isSimpleBlock($0.body) } && elseBlock.map(isSimpleBlock) ?? true
        case .for(_, _, let body), .while(_, let body), .lock(_, _, let body), .cleanup(let body):
            return isSimpleBlock(body)
        case .function(let declaration):
            return isSimpleBlock(declaration.body)
        case .try(let body, _, let handler):
            return isSimpleBlock(body) && isSimpleBlock(handler)
        case .match, .let, .assign, .pipeline, .return, .exit, .break, .continue, .source:
            return false
        }
    }

    func isSimpleBlock(_ block: Block) -> Bool {
        block.statements.count <= 1 && block.statements.allSatisfy(isSimple)
    }

    func isSimple(_ statement: Statement) -> Bool {
        switch statement.kind {
        case .let, .assign, .pipeline, .return, .exit, .break, .continue, .source:
            return true
        case .if, .for, .while, .match, .function, .try, .lock, .cleanup:
            return false
        }
    }
}
