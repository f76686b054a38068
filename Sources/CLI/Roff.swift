/// Turns text into man(7) roff for `wds manual`: escaping, the inline Markdown
/// of help texts (`code`, **bold**, *emphasis*, [links](…)), and the block
/// Markdown of docs/language.md (headings, paragraphs, lists, tables, code).
/// Only the Markdown that docs/language.md uses is understood.
enum Roff {
    /// Text escaped for a roff text line: backslashes, dashes (so options
    /// copy as ASCII minus), a break point after `|`, and a leading `.` or
    /// `'` that would be a request.
    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "\\": out += "\\e"
            case "-": out += "\\-"
            case "|": out += "|\\:"  // a possible break: `tcp|udp|…` choices can be long
            default: out.append(character)
            }
        }
        return guardLineStart(out)
    }

    /// A line starting with `.` or `'` would be read as a request.
    static func guardLineStart(_ line: String) -> String {
        line.hasPrefix(".") || line.hasPrefix("'") ? "\\&" + line : line
    }

    /// A quoted macro argument (for .SH, .SS): escaped, with `"` as `\(dq`.
    static func quoted(_ text: String) -> String {
        "\"" + escape(text).replacingAll("\"", with: "\\(dq") + "\""
    }

    static func bold(_ text: String) -> String { "\\fB" + escape(text) + "\\fP" }
    static func italic(_ text: String) -> String { "\\fI" + escape(text) + "\\fP" }

    /// Inline Markdown to roff: `code` and **strong** bold, *emphasis*
    /// italic, [text](target) as its text. Everything else is escaped.
    static func inline(_ markdown: String) -> String {
        var out = ""
        var plain = ""
        let characters = Array(markdown)
        var index = 0
        func flush() {
            out += escape(plain)
            plain = ""
        }
        /// The index of the next `delimiter` at or after `start`, if any.
        func find(_ delimiter: String, from start: Int) -> Int? {
            let pattern = Array(delimiter)
            var position = start
            while position + pattern.count <= characters.count {
                if Array(characters[position..<position + pattern.count]) == pattern { return position }
                position += 1
            }
            return nil
        }
        while index < characters.count {
            let character = characters[index]
            if character == "`" {
                // A code span opened by N backquotes closes at the next N.
                var ticks = 0
                while index + ticks < characters.count && characters[index + ticks] == "`" { ticks += 1 }
                let fence = String(repeating: "`", count: ticks)
                if let close = find(fence, from: index + ticks) {
                    flush()
                    var code = String(characters[(index + ticks)..<close])
                    if ticks > 1 { code = code.trimmingBlanks() }
                    out += "\\fB" + escape(code).droppingLineGuard() + "\\fP"
                    index = close + ticks
                    continue
                }
            } else if character == "*" && index + 1 < characters.count && characters[index + 1] == "*",
                      let close = find("**", from: index + 2), close > index + 2 {
                flush()
                out += "\\fB" + inline(String(characters[(index + 2)..<close])).droppingLineGuard() + "\\fP"
                index = close + 2
                continue
            } else if character == "*", index + 1 < characters.count, characters[index + 1] != " ",
                      let close = find("*", from: index + 1), close > index + 1 {
                flush()
                out += "\\fI" + inline(String(characters[(index + 1)..<close])).droppingLineGuard() + "\\fP"
                index = close + 1
                continue
            } else if character == "[", let middle = find("](", from: index + 1),
                      let close = find(")", from: middle + 2),
                      !characters[(index + 1)..<middle].contains("]") {
                flush()
                out += inline(String(characters[(index + 1)..<middle])).droppingLineGuard()
                index = close + 1
                continue
            } else if character == "\\", index + 1 < characters.count, "|`*_[]\\".contains(characters[index + 1]) {
                // A Markdown escape, such as `\|` in a table cell.
                plain.append(characters[index + 1])
                index += 2
                continue
            }
            plain.append(character)
            index += 1
        }
        flush()
        return guardLineStart(out.droppingLineGuard())
    }

    /// Block Markdown to roff. Level-2 headings become sections (.SH, upper
    /// case), level 3 subsections (.SS), level 4 bold paragraphs; a level-1
    /// heading (the document title) and HTML comments are dropped.
    static func blocks(_ markdown: String) -> String {
        var out: [String] = []
        let lines = markdown.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var index = 0
        var paragraph: [String] = []
        func flushParagraph() {
            guard !paragraph.isEmpty else { return }
            out.append(".PP")
            out += paragraph.map { inline($0.trimmingBlanks()) }
            paragraph = []
        }
        while index < lines.count {
            let line = lines[index]
            let trimmed = line.trimmingBlanks()
            if trimmed.isEmpty {
                flushParagraph()
                index += 1
            } else if trimmed.hasPrefix("<!--") {
                flushParagraph()
                index += 1
            } else if line.hasPrefix("```") {
                flushParagraph()
                index += 1
                out += [".PP", ".RS 4", ".nf"]
                while index < lines.count && !lines[index].hasPrefix("```") {
                    out.append(escape(lines[index]).isEmpty ? "" : escape(lines[index]))
                    index += 1
                }
                index += 1
                out += [".fi", ".RE"]
            } else if line.hasPrefix("#") {
                flushParagraph()
                let level = line.prefix(while: { $0 == "#" }).count
                let title = String(line.dropFirst(level)).trimmingBlanks()
                switch level {
                case 1: break
                case 2: out.append(".SH " + quoted(plainText(title).uppercased()))
                case 3: out.append(".SS " + quoted(plainText(title)))
                default: out += [".PP", "\\fB" + inline(title).droppingLineGuard() + "\\fP"]
                }
                index += 1
            } else if line.hasPrefix("- ") {
                flushParagraph()
                var item = [String(line.dropFirst(2))]
                index += 1
                while index < lines.count && lines[index].hasPrefix("  ") && !lines[index].trimmingBlanks().isEmpty {
                    item.append(lines[index].trimmingBlanks())
                    index += 1
                }
                out += [".IP \\(bu 2"] + item.map(inline)
            } else if line.hasPrefix("|") {
                flushParagraph()
                var rows: [[String]] = []
                while index < lines.count && lines[index].hasPrefix("|") {
                    let cells = tableCells(lines[index])
                    if !cells.allSatisfy({ $0.allSatisfy { "-: ".contains($0) } }) { rows.append(cells) }
                    index += 1
                }
                out += table(rows)
            } else {
                paragraph.append(line)
                index += 1
            }
        }
        flushParagraph()
        return out.joined(separator: "\n") + "\n"
    }

    /// Heading text without its Markdown: backquotes and emphasis removed.
    static func plainText(_ markdown: String) -> String {
        markdown.filter { $0 != "`" && $0 != "*" }
    }

    /// The cells of one `| a | b |` row; `\|` is a literal bar inside a cell.
    static func tableCells(_ line: String) -> [String] {
        var cells: [String] = []
        var cell = ""
        var escaped = false
        var inCode = false
        for character in line.trimmingBlanks().dropFirst() {
            if escaped {
                cell += "\\" + String(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == "`" {
                inCode.toggle()
                cell.append(character)
            } else if character == "|" && !inCode {
                cells.append(cell.trimmingBlanks())
                cell = ""
            } else {
                cell.append(character)
            }
        }
        return cells
    }

    /// A table for tbl(1): the first row is the header, every cell a text
    /// block so that long cells wrap instead of running past the margin.
    static func table(_ rows: [[String]]) -> [String] {
        guard let header = rows.first else { return [] }
        let columns = header.count
        // `nokeep`: man renders the page as one long page, but tbl still tries to keep each
        // row on one, and warns ("table text block will not fit on one page") wherever a
        // row happens to fall near its pretend page break: a line added far above moves it.
        var out = [".PP", ".TS", "tab(@) nokeep;"]
        out.append(Array(repeating: "lbx", count: columns).joined(separator: " "))
        out.append(Array(repeating: "lx", count: columns).joined(separator: " ") + ".")
        for row in rows {
            let cells = (0..<columns).map { $0 < row.count ? row[$0] : "" }
            // Each cell is `T{`, its text, `T}`; `@` is the tab between cells.
            var line = ""
            for (position, cell) in cells.enumerated() {
                if position > 0 { line += "@" }
                line += "T{\n" + inline(cell).replacingAll("@", with: "\\(at") + "\nT}"
            }
            out.append(line)
        }
        out.append(".TE")
        return out
    }
}

extension String {
    func trimmingBlanks() -> String {
        var text = Substring(self)
        while let first = text.first, first == " " || first == "\t" { text = text.dropFirst() }
        while let last = text.last, last == " " || last == "\t" { text = text.dropLast() }
        return String(text)
    }

    /// Undoes `Roff.guardLineStart` for text that will not start a line.
    func droppingLineGuard() -> String {
        hasPrefix("\\&") ? String(dropFirst(2)) : self
    }
}
