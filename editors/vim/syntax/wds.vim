" Vim syntax file
" Language:    wds (host-setup scripts, *.wds)
" Maintainer:  the wds project
" The keyword and builtin lists must match the interpreter's:
" Tests/InterpreterTests/EditorSupportTests.swift compares them.

if exists("b:current_syntax")
  finish
endif
let s:cpo_save = &cpo
set cpo&vim

" Builtin names contain dashes (write-file): make them keyword characters.
syn iskeyword @,48-57,_,192-255,-

" The parser's keywords, and `timeout` (special after the path of `lock`).
syn keyword wdsKeyword let if elif else for in while match def return exit
syn keyword wdsKeyword break continue try catch lock timeout source

" Every builtin and builtin family of the registry (`wds builtins`).
syn keyword wdsBuiltin echo fail env has-prefix has-suffix replace split lines join trim
syn keyword wdsBuiltin basename dirname format count is-empty is-network list add exists is-dir is-file
syn keyword wdsBuiltin is-executable read-file write-file append-file list-dir glob mkdir rmdir
syn keyword wdsBuiltin remove-file remove-empty-dirs load-config run run-script sysctl mount
syn keyword wdsBuiltin unmount is-mounted mounts cgroup veth bridge vlan macvlan link links address
syn keyword wdsBuiltin addresses route netns rlimit chain rule rules iptables
" `contains` is an option of :syn keyword, so it cannot be listed there.
syn match wdsBuiltin "\<contains\>"

syn keyword wdsBoolean true false

" `#` starts a comment only where a token may start.
syn match wdsComment "^#.*$" contains=wdsTodo,@Spell
syn match wdsComment "[ \t;{}()[\]]\@1<=#.*$" contains=wdsTodo,@Spell
syn keyword wdsTodo contained TODO FIXME XXX NOTE

syn match wdsFunction "\%(\<def\s\+\)\@<=\h\w*"

" Strings: single quotes are literal; double quotes interpolate.
syn region wdsSingleString start=+'+ end=+'+ contains=@Spell
syn region wdsDoubleString start=+"+ skip=+\\\\\|\\"+ end=+"+ contains=wdsQuotedEscape,wdsVariable,wdsSubstitution,@Spell
syn match wdsQuotedEscape contained +\\[ntr"\\$`]\|\\$+

syn match wdsVariable "\$\h\w*\%(\.\h\w*\)*"
syn match wdsVariable "\$\d\+"
syn match wdsVariable "\${\%(\h\w*\%(\.\h\w*\)*\|\d\+\)}"
syn region wdsSubstitution matchgroup=wdsSubstitutionDelimiter start="\$(" end=")" contains=TOP

syn match wdsSpread "\.\.\.\ze\$"
syn match wdsEscape "\\."

" Options are bare words starting with a dash and a letter; `--` ends them.
syn match wdsOption "\%(^\|[ \t;{}()[\]]\)\@1<=--\?\a[[:alnum:]-]*"
syn match wdsOperator "\%(^\|[ \t;{}()[\]]\)\@1<=--\%([ \t;{}()[\]]\|$\)\@="

" Whole numbers and durations (500ms, 1.5s, 2m, 1h).
syn match wdsNumber "\%(^\|[ \t;{}()[\]]\)\@1<=-\?\d\+\%(\.\d\+\)\=\%(ms\|[smh]\)\=\%([ \t;{}()[\]]\|$\)\@="

syn match wdsOperator "&&\|||"
syn match wdsOperator "\%(^\|[ \t;{}()[\]]\)\@1<=\%(==\|!=\|<=\|>=\|<\|>\|=\|!\)\%([ \t;{}()[\]]\|$\)\@="

hi def link wdsKeyword Statement
hi def link wdsBuiltin Function
hi def link wdsBoolean Boolean
hi def link wdsComment Comment
hi def link wdsTodo Todo
hi def link wdsFunction Function
hi def link wdsSingleString String
hi def link wdsDoubleString String
hi def link wdsQuotedEscape SpecialChar
hi def link wdsEscape SpecialChar
hi def link wdsVariable Identifier
hi def link wdsSubstitutionDelimiter PreProc
hi def link wdsSpread Operator
hi def link wdsOption Special
hi def link wdsNumber Number
hi def link wdsOperator Operator

let b:current_syntax = "wds"
let &cpo = s:cpo_save
unlet s:cpo_save
