import Interpreter
import Lexer

/// The target of a rule and the options that belong to it.
extension IptablesRuleBuilder {
    /// Each target option and the targets it belongs to.
    static let targetOptionOwners: [(String, [String])] = [
        ("--to-source", ["SNAT"]), ("--to-destination", ["DNAT"]),
        ("--log-prefix", ["LOG"]), ("--log-level", ["LOG"]), ("--log-uid", ["LOG"]), ("--log-tcp-options", ["LOG"]),
        ("--log-ip-options", ["LOG"]), ("--log-tcp-sequence", ["LOG"]),
        ("--reject-with", ["REJECT"]), ("--checksum-fill", ["CHECKSUM"]),
        ("--set-mark", ["MARK", "CONNMARK"]), ("--set-xmark", ["MARK", "CONNMARK"]), ("--and-mark", ["MARK", "CONNMARK"]),
        ("--or-mark", ["MARK", "CONNMARK"]), ("--xor-mark", ["MARK", "CONNMARK"]),
        ("--save-mark", ["CONNMARK"]), ("--restore-mark", ["CONNMARK"]), ("--nfmask", ["CONNMARK"]), ("--ctmask", ["CONNMARK"]),
        ("--mask", ["CONNMARK"]),
        ("--to-ports", ["MASQUERADE", "REDIRECT"]), ("--random", ["MASQUERADE", "REDIRECT"]), ("--random-fully", ["MASQUERADE"]),
        ("--notrack", ["CT"]), ("--zone", ["CT"]), ("--helper", ["CT"]),
    ]

    /// The only table each target works in.
    static let targetTables = ["SNAT": "nat", "DNAT": "nat", "MASQUERADE": "nat", "REDIRECT": "nat", "CHECKSUM": "mangle",
                               "CT": "raw", "NOTRACK": "raw"]

    mutating func buildTarget() throws {
        let jump = given("--jump"), goto = given("--goto")
        if let goto, jump != nil { throw wrong("a rule has one target: give --jump or --goto, not both", at: goto.range) }
        if let goto {
            guard let name = goto.text else { targetKnown = false; return try checkOwners() }
            if IptablesRule.builtinTargets.contains(name) || IptablesRule.otherTargets.contains(name) {
                throw wrong("--goto needs a chain, not the target \(name)", at: goto.range, hint: "write --jump \(name)")
            }
            rule.target = .goto(name)
        }
        if let jump {
            guard let name = jump.text else { targetKnown = false; return try checkOwners() }
            let known = IptablesRule.builtinTargets + IptablesRule.otherTargets
            // A typo of a target (`ACCPET`, `accept`) is refused; a chain's name is not. Only a name in
            // capitals, or a target's name in other case, can be one: a chain like warden-default
            // costs no edit distances.
            if !known.contains(name), name == name.uppercased() || known.contains(where: { $0.lowercased() == name.lowercased() }),
               let close = Suggestions.closest(to: name, in: known),
               close.lowercased() == name.lowercased() || (name == name.uppercased() && name.count == close.count) {
                throw wrong("unknown target '\(name)'", at: jump.range, hint: "did you mean '\(close)'?")
            }
            rule.target = .jump(name)
            targetName = name
            if IptablesRule.otherTargets.contains(name) { generic = true }
        }
        try checkOwners()
        try buildTargetOptions()
        for extra in givenLists("--target-options") {
            guard targetName != nil || !targetKnown else {
                throw wrong("--target-options belongs to --jump TARGET", at: extra.range)
            }
            generic = true
            guard let words = extra.words else { continue }
            if extra.negated { throw wrong("option '--target-options' cannot be negated with '!'", at: extra.range) }
            try checkGenericWords(words, "--target-options", at: extra.range)
            rule.targetOptions += words
        }
    }

    /// Every target option given belongs to the target given.
    func checkOwners() throws {
        guard targetKnown else { return }
        // Walks the few options given, not the table (a question per entry was a
        // twentieth of a large setup); the first offender in the table's order is reported.
        let owners = IptablesRuleBuilder.targetOptionOwners
        var offender: (index: Int, range: SourceRange)?
        for name in arguments.options.names {
            guard let index = owners.firstIndex(where: { $0.0.utf8.count == name.utf8.count && $0.0 == name }),
                  !owners[index].1.contains(targetName ?? ""), offender.map({ index < $0.index }) ?? true,
                  let found = given(name) else { continue }
            offender = (index, found.range)
        }
        if let offender {
            let (option, targets) = owners[offender.index]
            throw wrong("\(option) belongs to --jump \(targets.joined(separator: " or --jump "))", at: offender.range)
        }
    }

    mutating func buildTargetOptions() throws {
        guard let target = targetName, let jump = given("--jump") else { return }
        let range = jump.range
        if let required = IptablesRuleBuilder.targetTables[target], let table, table != required {
            throw wrong("\(target) works only in the \(required) table", at: range, hint: "add --table \(required)")
        }
        if let forbidden = IptablesRuleBuilder.forbiddenChains[target], let chain, forbidden.contains(chain) {
            let allowed = IptablesRuleBuilder.allowedChains[target]!
            throw wrong("\(target) is not allowed in the built-in chain \(chain)", at: arguments.range(ofPositional: 0),
                        hint: "\(target) belongs in \(allowed)")
        }
        switch target {
        case "SNAT":
            guard let (found, _, addressRange) = given("--to-source") else { throw wrong("SNAT needs --to-source ADDRESS", at: range) }
            guard let address = found else { return }
            guard let canonical = IptablesRule.canonicalAddress(address, family: family) else {
                throw wrong("--to-source '\(address)' is not an \(familyName) address", at: addressRange)
            }
            rule.toSource = canonical
        case "DNAT":
            guard let (found, _, valueRange) = given("--to-destination") else {
                throw wrong("DNAT needs --to-destination ADDRESS[:PORT]", at: range)
            }
            guard let value = found else { return }
            switch IptablesRuleBuiltins.natDestination(value, family: family) {
            case .failure(let problem): throw wrong("--to-destination: \(problem.message)", at: valueRange)
            case .success(let (canonical, hasPort)):
                if hasPort { try requireProtocol("a port in --to-destination", ["tcp", "udp"], at: valueRange) }
                rule.toDestination = canonical
            }
        case "LOG":
            try buildLog()
        case "REJECT":
            if let (found, _, valueRange) = given("--reject-with") {
                guard let value = found else { return }
                guard let name = IptablesValues.rejection(value, family: family) else {
                    let names = (family == .ipv4 ? IptablesValues.rejectionNamesIPv4 : IptablesValues.rejectionNamesIPv6).map(\.[0])
                    throw wrong("--reject-with \(value) is not for \(family.iptablesCommand)", at: valueRange,
                                hint: "choose one of \(names.joined(separator: ", "))")
                }
                if name == "tcp-reset" { try requireProtocol("--reject-with tcp-reset", ["tcp"], at: valueRange) }
                rule.rejectWith = name
            } else {
                // iptables-save prints the default it fills in.
                rule.rejectWith = family == .ipv4 ? "icmp-port-unreachable" : "icmp6-port-unreachable"
            }
        case "MARK", "CONNMARK":
            try buildMark(target, at: range)
        case "CHECKSUM":
            guard given("--checksum-fill") != nil else { throw wrong("CHECKSUM needs --checksum-fill", at: range) }
            rule.targetOptions = ["--checksum-fill"]
        case "MASQUERADE", "REDIRECT":
            if let (found, _, portsRange) = given("--to-ports") {
                try requireProtocol("--to-ports", ["tcp", "udp", "sctp", "udplite"], at: portsRange)
                if let value = found { rule.targetOptions += ["--to-ports", try canonical(IptablesValues.natPorts(value), "--to-ports", at: portsRange)] }
            }
            rule.targetOptions += flag("--random") + flag("--random-fully")
        case "CT":
            if let notrack = given("--notrack") {
                if let other = given("--zone") ?? given("--helper") {
                    throw wrong("--notrack stands alone: a packet that is not tracked has no zone or helper", at: other.range)
                }
                rule.targetOptions = flag("--notrack")
                _ = notrack
            }
            if let (found, _, helperRange) = given("--helper"), let helper = found {
                guard !helper.isEmpty, helper.utf8.count < 16, helper.utf8.allSatisfy({ $0 > 0x20 && $0 != 0x7F }) else {
                    throw wrong("--helper: '\(helper)' is not a conntrack helper name (such as ftp)", at: helperRange)
                }
                rule.targetOptions += ["--helper", helper]
            }
            if let (found, _, zoneRange) = given("--zone"), let zone = found {
                guard let number = Int(zone), (1...65535).contains(number), zone.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                    throw wrong("--zone: '\(zone)' is not a zone from 1 to 65535 (0 is every packet's zone already)", at: zoneRange)
                }
                rule.targetOptions += ["--zone", String(number)]
            }
        default:
            break
        }
    }

    static let forbiddenChains = ["DNAT": ["POSTROUTING", "INPUT"], "REDIRECT": ["POSTROUTING", "INPUT"],
                                  "SNAT": ["PREROUTING", "OUTPUT"], "MASQUERADE": ["PREROUTING", "OUTPUT", "INPUT"]]
    static let allowedChains = ["DNAT": "PREROUTING or OUTPUT", "REDIRECT": "PREROUTING or OUTPUT",
                                "SNAT": "POSTROUTING or INPUT", "MASQUERADE": "POSTROUTING"]

    mutating func buildLog() throws {
        if let (found, _, range) = given("--log-prefix"), let prefix = found {
            if prefix.contains("\n") || prefix.contains("\0") { throw wrong("a log prefix cannot contain a newline", at: range) }
            if prefix.utf8.count > 29 { throw wrong("a log prefix is at most 29 bytes, this one has \(prefix.utf8.count)", at: range) }
            rule.logPrefix = prefix
        }
        if let (found, _, range) = given("--log-level"), let text = found,
           let level = try canonical(IptablesValues.logLevel(text), "--log-level", at: range) {
            rule.targetOptions += ["--log-level", String(level)]
        }
        // iptables-save prints the flags in this order, whatever order they were given in.
        for option in ["--log-tcp-sequence", "--log-tcp-options", "--log-ip-options", "--log-uid"] where given(option) != nil {
            rule.targetOptions.append(option)
        }
    }

    mutating func buildMark(_ target: String, at range: SourceRange) throws {
        let changes = ["--set-mark", "--set-xmark", "--and-mark", "--or-mark", "--xor-mark"].filter { given($0) != nil }
        let modes = changes + ["--save-mark", "--restore-mark"].filter { given($0) != nil }
        guard modes.count == 1 else {
            if modes.isEmpty {
                let choices = target == "MARK" ? "--set-mark, --set-xmark, --and-mark, --or-mark or --xor-mark"
                    : "--set-mark (or --set-xmark, --and-mark, --or-mark, --xor-mark), --save-mark or --restore-mark"
                throw wrong("\(target) needs one of \(choices)", at: range)
            }
            throw wrong("give one of \(modes.joined(separator: ", ")), not several", at: given(modes[1])!.range)
        }
        let mode = modes[0]
        if let option = changes.first {
            for mask in ["--mask", "--nfmask", "--ctmask"] {
                if let found = given(mask) { throw wrong("\(mask) belongs to --save-mark and --restore-mark", at: found.range) }
            }
            guard let (found, _, valueRange) = given(option), let value = found else { return }
            rule.targetOptions = ["--set-xmark", try canonical(IptablesValues.markChange(option, value), option, at: valueRange)]
            return
        }
        // CONNMARK --save-mark / --restore-mark: --mask sets both masks.
        var masks: [String: UInt64] = ["--nfmask": 0xFFFF_FFFF, "--ctmask": 0xFFFF_FFFF]
        if let (found, _, maskRange) = given("--mask") {
            if let other = given("--nfmask") ?? given("--ctmask") { throw wrong("give --mask, or --nfmask and --ctmask, not both", at: other.range) }
            guard let text = found else { return }
            guard let mask = IptablesValues.unsigned(text) else { throw wrong("--mask: '\(text)' is not a mask (a number up to 0xffffffff)", at: maskRange) }
            masks = ["--nfmask": mask, "--ctmask": mask]
        }
        for name in ["--nfmask", "--ctmask"] {
            guard let (found, _, maskRange) = given(name) else { continue }
            guard let text = found else { return }
            guard let mask = IptablesValues.unsigned(text) else { throw wrong("\(name): '\(text)' is not a mask (a number up to 0xffffffff)", at: maskRange) }
            masks[name] = mask
        }
        rule.targetOptions = [mode, "--nfmask", IptablesValues.hex(masks["--nfmask"]!), "--ctmask", IptablesValues.hex(masks["--ctmask"]!)]
    }
}
