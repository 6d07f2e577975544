#!/bin/sh
# SPDX-License-Identifier: ISC
# attach-edges.sh - tether attach's rough edges: a connection accepted but
# silent (a peer that accepts and sends nothing, as QEMU does for a second
# client of a chardev) is told in the status and by sessions; switch to
# an hmp: session shows the monitor's (qemu) prompt at once, and switch
# back to a shell shows its prompt again; every line of the prompt's help
# fits 80 columns.

. "${TETHER_SRCDIR:-.}/tests/integration/lib-tmux.sh"

QEMU=${QEMU:-qemu-system-x86_64}
command -v python3 >/dev/null 2>&1 || { echo "skip: no python3"; exit 77; }
command -v "$QEMU" >/dev/null 2>&1 || { echo "skip: no $QEMU"; exit 77; }

# The silent peer: accepts, then holds the connection without a byte.
python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1]); s.listen(4)
open(sys.argv[2], "w").close()
conns = []
while True:
    c, _ = s.accept(); conns.append(c)
' "$dir/silent.sock" "$dir/silent.ready" >"$dir/silent.log" 2>&1 &
ppid=$!
on_exit "kill -TERM $ppid 2>/dev/null; wait $ppid 2>/dev/null"
"$QEMU" -M none -nodefaults -display none -S \
    -monitor unix:"$dir/mon.sock",server=on,wait=off \
    >"$dir/qemu.log" 2>&1 &
qpid=$!
on_exit "kill -KILL $qpid 2>/dev/null; wait $qpid 2>/dev/null"
n=0
while ! test -e "$dir/silent.ready" || ! test -S "$dir/mon.sock"; do
	n=$((n + 1))
	test $n -lt 200 || { echo "FAIL: peers did not start"; exit 1; }
	sleep 0.05
done

tm_start
tm_type "PS1='edge\$ ' $TETHER attach sh=spawn:/bin/sh con=unix:$dir/silent.sock mon=hmp:unix:$dir/mon.sock --connect-within 20s; echo EXIT=\$?"
tm_keys Enter
tm_wait 'attached to sh \(spawn:/bin/sh\)'
tm_wait '^edge\$ $'

# The silent connection, told once after its grace.
tm_wait '^\[tether: con: connected, nothing received: another client may hold this console\]$' 10
test "$(tm_count 'con: connected, nothing received')" = 1 ||
    fail "the silent connection is told more than once"
tm_keys C-]
tm_wait '^tether sh> $'
tm_type 'sessions'
tm_keys Enter
tm_wait '^con: connected, nothing received: another client may hold this console$'

# switch to the monitor: its prompt at once, before anything is typed.
tm_type 'switch mon'
tm_keys Enter
tm_wait 'on mon \(hmp:unix:'
tm_wait '^\(qemu\) $' 5
tm_type 'info status'
tm_keys Enter
tm_wait '^VM status: paused'

# switch back to the shell: its prompt again.
n=$(tm_count '^edge\$ $')
tm_keys C-]
tm_wait '^tether mon> $'
tm_type 'switch sh'
tm_keys Enter
tm_wait 'on sh \(spawn:/bin/sh\)'
tm_wait_count $((n + 1)) '^edge\$ $' 5
tm_type 'echo back-$((4+4))'
tm_keys Enter
tm_wait '^back-8'

# help: every line within 80 columns.
tm_keys C-]
tm_wait '^tether sh> $'
tm_type 'help'
tm_keys Enter
tm_wait 'Tab completes'
tm_screen | sed -n '/^tether sh> help$/,/Tab completes/p' >"$dir/help"
test "$(wc -l <"$dir/help")" -gt 10 || fail "help: $(cat "$dir/help")"
awk 'NR > 1 && length($0) > 80 { print length($0) ": " $0; bad = 1 }
    END { exit bad }' "$dir/help" >"$dir/long" ||
    fail "help lines wider than 80 columns: $(cat "$dir/long")"

tm_type 'quit'
tm_keys Enter
tm_wait '^EXIT=0'
exit 0
