" *.wds files, and scripts whose first line runs wds (#!/usr/bin/env wds).
autocmd BufRead,BufNewFile *.wds setfiletype wds
autocmd BufRead,BufNewFile * if getline(1) =~# '^#!.*\<wds\>' | setfiletype wds | endif
