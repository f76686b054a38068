import Builtins
import Interpreter

/// The bash, zsh and fish completions (`wds --generate-completion-script
/// SHELL`, which `make install` runs), written from one table of the command
/// line (the command table, Commands.swift, that the parser reads too).
/// Scripts complete as `.wds` files and folders, other files as any file;
/// `--format` its values, `wds builtins` the builtin names. Nothing a script
/// does outlives the completion: no option, trap or global variable changes.
/// `CompletionTests` checks the scripts against `--experimental-dump-help`
/// and drives the three shells through a terminal.
enum Completions {
    /// What a word completes to.
    enum Value: Equatable {
        /// `.wds` files, and folders to go into.
        case script
        /// Any file.
        case file
        /// One of these words.
        case words([String])
    }

    struct Option {
        let names: [String]
        let help: String
        /// Nil for a flag.
        var value: Value?
    }

    /// The positional arguments a subcommand takes.
    enum Positionals: Equatable {
        case none
        /// A script, then anything the script takes (files, as a shell would).
        case scriptThenArguments
        /// Any number of scripts (or folders).
        case scripts
        /// One file.
        case file
        /// One word of these.
        case word([String])
    }

    struct Command {
        let name: String
        let summary: String
        var options: [Option] = []
        var positionals: Positionals = .none
    }

    static let help = Option(names: ["-h", "--help"], help: "Show help information")
    static let version = Option(names: ["--version"], help: "Show the version")

    /// The subcommands a user sees, in `wds --help`'s order, `help` last.
    static var visible: [CommandSpec] {
        Commands.root.subcommands.filter { !$0.hidden }
    }

    static var subcommandNames: [String] {
        visible.map(\.name).filter { $0 != "help" }
    }

    /// The command table as the shells complete it.
    static var commands: [Command] {
        visible.map { spec in
            let options = spec.options.filter { !$0.hidden }.map { option in
                Option(names: option.names, help: option.brief.isEmpty ? option.help : option.brief,
                       value: option.completionValue.map(value))
            }
            return Command(name: spec.name, summary: spec.abstract, options: options, positionals: positionals(of: spec))
        }
    }

    /// What a subcommand's positional arguments complete to.
    static func positionals(of spec: CommandSpec) -> Positionals {
        guard let first = spec.positionals.first else { return .none }
        if spec.positionals.contains(where: \.passthrough) { return .scriptThenArguments }
        switch value(first.completion) {
        case .script: return .scripts
        case .words(let list): return .word(list)
        case .file: return .file
        }
    }

    /// A table entry's completion, its word lists filled in (the builtins' names only now, when a script is written).
    static func value(_ kind: CompletionKind) -> Value {
        switch kind {
        case .script: return .script
        case .file: return .file
        case .words(let list): return .words(list)
        case .builtinNames: return .words(Builtins.standard.names)
        case .subcommandNames: return .words(subcommandNames)
        }
    }

    static func script(for shell: String) -> String? {
        switch shell {
        case "bash": return bash()
        case "zsh": return zsh()
        case "fish": return fish()
        default: return nil
        }
    }

    /// The options that take a value, in every subcommand.
    static var optionsWithValues: [Option] {
        commands.flatMap { $0.options }.filter { $0.value != nil }
    }

    /// A word list for a shell's single quotes (the words never hold a quote).
    static func words(_ list: [String]) -> String { list.joined(separator: " ") }
}

// MARK: - bash

extension Completions {
    static func bash() -> String {
        var valueCases = ""
        var seen: Set<String> = []
        for option in optionsWithValues where !seen.contains(option.names[0]) {
            seen.insert(option.names[0])
            let action: String
            switch option.value! {
            case .script: action = "_wds_scripts"
            case .file: action = "_wds_files"
            case .words(let list): action = "_wds_add -W '\(words(list))'"
            }
            valueCases += "    \(option.names.joined(separator: "|"))) \(action); return 0 ;;\n"
        }
        var commandCases = ""
        for command in commands {
            let options = (command.options.flatMap { $0.names } + help.names).joined(separator: " ")
            let positional: String
            var optionsHere = "$cur == -*"
            switch command.positionals {
            case .none: positional = ":"
            case .scriptThenArguments:
                positional = "if ((positionals == 0)); then _wds_scripts; else _wds_files; fi"
                optionsHere = "$positionals == 0 && " + optionsHere  // after the script, its arguments
            case .scripts: positional = "_wds_scripts"
            case .file: positional = "((positionals == 0)) && _wds_files"
            case .word(let list): positional = "((positionals == 0)) && _wds_add -W '\(words(list))'"
            }
            commandCases += """
                    \(command.name))
                      if [[ \(optionsHere) ]]; then _wds_add -W '\(options)'; else \(positional); fi ;;

                """
        }
        let passthrough = commands.filter { $0.positionals == .scriptThenArguments }.map { $0.name }.joined(separator: "|")
        let names = commands.map { $0.name }.filter { $0 != "help" }
        return """
            # bash completion for wds, written by `wds --generate-completion-script bash`.
            # Scripts complete as .wds files and folders, other files as any file,
            # --format its values, `wds builtins` the builtin names. It changes nothing
            # in the shell it runs in: no shopt, set option, trap or global variable
            # (its variables are local, and compopt applies to this completion only).

            # Adds what `compgen ARGS -- "$cur"` prints, one per line (no splitting on blanks, no globbing).
            _wds_add() {
              local line
              while IFS= read -r line; do COMPREPLY+=("$line"); done < <(compgen "$@" -- "$cur")
            }

            # .wds files and folders; any file where none matches (a script need not end
            # in .wds), as zsh's _files -g and fish do.
            _wds_scripts() {
              local before=${#COMPREPLY[@]}
              compopt -o filenames 2>/dev/null
              _wds_add -d
              _wds_add -f -X '!*.wds'
              ((${#COMPREPLY[@]} > before)) || _wds_add -f
            }

            _wds_files() {
              compopt -o filenames 2>/dev/null
              _wds_add -f
            }

            _wds() {
              local cur=$2 prev=$3 word command="" positionals=0 value=0 i
              COMPREPLY=()
              # --option=VALUE: readline splits at '=', so the option is two words back.
              [[ $prev == = ]] && prev=${COMP_WORDS[COMP_CWORD-2]}
              # The subcommand (a script instead is `wds FILE`, which is `wds run FILE`),
              # and how many positional words come before the cursor.
              for ((i = 1; i < COMP_CWORD; i++)); do
                word=${COMP_WORDS[i]}
                [[ $word == = ]] && continue
                if ((value)); then value=0; continue; fi
                case $word in
                  \(Set(optionsWithValues.flatMap { $0.names }).sorted().joined(separator: "|"))) value=1 ;;
                  -*) ;;
                  *)
                    if [[ -z $command ]]; then
                      case $word in
                        \(commands.map { $0.name }.joined(separator: "|"))) command=$word; continue ;;
                        *) command=run ;;
                      esac
                    fi
                    positionals=$((positionals + 1)) ;;
                esac
              done
              # An option's value, unless the words are a script's arguments already.
              case $command in
                \(passthrough)) ((positionals > 0)) && prev="" ;;
              esac
              case $prev in
            \(valueCases)  esac
              case $command in
                "")
                  if [[ $cur == -* ]]; then _wds_add -W '\((help.names + version.names).joined(separator: " "))'
                  else _wds_add -W '\(words(names))'; _wds_scripts; fi ;;
            \(commandCases)  esac
              return 0
            }

            complete -F _wds wds

            """
    }
}

// MARK: - zsh

extension Completions {
    /// A zsh `_arguments` description: brackets and colons escaped.
    static func zshQuote(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "[", "]", ":", "\\": out += "\\\(character)"
            case "'": out += "'\\''"
            default: out.append(character)
            }
        }
        if out.hasSuffix(".") { out.removeLast() }
        return out
    }

    static func zshAction(_ value: Value) -> String {
        switch value {
        case .script: return "_wds_scripts"
        case .file: return "_files"
        case .words(let list): return "(\(words(list)))"
        }
    }

    static func zsh() -> String {
        func specs(_ option: Option) -> [String] {
            let exclusion = option.names.count > 1 ? "(\(option.names.joined(separator: " ")))" : ""
            return option.names.map { name in
                let help = "[\(zshQuote(option.help))]"
                guard let value = option.value else { return "'\(exclusion)\(name)\(help)'" }
                // -o FILE, --output FILE and --output=FILE
                let form = name.hasPrefix("--") ? "\(name)=" : "\(name)+"
                return "'\(exclusion)\(form)\(help):\(zshQuote(String(name.drop { $0 == "-" }))):\(zshAction(value))'"
            }
        }
        var cases = ""
        for command in commands {
            var lines = (command.options + [help]).flatMap(specs)
            var flags = "-s"
            switch command.positionals {
            case .none: break
            case .scriptThenArguments:
                // Options stop at the script: what follows is the script's.
                flags += " -A '-*'"
                lines += ["'1:script:_wds_scripts'", "'*::argument:_files'"]
            case .scripts: lines.append("'*:script:_wds_scripts'")
            case .file: lines.append("'1:file:_files'")
            case .word(let list): lines.append("'1:name:(\(words(list)))'")
            }
            cases += "        (\(command.name))\n          _arguments \(flags) \\\n            "
                + lines.joined(separator: " \\\n            ") + " && ret=0 ;;\n"
        }
        let described = commands.filter { $0.name != "help" }.map { command in
            var summary = command.summary.replacingAll("'", with: "'\\''")
            if summary.hasSuffix(".") { summary.removeLast() }
            return "        '\(command.name):\(summary)'"
        }.joined(separator: "\n")
        return """
            #compdef wds
            # zsh completion for wds, written by `wds --generate-completion-script zsh`.
            # It belongs in a folder of $fpath, before compinit runs; `make install`
            # says what to add to ~/.zshrc when its folder is not one zsh searches.

            # .wds files, and folders to go into.
            _wds_scripts() {
              _files -g '*.wds(-.)'
            }

            _wds() {
              local curcontext=$curcontext state line ret=1
              typeset -A opt_args
              _arguments -C -s \\
                '(- *)'{-h,--help}'[Show help information]' \\
                '(- *)--version[Show the version]' \\
                '1: :->first' \\
                '*:: :->rest' && ret=0
              case $state in
                (first)
                  local -a commands
                  commands=(
            \(described)
                  )
                  _describe -t commands command commands && ret=0
                  _wds_scripts && ret=0 ;;
                (rest)
                  curcontext=${curcontext%:*:*}:wds-$words[1]:
                  case $words[1] in
            \(cases)        (*)
                      # `wds FILE ARGS…`: the script's arguments.
                      _files && ret=0 ;;
                  esac ;;
              esac
              return ret
            }

            if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
              _wds "$@"
            else
              compdef _wds wds
            fi

            """
    }
}

// MARK: - fish

extension Completions {
    static func fishQuote(_ text: String) -> String {
        var out = text.replacingAll("\\", with: "\\\\").replacingAll("'", with: "\\'")
        if out.hasSuffix(".") { out.removeLast() }
        return "'\(out)'"
    }

    static func fish() -> String {
        let names = commands.map { $0.name }
        var lines: [String] = []
        lines.append("complete -c wds -n __wds_needs_command -s h -l help -d \(fishQuote(help.help))")
        lines.append("complete -c wds -n __wds_needs_command -l version -d \(fishQuote(version.help))")
        for command in commands where command.name != "help" {
            lines.append("complete -c wds -n __wds_needs_command -a \(command.name) -d \(fishQuote(command.summary))")
        }
        lines.append("complete -c wds -n __wds_needs_command -a '(__wds_scripts)'")
        lines.append("complete -c wds -n '__wds_script_arguments' -F")
        for command in commands {
            let condition = "'__wds_command_is \(command.name)'"
            for option in command.options + [help] {
                var line = "complete -c wds -n \(condition)"
                for name in option.names {
                    line += name.hasPrefix("--") ? " -l \(name.dropFirst(2))" : " -s \(name.dropFirst())"
                }
                switch option.value {
                case nil: break
                case .script?: line += " -r -a '(__wds_scripts)'"
                case .file?: line += " -r -F"
                case .words(let list)?: line += " -x -a '\(words(list))'"
                }
                lines.append(line + " -d \(fishQuote(option.help))")
            }
            let first = "'__wds_command_is \(command.name); and __wds_positionals 0'"
            switch command.positionals {
            case .none: break
            case .scriptThenArguments:
                lines.append("complete -c wds -n \(first) -a '(__wds_scripts)'")
            case .scripts:
                lines.append("complete -c wds -n \(condition) -a '(__wds_scripts)'")
            case .file:
                lines.append("complete -c wds -n \(first) -F")
            case .word(let list):
                lines.append("complete -c wds -n \(first) -x -a '\(words(list))'")
            }
        }
        let valueOptions = Set(optionsWithValues.flatMap { $0.names }).sorted().joined(separator: " ")
        let passthrough = commands.filter { $0.positionals == .scriptThenArguments }.map { $0.name }.joined(separator: " ")
        return """
            # fish completion for wds, written by `wds --generate-completion-script fish`.
            # Scripts complete as .wds files and folders, other files as any file,
            # --format its values, `wds builtins` the builtin names.

            # Files are offered only where a file goes: the rest are subcommands, options and names.
            complete -c wds -f

            # The subcommand on the line ("run" for `wds FILE`), or nothing yet.
            function __wds_command
                set -l words (commandline -opc)
                set -q words[2]; or return 1
                if contains -- $words[2] \(names.joined(separator: " "))
                    echo $words[2]
                else if not string match -q -- '-*' $words[2]
                    echo run
                else
                    return 1
                end
            end

            function __wds_needs_command
                not __wds_command >/dev/null
            end

            function __wds_command_is
                set -l command (__wds_command); and test "$command" = $argv[1]
            end

            # .wds files and folders; any file where none matches (a script need not end in .wds).
            function __wds_scripts
                set -l files (complete -C "__fish_command_without_completions "(commandline -ct))
                set -l scripts (string match -r -- '^[^\\t]*(\\.wds|/)(\\t.*)?$' $files)
                if set -q scripts[1]
                    string join \\n -- $scripts
                else
                    string join \\n -- $files
                end
            end

            # True if exactly N positional words follow the subcommand, before the cursor.
            function __wds_positionals
                set -l words (commandline -opc)
                set -e words[1]
                set -q words[1]; and contains -- $words[1] \(names.joined(separator: " ")); and set -e words[1]
                set -l count 0
                set -l value 0
                for word in $words
                    if test $value = 1
                        set value 0
                        continue
                    end
                    switch $word
                        case \(valueOptions)
                            set value 1
                        case '-*'
                        case '*'
                            set count (math $count + 1)
                    end
                end
                test $count = $argv[1]
            end

            # After the script of run, trace, state, plan and verify: its arguments, as files.
            function __wds_script_arguments
                set -l command (__wds_command); or return 1
                contains -- $command \(passthrough); and not __wds_positionals 0
            end

            \(lines.joined(separator: "\n"))

            """
    }
}
