#!/bin/sh
# SPDX-License-Identifier: ISC
# vim.sh - the vim files (vim/ftdetect/tether.vim, vim/syntax/tether.vim)
# loaded by a real vim in Ex mode: *.tether and a script whose #! line runs
# tether get the filetype tether, and keywords, verbs, strings, escapes,
# regexes, durations, options, variables and comments resolve to their
# syntax groups (synIDattr(synID(...))), while a division is no regex and
# a "#" inside a string is no comment.  Skips without a vim that has
# syntax highlighting (vim-tiny has none).

: "${TETHER_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"

command -v vim >/dev/null 2>&1 || { echo "skip: no vim"; exit 77; }
vim -N -u NONE -i NONE -es -c 'if !has("syntax") | cquit | endif' \
    -c 'qall!' </dev/null || { echo "skip: vim without +syntax"; exit 77; }
work=$(mktemp -d "${TMPDIR:-/tmp}/tether-vim.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
trap 'exit 1' INT TERM

# Every probe is LINE COL GROUP: the text at LINE:COL must be in GROUP
# ("" for none).  The playbook is written with its probes beside it.
cat >"$work/boot.tether" <<'EOF'
# boot a guest TODO: more
open con "unix:/run/vm0.serial" connect-within=30s
expect con /login: $/i timeout 2m
sendline -secret con "pw\r$x # not a comment"
set half = ${#argv} / 2 / 1
wait-net con match=/10\.0\.2\./ within 250ms
step 'raw' { if $half > 1 { print "x" } else { fail "no" } }
EOF
cat >"$work/probes" <<'EOF'
1 1 tetherComment
1 18 tetherTodo
2 1 tetherVerb
2 10 tetherString
2 34 tetherOption
2 49 tetherDuration
3 1 tetherVerb
3 12 tetherRegex
3 26 tetherStatement
3 32 tetherDuration
4 1 tetherVerb
4 10 tetherFlag
4 25 tetherEscape
4 27 tetherVariable
4 30 tetherString
5 1 tetherStatement
5 12 tetherVariable
5 21 -
5 23 tetherNumber
6 1 tetherVerb
6 14 tetherOption
6 21 tetherRegex
6 34 tetherKeyword
6 41 tetherDuration
7 1 tetherStatement
7 7 tetherRawString
7 14 tetherConditional
7 17 tetherVariable
7 25 tetherNumber
7 29 tetherStatement
7 35 tetherString
7 41 tetherConditional
7 48 tetherStatement
7 53 tetherString
EOF
printf '#!/usr/bin/env -S tether run\nprint "${#argv}"\n' >"$work/deploy"

cat >"$work/test.vim" <<EOF
set nocompatible
let &runtimepath = '$TETHER_SRCDIR/vim,' . &runtimepath
filetype on
syntax on
let out = []
edit $work/deploy
call add(out, 'deploy ' . &filetype)
call add(out, 'shebang ' . synIDattr(synID(1, 1, 1), 'name'))
edit $work/boot.tether
call add(out, 'boot ' . &filetype)
for p in readfile('$work/probes')
  let [l, c, g] = split(p)
  let got = synIDattr(synID(str2nr(l), str2nr(c), 1), 'name')
  call add(out, p . ' ' . (got == '' ? '-' : got))
endfor
call writefile(out, '$work/out')
qall!
EOF
vim -N -u NONE -i NONE -es -S "$work/test.vim" </dev/null ||
    { echo "FAIL: vim exited $?"; exit 1; }

nfail=0
check() {
	if grep -qx -- "$1" "$work/out"; then
		echo "ok: $1"
	else
		echo "FAIL: want \"$1\", got \"$(grep -- "^${1% *} " \
		    "$work/out")\""
		nfail=$((nfail + 1))
	fi
}
check "deploy tether"
check "shebang tetherShebang"
check "boot tether"
while read -r l c g; do
	check "$l $c $g $g"
done <"$work/probes"
test "$nfail" -eq 0 || exit 1
echo "PASS: vim"
