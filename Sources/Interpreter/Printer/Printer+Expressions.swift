import Lexer

/// Words, lists and pipelines. A word is printed from its source text (so
/// quotes, escapes and `${…}` stay as the user wrote them) with each `$( … )`
/// inside printed again, on one line.
extension Printer {
    // MARK: - On one line

    /// The source text of a word or a spread, its substitutions reprinted.
    func word(_ expression: Expression) -> String {
        var parts: [WordPart] = []
        switch expression.kind {
        case .word(let wordParts): parts = wordParts
        case .spread(let inner): if case .word(let wordParts) = inner.kind { parts = wordParts }
        case .list: return flat(expression)
        }
        var out = ""
        var position = expression.range.start
        for part in parts {
            guard case .substitution(let pipeline) = part.kind else { continue }
            out += text(position, part.range.start)
            out += "$(" + flat(pipeline) + ")"
            position = part.range.end
        }
        out += text(position, expression.range.end, trimmingContinuation: true)
        return out
    }

    /// Source text. At the end of a word, a `\` line continuation the lexer
    /// took into the word acts only as a blank, and is left out.
    func text(_ start: Int, _ end: Int, trimmingContinuation: Bool = false) -> String {
        var end = end
        while trimmingContinuation && end - start >= 2 {
            if file.bytes[end - 1] == UInt8(ascii: "\n") && file.bytes[end - 2] == UInt8(ascii: "\\") {
                end -= 2
            } else if end - start >= 3, file.bytes[end - 1] == UInt8(ascii: "\n"), file.bytes[end - 2] == UInt8(ascii: "\r"),
                      file.bytes[end - 3] == UInt8(ascii: "\\") {
                end -= 3
            } else {
                break
            }
        }
        return file.text(SourceRange(file: file, start: start, end: end))
    }

    func flat(_ expression: Expression) -> String {
        switch expression.kind {
        case .word, .spread: return word(expression)
        case .list(let elements): return "[" + elements.map(flat).joined(separator: " ") + "]"
        }
    }

    func flat(_ pipeline: Pipeline) -> String {
        switch pipeline.kind {
        case .command(let command):
            return ([text(command.name.range.start, command.name.range.end, trimmingContinuation: true)] + command.arguments.map(flat))
                .joined(separator: " ")
        case .not(let inner): return "! " + flat(inner)
        case .and(let a, let b): return flat(a) + " && " + flat(b)
        case .or(let a, let b): return flat(a) + " || " + flat(b)
        case .compare(let a, let op, let b): return "\(flat(a)) \(op.rawValue) \(flat(b))"
        case .test(let value): return flat(value)
        }
    }

    // MARK: - Over lines, as in the source

    /// A value; a list written over several lines stays over several lines.
    mutating func expression(_ expression: Expression, continuation: Int) {
        guard case .list(let elements) = expression.kind else {
            write(word(expression))
            return
        }
        if line(expression.range.start) != lastLine(expression.range) {
            list(elements, range: expression.range)
            return
        }
        write("[")
        for (position, element) in elements.enumerated() {
            if position > 0 { write(" ") }
            self.expression(element, continuation: continuation)
        }
        write("]")
    }

    /// `[`, then the elements that shared a source line on one line each, then `]` on its own line.
    mutating func list(_ elements: [Expression], range: SourceRange) {
        let outer = current.indent
        let inner = outer + 2
        let close = range.end - 1
        var groups: [[Expression]] = []
        for element in elements {
            if let previous = groups.last?.last, line(element.range.start) == lastLine(previous.range) {
                groups[groups.count - 1].append(element)
            } else {
                groups.append([element])
            }
        }
        if groups.isEmpty && unusedComments(from: range.start, before: close).isEmpty {
            write("[]")
            return
        }
        write("[")
        if let index = commentOnLine(of: range.start, before: groups.first?.first?.range.start ?? close) {
            trailingComment(index, indent: inner)
        }
        // One blank line is kept where the source had one or more between two
        // elements' lines or comments (never after `[`), as between statements.
        var lastEnd: Int?
        for (position, group) in groups.enumerated() {
            for index in unusedComments(from: range.start, before: group[0].range.start) {
                if let lastEnd, blankLineBetween(lastEnd, comments[index].range.start) { blankLine() }
                ownLineComment(index, indent: inner)
                lastEnd = comments[index].range.end
            }
            if let lastEnd, blankLineBetween(lastEnd, group[0].range.start) { blankLine() }
            newLine(indent: inner)
            for (number, element) in group.enumerated() {
                if number > 0 { write(" ") }
                expression(element, continuation: inner + 2)
            }
            lastEnd = group[group.count - 1].range.end
            let limit = position + 1 < groups.count ? groups[position + 1][0].range.start : close
            if let index = commentOnLine(of: group[group.count - 1].range.end, before: limit) {
                trailingComment(index, indent: inner)
                lastEnd = comments[index].range.end
            }
        }
        for index in unusedComments(from: range.start, before: close) {
            if let lastEnd, blankLineBetween(lastEnd, comments[index].range.start) { blankLine() }
            ownLineComment(index, indent: inner)
            lastEnd = comments[index].range.end
        }
        newLine(indent: outer)
        write("]")
    }

    /// A condition or command: a break after `&&`/`||` and a `\` between words stay where they were.
    mutating func pipeline(_ pipeline: Pipeline, continuation: Int) {
        switch pipeline.kind {
        case .and(let a, let b), .or(let a, let b):
            self.pipeline(a, continuation: continuation)
            if case .and = pipeline.kind { write(" &&") } else { write(" ||") }
            if line(b.range.start) > lastLine(a.range) {
                if let index = commentOnLine(of: a.range.end, before: b.range.start) {
                    trailingComment(index, indent: continuation)
                }
                for index in unusedComments(from: a.range.end, before: b.range.start) {
                    ownLineComment(index, indent: continuation)
                }
                newLine(indent: continuation)
            } else {
                write(" ")
            }
            self.pipeline(b, continuation: continuation)
        case .not(let inner):
            write("! ")
            self.pipeline(inner, continuation: continuation)
        case .command(let command):
            write(text(command.name.range.start, command.name.range.end, trimmingContinuation: true))
            var previous = command.name.range
            for argument in command.arguments {
                if line(argument.range.start) > lastLine(previous) {
                    write(" \\")
                    newLine(indent: continuation)
                } else {
                    write(" ")
                }
                expression(argument, continuation: continuation)
                previous = argument.range
            }
        case .compare(let a, let op, let b):
            expression(a, continuation: continuation)
            write(" \(op.rawValue) ")
            expression(b, continuation: continuation)
        case .test(let value):
            expression(value, continuation: continuation)
        }
    }

    // MARK: - Comments that cannot stay where they are

    /// Unused comments inside the `$( … )` of a statement's own words (not of
    /// the statements in its blocks): they are printed above the statement.
    func commentsInSubstitutions(of statement: Statement) -> [Int] {
        var expressions: [Expression] = []
        var pipelines: [Pipeline] = []
        switch statement.kind {
        case .let(_, let value), .assign(_, let value): expressions = [value]
        case .pipeline(let pipeline): pipelines = [pipeline]
        case .if(let branches, _): pipelines = branches.map(\.condition)
        case .for(_, let list, _): expressions = [list]
        case .while(let condition, _): pipelines = [condition]
        case .match(let subject, let arms, _): expressions = [subject] + arms.flatMap(\.patterns)
        case .return(let value), .exit(let value): expressions = value.map { [$0] } ?? []
        case .lock(let path, let timeout, _): expressions = [path] + (timeout.map { [$0] } ?? [])
        case .source(let path, _): expressions = [path]
        case .function, .break, .continue, .try, .cleanup: break
        }
        let ranges = expressions.flatMap(substitutionRanges) + pipelines.flatMap(substitutionRanges)
        if ranges.isEmpty { return [] }
        return unusedComments(from: statement.range.start, before: statement.range.end).filter { index in
            ranges.contains { $0.start <= comments[index].range.start && comments[index].range.start < $0.end }
        }
    }

    func substitutionRanges(_ expression: Expression) -> [SourceRange] {
        switch expression.kind {
        case .word(let parts):
            return parts.compactMap { if case .substitution = $0.kind { return $0.range } else { return nil } }
        case .list(let elements): return elements.flatMap(substitutionRanges)
        case .spread(let inner): return substitutionRanges(inner)
        }
    }

    func substitutionRanges(_ pipeline: Pipeline) -> [SourceRange] {
        switch pipeline.kind {
        case .command(let command): return command.arguments.flatMap(substitutionRanges)
        case .not(let inner): return substitutionRanges(inner)
        case .and(let a, let b), .or(let a, let b): return substitutionRanges(a) + substitutionRanges(b)
        case .compare(let a, _, let b): return substitutionRanges(a) + substitutionRanges(b)
        case .test(let value): return substitutionRanges(value)
        }
    }
}
