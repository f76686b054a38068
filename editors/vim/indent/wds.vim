" wds: indent by the braces and brackets open at the end of the previous
" line, two spaces each, as `wds fmt` lays scripts out; a line that starts by
" closing one goes back a level.
if exists("b:did_indent")
  finish
endif
let b:did_indent = 1

setlocal autoindent nosmartindent nocindent
setlocal indentexpr=WdsIndent(v:lnum)
setlocal indentkeys=0{,0},0],0),!^F,o,O,e
setlocal shiftwidth=2 softtabstop=2 expandtab
let b:undo_indent = "setlocal autoindent< smartindent< cindent< indentexpr< indentkeys< shiftwidth< softtabstop< expandtab<"

if exists("*WdsIndent")
  finish
endif

" How many braces and brackets a line opens (closing ones count against),
" outside strings and comments.
function! s:Balance(line) abort
  let balance = 0
  let quoted = 0
  let i = 0
  while i < len(a:line)
    let c = a:line[i]
    if quoted
      if c ==# '\'
        let i += 1
      elseif c ==# '"'
        let quoted = 0
      endif
    elseif c ==# '"'
      let quoted = 1
    elseif c ==# '#'
      break
    elseif c =~# '[{[(]'
      let balance += 1
    elseif c =~# '[}\])]'
      let balance -= 1
    endif
    let i += 1
  endwhile
  return balance
endfunction

function! WdsIndent(lnum) abort
  let previous = prevnonblank(a:lnum - 1)
  if previous == 0
    return 0
  endif
  let previousLine = getline(previous)
  let indent = indent(previous)
  " The previous line's own leading closer was already taken back.
  let leadingClosers = len(matchstr(previousLine, '^\s*\zs[}\])]\+'))
  let indent += (s:Balance(previousLine) + leadingClosers) * shiftwidth()
  let closers = len(matchstr(getline(a:lnum), '^\s*\zs[}\])]\+'))
  return max([0, indent - closers * shiftwidth()])
endfunction
