#!/bin/sh
# SPDX-License-Identifier: ISC
# attach-spawn.sh - tether attach on a shell in a pty, driven through tmux:
# typing reaches the shell and its output the screen, ^] opens the
# readline prompt, tab completes commands and session names, send and
# expect work from the prompt, history is written, and quit leaves the
# terminal exactly as it was (stty -a before and after).

. "${TETHER_SRCDIR:-.}/tests/integration/lib-tmux.sh"

tm_start
tm_type "stty -a > $dir/before; $TETHER attach sh=spawn:/bin/sh; echo EXIT=\$?; stty -a > $dir/after; echo DONE"
tm_keys Enter
tm_wait 'attached to sh \(spawn:/bin/sh\)'

# Typing reaches the peer, which computes; its output reaches the screen.
tm_type 'echo typed-$((6*7))'
tm_keys Enter
tm_wait '^typed-42'

# ^] opens the prompt; Tab completes a command.
tm_keys C-]
tm_wait '^tether sh> $'
tm_type 'sess'
tm_keys Tab
tm_wait '^tether sh> sessions $'
tm_keys Enter
tm_wait '^\* 1 sh +pty +open'

# send and expect from the prompt; the peer's answer is shown.
tm_type 'sendline "echo via-$((2+3))"'
tm_keys Enter
tm_type 'expect /via-(\d)/ timeout 5s'
tm_keys Enter
tm_wait '^matched on sh after'
tm_wait '^  \$1 = "5"'

# A timeout is reported, and the prompt comes back.
tm_type 'expect "never-printed" timeout 300ms'
tm_keys Enter
tm_wait 'timeout: no match on sh within 0.3s'

# Tab completes session names; switch goes back to the session.
tm_type 'switch '
tm_keys Tab
tm_wait '^tether sh> switch sh $'
tm_keys Enter
tm_wait 'on sh \(spawn:/bin/sh\)'
tm_type 'echo back-$((1+1))'
tm_keys Enter
tm_wait '^back-2'

# An empty line at the prompt also goes back.
tm_keys C-]
tm_wait_count 4 '^tether sh> '
tm_keys Enter
tm_type 'echo again-$((2+2))'
tm_keys Enter
tm_wait '^again-4'

# ^C at the prompt drops the line; quit leaves.
tm_keys C-]
tm_type 'this is dropped'
tm_keys C-c
tm_wait 'dropped\^C'
tm_type 'quit'
tm_keys Enter
tm_wait '^EXIT=0'
tm_wait '^DONE'

cmp -s "$dir/before" "$dir/after" ||
    fail "terminal modes changed: $(diff "$dir/before" "$dir/after")"
grep -qx 'sessions' "$dir/history" ||
    fail "history file lacks the commands: $(cat "$dir/history")"
grep -q 'this is dropped' "$dir/history" &&
    fail "a dropped line went to the history"

# The shell exiting ends attach with its exit status.
tm_type "$TETHER attach spawn:/bin/sh; echo EXIT2=\$?"
tm_keys Enter
tm_wait_count 2 'attached to sh'
tm_type 'exit 3'
tm_keys Enter
tm_wait 'sh: program exited with status 3'
tm_wait '^EXIT2=3'
exit 0
