import Interpreter
import Lexer

/// Pure helpers on text and lists, replacing grep, sed, cut and friends.
/// None of them touches the host.
enum TextBuiltins {
    static let specs: [BuiltinSpec] = [
        BuiltinSpec("has-prefix", summary: "Whether TEXT starts with PREFIX.",
                    parameters: [Parameter("text"), Parameter("prefix")], example: "has-prefix $chain warden-instance-") { call in
            .boolean(try call.text(0).hasPrefix(try call.text(1)))
        },
        BuiltinSpec("has-suffix", summary: "Whether TEXT ends with SUFFIX.",
                    parameters: [Parameter("text"), Parameter("suffix")], example: "has-suffix $file .wds") { call in
            .boolean(try call.text(0).hasSuffix(try call.text(1)))
        },
        BuiltinSpec("contains", summary: "Whether TEXT contains PART, or whether a LIST has an item equal to PART.",
                    parameters: [Parameter("haystack", .anyValue), Parameter("needle")],
                    example: "contains $networks 10.0.0.0/8") { call in
            let needle = try call.text(1)
            if case .list(let items) = call.positionals[0] {
                return .boolean(items.contains { $0.text == needle })
            }
            let text = try call.text(0)
            return .boolean(needle.isEmpty || Substring(text).range(of: needle) != nil)
        },
        BuiltinSpec("replace", summary: "TEXT with every OLD replaced by NEW.",
                    parameters: [Parameter("text"), Parameter("old"), Parameter("new")],
                    example: "let key = $(replace $name \".\" \"/\")") { call in
            let old = try call.text(1)
            guard !old.isEmpty else { throw call.fail("'replace' needs a non-empty text to replace") }
            let (text, new) = (try call.text(0), try call.text(2))
            if new.utf8.count > old.utf8.count {
                let occurrences = Substring(text).splitAll(old).count - 1
                try call.checkValueSize(text.utf8.count + occurrences * (new.utf8.count - old.utf8.count))
            }
            return .string(text.replacingAll(old, with: new))
        },
        BuiltinSpec("split", summary: "A list of the pieces of TEXT between SEPARATORs; without one, between runs of blanks (empty pieces dropped).",
                    parameters: [Parameter("text"), Parameter("separator", optional: true)],
                    example: "let allow = $(split $(env ALLOW_NETWORKS \"\"))") { call in
            let text = try call.text(0)
            if let separator = try call.optionalText(1) {
                guard !separator.isEmpty else { throw call.fail("'split' needs a non-empty separator") }
                let pieces = Substring(text).splitAll(separator)
                try call.checkValueSize(16 + text.utf8.count + 16 * pieces.count)
                return .list(pieces.map { .string(String($0)) })
            }
            let pieces = TextBuiltins.splitAtBlanks(text)
            try call.checkValueSize(16 + text.utf8.count + 16 * pieces.count)
            return .list(pieces.map { .string(String($0)) })
        },
        BuiltinSpec("lines", summary: "A list of the lines of TEXT, without their newlines (a final newline adds no empty line).",
                    parameters: [Parameter("text")], example: "for line in $(lines $(read-file /proc/mounts)) { … }") { call in
            let text = try call.text(0)
            var lines = Substring(text).splitAll("\n").map { $0.hasSuffix("\r") ? $0.dropLast() : $0 }
            try call.checkValueSize(16 + text.utf8.count + 16 * lines.count)
            if lines.last == "" { lines.removeLast() }
            return .list(lines.map { .string(String($0)) })
        },
        BuiltinSpec("join", summary: "The items of LIST as text, with SEPARATOR between them.",
                    parameters: [Parameter("list", .list(of: .anyValue)), Parameter("separator", optional: true)],
                    example: "echo $(join $networks \", \")") { call in
            let items = try call.list(0)
            let separator = try call.optionalText(1) ?? " "
            var texts: [String] = []
            var bytes = 0
            for item in items {
                guard let text = item.text else { throw call.fail("'join' can only join text, found a \(item.typeName)") }
                texts.append(text)
                bytes += text.utf8.count + separator.utf8.count
            }
            try call.checkValueSize(bytes)
            return .string(texts.joined(separator: separator))
        },
        BuiltinSpec("trim", summary: "TEXT without leading and trailing blanks and newlines.",
                    parameters: [Parameter("text")], example: "let value = $(trim $(read-file $path))") { call in
            .string(trim(try call.text(0)))
        },
        BuiltinSpec("basename", summary: "The last part of PATH.",
                    parameters: [Parameter("path", .path)], example: "basename /tmp/warden/cgroup/cpu") { call in
            .string(Paths.base(try call.text(0)))
        },
        BuiltinSpec("dirname", summary: "PATH without its last part.",
                    parameters: [Parameter("path", .path)], example: "dirname $script") { call in
            .string(Paths.directory(try call.text(0)))
        },
        BuiltinSpec("format", summary: "TEMPLATE with each %s replaced by the next value (%% is a percent sign).",
                    parameters: [Parameter("template")], rest: Parameter("value", .anyValue),
                    example: "format \"%s:%s\" $ip $port") { call in
            let template = try call.text(0)
            // The same large value may fill many %s: the size is known before the text is made.
            try call.checkValueSize(call.positionals.dropFirst().reduce(template.utf8.count) { $0 + Limits.size(of: $1) })
            var values = call.positionals.dropFirst().makeIterator()
            var result = ""
            var chars = template.makeIterator()
            while let c = chars.next() {
                guard c == "%" else { result.append(c); continue }
                switch chars.next() {
                case "s":
                    guard let value = values.next() else { throw call.fail("'format' has more %s than values") }
                    result += value.description
                case "%": result.append("%")
                default: throw call.fail("'format' knows only %s and %%")
                }
            }
            if values.next() != nil { throw call.fail("'format' has more values than %s") }
            return .string(result)
        },
        BuiltinSpec("count", summary: "The number of items of a LIST, of fields of a RECORD, or of characters of a TEXT.",
                    parameters: [Parameter("value", .anyValue)], example: "if $(count $allow) > 0 { … }") { call in
            switch call.positionals[0] {
            case .list(let items): return .integer(items.count)
            case .record(let record): return .integer(record.fields.count)
            default: return .integer(try call.text(0).count)
            }
        },
        BuiltinSpec("is-empty", summary: "Whether a TEXT, LIST or RECORD is empty (a record without fields: an empty config file).",
                    parameters: [Parameter("value", .anyValue)], example: "if ! is-empty $deny { … }") { call in
            switch call.positionals[0] {
            case .list(let items): return .boolean(items.isEmpty)
            case .record(let record): return .boolean(record.fields.isEmpty)
            default: return .boolean(try call.text(0).isEmpty)
            }
        },
        BuiltinSpec("is-network", summary: "Whether TEXT is a network in CIDR form (10.0.0.0/8, an IPv6 prefix, or an address alone), as --source and --destination accept it. Checks values from the environment before anything changes.",
                    parameters: [Parameter("text", .text)], example: "if ! is-network $network { fail \"not a network: $network\" }") { call in
            .boolean(Validation.cidrProblem(try call.text(0)) == nil)
        },
        BuiltinSpec("list", summary: "A list of the values (the same as [a b c]).",
                    rest: Parameter("value", .anyValue), example: "let subsystems = $(list cpu cpuacct devices memory)") { call in
            .list(call.positionals)
        },
        BuiltinSpec("add", summary: "The sum of whole numbers.",
                    parameters: [Parameter("a", .integer), Parameter("b", .integer)], rest: Parameter("more", .integer),
                    example: "i = $(add $i 1)") { call in
            var sum = 0
            for index in call.positionals.indices {
                let (result, overflow) = sum.addingReportingOverflow(try call.integer(index))
                if overflow { throw call.fail("'add' overflowed") }
                sum = result
            }
            return .integer(sum)
        },
    ]

    /// Blanks, by byte: a space, a tab, a newline, a carriage return. Not by
    /// Character: "\r\n" is one Character, equal to neither "\r" nor "\n", so
    /// a line from a CRLF file kept its line end (and a Character walk cost
    /// ~400 instructions a byte: splitting 5000 networks took 42M).
    static func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }

    /// The pieces of `text` between runs of blanks, empty pieces dropped.
    static func splitAtBlanks(_ text: String) -> [Substring] {
        var pieces: [Substring] = []
        let bytes = text.utf8
        var start: String.Index?
        var index = bytes.startIndex
        while index < bytes.endIndex {
            if isBlank(bytes[index]) {
                if let first = start { pieces.append(text[first..<index]) }
                start = nil
            } else if start == nil {
                start = index
            }
            index = bytes.index(after: index)
        }
        if let first = start { pieces.append(text[first...]) }
        return pieces
    }

    static func trim(_ text: String) -> String {
        let bytes = text.utf8
        guard let first = bytes.firstIndex(where: { !isBlank($0) }), let last = bytes.lastIndex(where: { !isBlank($0) }) else { return "" }
        return String(text[first..<bytes.index(after: last)])
    }
}

