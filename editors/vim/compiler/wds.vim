" wds check as a compiler: :make checks the current script and fills the
" quickfix list from its diagnostics (file:line:col: error: message).
if exists("current_compiler")
  finish
endif
let current_compiler = "wds"

CompilerSet makeprg=wds\ check\ --color=never\ %:S
CompilerSet errorformat=%f:%l:%c:\ %trror:\ %m,%f:%l:%c:\ %tote:\ %m,%-G%.%#
