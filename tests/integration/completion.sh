#!/bin/sh
# SPDX-License-Identifier: ISC
# completion.sh - the bash completion script (completion/tether):
# sourced in a plain bash and asked through COMP_WORDS/COMP_CWORD and its
# completion function for commands (`tether r` -> run, repl), options
# (`tether run --j` -> --json, --junit, and every option each command's
# --help lists), playbook files for run and check, URI schemes and socket
# paths for attach, hmp and qmp; then, when tmux is here, typed with Tab in
# a real interactive bash, where ':' splits words.

: "${TETHER:?set TETHER to the tether binary}"
: "${TETHER_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
comp=$TETHER_SRCDIR/completion/tether

command -v bash >/dev/null 2>&1 || { echo "skip: no bash"; exit 77; }
test -x "$TETHER" || { echo "skip: no tether binary at $TETHER"; exit 77; }
work=$(mktemp -d "${TMPDIR:-/tmp}/tether-completion.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
trap 'exit 1' INT TERM
nfail=0

fail() {
	echo "FAIL: $*"
	nfail=$((nfail + 1))
}

# complete WORD...: the sorted candidates for the last WORD, one a line,
# as bash's programmable completion would set COMPREPLY.
complete_words() {
	(cd "$work/files" && bash --norc --noprofile -c '
		. "$1" || exit 1
		shift
		complete -p tether | grep -q -- "-F _tether" || exit 1
		COMP_WORDS=("$@")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMP_LINE="$*"
		COMP_POINT=${#COMP_LINE}
		_tether tether "${COMP_WORDS[COMP_CWORD]}" \
		    "${COMP_WORDS[COMP_CWORD-1]}" || exit 1
		printf "%s\n" "${COMPREPLY[@]}"' bash "$comp" "$@") |
	    sort | tr '\n' ' ' | sed 's/ $//'
}

# expect WANT WORD...: the candidates are exactly WANT (sorted, blanks).
expect() {
	want=$1
	shift
	got=$(complete_words "$@")
	if test "$got" = "$want"; then
		echo "ok: $* -> $got"
	else
		fail "$*: want [$want], got [$got]"
	fi
}

mkdir -p "$work/files/sub" "$work/sock"
: >"$work/files/boot.tether"
: >"$work/files/notes.txt"
: >"$work/sock/con.sock"

expect "record repl run" tether r
expect "--json --junit" tether run --j
expect "check" tether ch
expect "discover" tether help d
expect "- boot.tether sub/" tether run ''
expect "boot.tether" tether check b
expect "boot.tether notes.txt sub/" tether run boot.tether ''
expect "--log-dir" tether run boot.tether --log-d
expect "" tether run -- --j
expect "notes.txt" tether run --var-file = n
expect "sub/" tether repl --log-dir ''
expect "telnet+unix: telnet:" tether attach tel
expect "spawn:" tether attach sp
expect "//" tether attach ssh :
expect "$work/sock/" tether attach unix : "$work/so"
expect "$work/sock/con.sock" tether attach con = unix : "$work/sock/c"
expect "$work/sock/con.sock" tether hmp --json hmp : unix : "$work/sock/c"
expect "hmp:tcp: hmp:telnet: hmp:unix: tcp: unix:" tether hmp ''
expect "qmp:tcp: qmp:unix:" tether qmp q
expect "chardev cpus" tether hmp unix:/x info c
expect "query-status" tether qmp unix:/x query-st
expect "cr crlf" tether attach spawn:/bin/sh --line-ending c

# Every command of `tether --help`, and every option of each command's
# --help, is offered.
cmds=$("$TETHER" --help | sed -n 's/^  tether \([a-z]*\) .*/\1/p' | sort)
test -n "$cmds" || fail "no commands in tether --help"
got=$(complete_words tether '')
for c in $cmds help --help --version; do
	case " $got " in
	*" $c "*) ;;
	*) fail "tether <Tab> does not offer $c: $got" ;;
	esac
done
for c in $cmds; do
	opts=$("$TETHER" "$c" --help |
	    grep -oE '^  (-[a-z], )?--[a-z-]+' | tr ',' ' ')
	got=$(complete_words tether "$c" -)
	for o in $opts; do
		case " $got " in
		*" $o "*) ;;
		*) fail "tether $c - does not offer $o" ;;
		esac
	done
done
echo "ok: every option of every command's --help is offered"

# A real interactive bash, where readline splits words at ':' and '='.
if command -v tmux >/dev/null 2>&1; then
	. "$TETHER_SRCDIR/tests/integration/lib-tmux.sh"
	on_exit "rm -rf '$work'"
	tm_start
	tm_type "cd $work/files && exec bash --norc --noprofile"
	tm_keys Enter
	tm_type "PS1='bash\$ '; . $comp"
	tm_keys Enter
	tm_wait '^bash\$ $'
	tm_type "tether attach unix:$work/so"
	tm_keys Tab
	tm_wait "^bash\\$ tether attach unix:$work/sock/\$"
	tm_type 'c'
	tm_keys Tab
	tm_wait "^bash\\$ tether attach unix:$work/sock/con.sock \$"
	tm_keys C-u
	tm_type 'tether run --j'
	tm_keys Tab Tab
	tm_wait '^--json +--junit *$'
	tm_keys C-u
	tm_type 'tether r'
	tm_keys Tab Tab
	tm_wait '^record +repl +run *$'
	tm_keys C-u
	tm_type 'tether run b'
	tm_keys Tab
	tm_wait '^bash\$ tether run boot.tether $'
	echo "ok: Tab in an interactive bash (tmux)"
else
	echo "skip: no tmux for the interactive part"
fi

test "$nfail" -eq 0 || exit 1
echo "PASS: completion"
