" SPDX-License-Identifier: ISC
" Vim filetype detection for tether(1) playbooks: files named *.tether, and
" scripts whose first line runs tether (#!/usr/bin/env -S tether run).
" Installed in /usr/share/vim/vimfiles/ftdetect/tether.vim.
autocmd BufRead,BufNewFile *.tether setfiletype tether
autocmd BufRead,BufNewFile *
	\ if getline(1) =~# '^#!.*\<tether\s\+\(run\|check\)\>' |
	\   setfiletype tether |
	\ endif
