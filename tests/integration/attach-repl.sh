#!/bin/sh
# SPDX-License-Identifier: ISC
# attach-repl.sh - tether repl in tmux: statements run as typed, a
# multi-line def continues with a "..." prompt, values and builtin
# results are printed, a failure is shown without leaving, a session
# opened in one entry is used in the next, tab completes statement words,
# finally runs at quit, and the terminal is restored.

. "${TETHER_SRCDIR:-.}/tests/integration/lib-tmux.sh"

tm_start
tm_type "stty -a > $dir/before; $TETHER repl; echo EXIT=\$?; stty -a > $dir/after"
tm_keys Enter
tm_wait '^tether> $'

tm_type 'set x = 20'
tm_keys Enter
tm_type 'def add(a, b) {'
tm_keys Enter
tm_wait '^\.\.\. +$'
tm_type 'return ${a + b}'
tm_keys Enter
tm_type '}'
tm_keys Enter
tm_type '${add(x, 22)}'
tm_keys Enter
tm_wait '^42$'

# Sessions live across entries; a failed expect is shown, the shell goes on.
tm_type 'open sh "spawn:/bin/sh"'
tm_keys Enter
tm_type 'sendl'
tm_keys Tab
tm_wait '^tether> sendline $'
tm_type 'sh "echo out-$x"'
tm_keys Enter
tm_type 'expect sh /out-(\d+)/'
tm_keys Enter
tm_type 'print "group $1"'
tm_keys Enter
tm_wait '^group 20'
tm_type 'expect sh /never/ timeout 200ms'
tm_keys Enter
tm_wait 'timed out after [0-9]+ms waiting for /never/ on sh'
tm_type 'finally { print "finally-ran" }'
tm_keys Enter
tm_wait 'runs when the repl ends'
tm_type 'print "still-${x}"'
tm_keys Enter
tm_wait '^still-20'

tm_type 'quit'
tm_keys Enter
tm_wait '^finally-ran'
tm_wait '^EXIT=0'
cmp -s "$dir/before" "$dir/after" ||
    fail "terminal modes changed: $(diff "$dir/before" "$dir/after")"
grep -q 'def add' "$dir/history" || fail "no history written"
exit 0
