#!/bin/sh
# SPDX-License-Identifier: ISC
# attach-playbook.sh - the lines of tether attach's prompt are playbook
# statements run by one interpreter: set and print with an expression,
# a sendline string with escapes and $var interpolation, the match
# variables after an expect, timeout shown and set, a playbook open and
# close that the terminal follows, and the short forms still working.

. "${TETHER_SRCDIR:-.}/tests/integration/lib-tmux.sh"

tm_start
tm_type "$TETHER attach sh=spawn:/bin/sh; echo EXIT=\$?"
tm_keys Enter
tm_wait 'attached to sh \(spawn:/bin/sh\)'

# print of an expression, and a variable kept for the next line.
tm_keys C-]
tm_wait '^tether sh> $'
tm_type 'set x = 20 + 1'
tm_keys Enter
tm_type 'print "sum-${x * 2}"'
tm_keys Enter
tm_wait '^sum-42$'

# sendline's string as in a playbook: \t and \x41 decoded, $x replaced;
# the groups of the match are variables afterwards.
tm_type "sendline sh \"printf '[%s]\\\\n' 'v-\$x\\tq\\x41'\""
tm_keys Enter
tm_type 'expect sh /\[v-(\d+)\t(q)A\]/ timeout 5s'
tm_keys Enter
tm_wait '^matched on sh after'
tm_wait '^  \$1 = "21"'
tm_type 'print "group-$1-$2"'
tm_keys Enter
tm_wait '^group-21-q$'

# The short form: no session, the rest of the line as typed.
tm_type 'sendline echo "raw-$((1+2))  kept"'
tm_keys Enter
tm_type 'expect /raw-3  kept/ timeout 5s'
tm_keys Enter
tm_wait_count 2 '^matched on sh after'

# timeout shown, set by the playbook statement, shown again.
tm_type 'timeout'
tm_keys Enter
tm_wait '^timeout 10.0s'
tm_type 'timeout 2s'
tm_keys Enter
tm_type 'timeout'
tm_keys Enter
tm_wait '^timeout 2.0s'

# A failure is told and the prompt goes on.
tm_type 'fail "stop-${x}"'
tm_keys Enter
tm_wait 'stop-21'

# open goes to the new session, close leaves it.
tm_type 'open two "spawn:/bin/sh"'
tm_keys Enter
tm_wait 'on two \(spawn:/bin/sh\)'
tm_keys C-]
tm_wait '^tether two> $'
tm_type 'sessions'
tm_keys Enter
tm_wait '^\* 2 two '
tm_type 'close two'
tm_keys Enter
tm_wait '^closed two'
tm_wait '^now on sh'
tm_type 'sessions'
tm_keys Enter
tm_wait '^\* 1 sh '

tm_type 'quit'
tm_keys Enter
tm_wait '^EXIT=0'
exit 0
