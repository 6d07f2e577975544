#!/bin/sh
# SPDX-License-Identifier: ISC
# attach-signals.sh - the terminal is restored however tether attach ends:
# SIGTERM and SIGHUP (clean exit, 128+signal) and a crash (SIGSEGV, the
# handler restores, then the default action).  stty -a before and after
# must be identical, and the shell in the session must be gone.  Also:
# tether repl restored after SIGTERM, and interact-like refusal without a
# terminal (attach with stdin not a tty fails at once).  Processes are
# found as children of the tmux pane's shell.

. "${TETHER_SRCDIR:-.}/tests/integration/lib-tmux.sh"

tm_start

# Without a terminal: a clear message, no hang.
if "$TETHER" attach spawn:/bin/sh </dev/null >"$dir/notty.out" 2>&1; then
	fail "attach without a terminal succeeded"
fi
grep -q 'must be a terminal' "$dir/notty.out" ||
    fail "no clear message without a terminal: $(cat "$dir/notty.out")"

n=0
for sig in TERM HUP SEGV; do
	n=$((n + 1))
	tag=sig$n$$
	tm_type "stty -a > $dir/before$n; $TETHER attach $tag=spawn:/bin/sh; echo EXIT$n=\$?; stty -a > $dir/after$n"
	tm_keys Enter
	tm_wait "attached to $tag"
	tm_type 'echo shell-pid-$$'
	tm_keys Enter
	tm_wait "^shell-pid-[0-9]+"
	shpid=$(tm_screen | sed -n 's/^shell-pid-\([0-9][0-9]*\).*/\1/p' | tail -1)
	tpid=$(pgrep -P "$tm_pane" -f "attach $tag=spawn" | head -1)
	test -n "$tpid" || fail "cannot find the tether process"
	kill -"$sig" "$tpid"
	case $sig in
	TERM) want=143 ;;
	HUP) want=129 ;;
	SEGV) want='(139|1)' ;;	# 1: a sanitizer build reports it
	esac
	tm_wait "^EXIT$n=$want"
	cmp -s "$dir/before$n" "$dir/after$n" ||
	    fail "SIG$sig: terminal modes changed: $(diff "$dir/before$n" "$dir/after$n")"
	if test "$sig" != SEGV && kill -0 "$shpid" 2>/dev/null; then
		kill -KILL "$shpid"
		fail "SIG$sig: the session's shell $shpid survived"
	fi
	# A crash leaves the pty's shell to SIGHUP from the kernel.
	kill -KILL "$shpid" 2>/dev/null
done

# The repl at its prompt, then SIGTERM.
tm_type "stty -a > $dir/before-repl; $TETHER repl; echo EXITR=\$?; stty -a > $dir/after-repl"
tm_keys Enter
tm_wait '^tether> $'
tm_type 'print "two-${1+1}"'
tm_keys Enter
tm_wait '^two-2'
rpid=$(pgrep -P "$tm_pane" -f "repl" | head -1)
test -n "$rpid" || fail "cannot find the repl process"
kill -TERM "$rpid"
tm_wait '^EXITR=143'
cmp -s "$dir/before-repl" "$dir/after-repl" ||
    fail "repl: terminal modes changed after SIGTERM"
exit 0
