" SPDX-License-Identifier: ISC
" Vim syntax file
" Language:	tether playbooks (tether-script(5))
" Filenames:	*.tether
" Installed in /usr/share/vim/vimfiles/syntax/tether.vim; the filetype is
" set by ftdetect/tether.vim.

if exists('b:current_syntax')
  finish
endif
let s:cpo_save = &cpo
set cpo&vim

" Verbs are written with dashes: wait-net, qmp-event.
syn iskeyword @,48-57,_,192-255,-

" Statements and control.
syn keyword tetherStatement	set def return include log print sleep timeout
syn keyword tetherStatement	step finally check fail again watch unwatch
syn keyword tetherConditional	if elif else
syn keyword tetherRepeat	for in while retry every break continue
syn keyword tetherKeyword	within eof idle
syn keyword tetherOperator	and or not
syn keyword tetherBoolean	true false yes no
syn keyword tetherConstant	null

" Verbs: sessions, I/O and the higher-level ones.
syn keyword tetherVerb		open close send sendline expect interact
syn keyword tetherVerb		login run hmp qmp qmp-event qmp-drain qga
syn keyword tetherVerb		qga-exec wait-net wait-port launch teardown
syn keyword tetherVerb		adopt discover pin migrate put get wait
syn keyword tetherVerb		send-break

" Built-in functions, and calls of defs: a name followed by '('.
syn match tetherFunction	/\<\h[[:alnum:]_-]*\ze(/

" Words of verbs: -secret, -pace, -> VAR, key=value options.
syn match tetherFlag		/\%(^\|\s\)\@<=-\%(secret\|pace\)\>/
syn match tetherArrow		/->/
syn match tetherOption		/\<\h[[:alnum:]_-]*=\ze[^=~]/

" Numbers, then durations (250ms, 30s, 2m, 1h), which win at the same place.
syn match tetherNumber		/\<\d\+\>/
syn match tetherDuration	/\<\d\+\%(ms\|s\|m\|h\)\>/

" Variables: $name, $0..$9, ${expression}.
syn match tetherVariable	/\$\%(\h\w*\|\d\)/
syn region tetherInterp		matchgroup=tetherVariable start=/\${/ end=/}/
      \ contains=tetherOperator,tetherNumber,tetherDuration,tetherFunction,
      \tetherVariable,tetherString,tetherRawString,tetherBoolean,
      \tetherConstant oneline

" Strings "..." (escapes, interpolation), raw strings '...'.
syn match tetherEscape		/\\\%([rnte\\"$]\|x\x\x\)/ contained
syn region tetherString		start=/"/ skip=/\\\\\|\\"/ end=/"/
      \ contains=tetherEscape,tetherVariable,tetherInterp,@Spell
syn region tetherRawString	start=/'/ end=/'/

" Regexes /.../imsx where a value starts (not a division: a / b).
syn region tetherRegex		start=+\%(^\|[[:space:]([,{=~]\)\@<=/\ze[^ /*]+
      \ skip=+\\\\\|\\/+ end=+/[imsx]*+ oneline

" Comments, and the #! line of a playbook run as a script.
syn keyword tetherTodo		TODO FIXME XXX contained
syn match tetherComment		/\%(^\|[[:space:];{}]\)\@<=#.*$/
      \ contains=tetherTodo,@Spell
syn match tetherShebang		/\%^#!.*$/

hi def link tetherStatement	Statement
hi def link tetherConditional	Conditional
hi def link tetherRepeat	Repeat
hi def link tetherKeyword	Keyword
hi def link tetherOperator	Operator
hi def link tetherBoolean	Boolean
hi def link tetherConstant	Constant
hi def link tetherVerb		Function
hi def link tetherFunction	Function
hi def link tetherFlag		Special
hi def link tetherArrow		Operator
hi def link tetherOption	Identifier
hi def link tetherNumber	Number
hi def link tetherDuration	Number
hi def link tetherVariable	Identifier
hi def link tetherEscape	SpecialChar
hi def link tetherString	String
hi def link tetherRawString	String
hi def link tetherRegex		String
hi def link tetherTodo		Todo
hi def link tetherComment	Comment
hi def link tetherShebang	PreProc

let b:current_syntax = 'tether'
let &cpo = s:cpo_save
unlet s:cpo_save
