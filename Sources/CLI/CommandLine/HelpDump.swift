import Interpreter

/// `wds --experimental-dump-help`: the command table as JSON, for tools and
/// tests that check the help, the man page and the completions against it.
/// wds's own, in the shape swift-argument-parser's dump had (the flag and the
/// field names are kept so that readers of the old dump still work):
/// `{"command": {"commandName", "abstract", "discussion", "shouldDisplay",
/// "arguments": [{"kind": "flag"|"option"|"positional", "names", "valueName",
/// "isOptional", "isRepeating", "defaultValue", "allValues", …}], "subcommands"}}`.
enum HelpDump {
    static func json(_ root: CommandSpec) -> String {
        JSON.object([("command", command(root, superCommands: []))]).serialized + "\n"
    }

    static func command(_ command: CommandSpec, superCommands: [String]) -> JSON {
        var fields: [(String, JSON)] = [
            ("commandName", .string(command.name)),
            ("abstract", .string(command.abstract)),
        ]
        if !command.discussion.isEmpty { fields.append(("discussion", .string(command.discussion))) }
        fields.append(("shouldDisplay", .bool(!command.hidden)))
        if !superCommands.isEmpty { fields.append(("superCommands", .array(superCommands.map(JSON.string)))) }
        var arguments = command.options.map(option)
        arguments += command.positionals.map(positional)
        arguments += [option(.flag("version", help: "Show the version.")),
                      option(OptionSpec(long: "help", short: "h", help: "Show help information."))]
        fields.append(("arguments", .array(arguments)))
        if !command.subcommands.isEmpty {
            fields.append(("subcommands", .array(command.subcommands.map {
                self.command($0, superCommands: superCommands + [command.name])
            })))
        }
        return .object(fields)
    }

    static func option(_ option: OptionSpec) -> JSON {
        let names = option.names.map { name -> JSON in
            .object([("kind", .string(name.hasPrefix("--") ? "long" : "short")), ("name", .string(String(name.drop { $0 == "-" })))])
        }
        var fields: [(String, JSON)] = [
            ("kind", .string(option.isFlag ? "flag" : "option")),
            ("names", .array(names)),
            ("preferredName", .object([("kind", .string("long")), ("name", .string(option.long))])),
            ("valueName", .string(option.valueName ?? option.long)),
            ("abstract", .string(option.help)),
            ("isOptional", .bool(!option.required)),
            ("isRepeating", .bool(option.repeatable)),
            ("shouldDisplay", .bool(!option.hidden)),
        ]
        if let value = option.defaultValue { fields.append(("defaultValue", .string(value))) }
        if !option.choices.isEmpty { fields.append(("allValues", .array(option.choices.map(JSON.string)))) }
        return .object(fields)
    }

    static func positional(_ positional: PositionalSpec) -> JSON {
        .object([
            ("kind", .string("positional")),
            ("valueName", .string(positional.name)),
            ("abstract", .string(positional.help)),
            ("isOptional", .bool(positional.optional || positional.passthrough)),
            ("isRepeating", .bool(positional.repeating || positional.passthrough)),
            ("parsingStrategy", .string(positional.passthrough ? "allRemainingInput" : "default")),
            ("shouldDisplay", .bool(true)),
        ])
    }
}
