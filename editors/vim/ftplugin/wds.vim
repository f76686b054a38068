" wds: comments start with #; builtin names contain dashes.
if exists("b:did_ftplugin")
  finish
endif
let b:did_ftplugin = 1
setlocal commentstring=#\ %s comments=:# iskeyword+=-
" :make runs `wds check` on this script (compiler/wds.vim holds its errorformat);
" gq formats through `wds fmt -`, which gives back text that does not parse as it is.
compiler wds
setlocal formatprg=wds\ fmt\ -\ 2>/dev/null
let b:undo_ftplugin = "setlocal commentstring< comments< iskeyword< makeprg< errorformat< formatprg<"
