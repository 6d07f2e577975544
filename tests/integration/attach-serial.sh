#!/bin/sh
# SPDX-License-Identifier: ISC
# attach-serial.sh - tether attach on a serial line, as picocom -b is
# used: `tether attach serial:PTY baud=9600` (a KEY=VALUE word after a
# URI is an open option of that URI) sets the line, keys reach the other
# end of a socat pty pair and its output reaches the screen, a bare
# `send-break` at the prompt breaks the current session, and a KEY=VALUE
# word before any URI is a usage error.  Exit 77 without socat or tmux.

. "${TETHER_SRCDIR:-.}/tests/integration/lib-tmux.sh"

command -v socat >/dev/null 2>&1 || { echo "skip: no socat"; exit 77; }

socat -d -d pty,raw,echo=0 pty,raw,echo=0 2>"$dir/socat.err" &
socat_pid=$!
on_exit "kill -TERM $socat_pid 2>/dev/null; wait $socat_pid 2>/dev/null"
i=0
until n=$(grep -c "PTY is" "$dir/socat.err" 2>/dev/null); test "${n:-0}" -ge 2; do
	i=$((i + 1))
	test $i -lt 100 || fail "socat made no pty pair"
	sleep 0.05
done
a=$(sed -n 's/.*PTY is \(\/dev\/pts\/[0-9]*\).*/\1/p' "$dir/socat.err" |
    sed -n 1p)
b=$(sed -n 's/.*PTY is \(\/dev\/pts\/[0-9]*\).*/\1/p' "$dir/socat.err" |
    sed -n 2p)

"$TETHER" attach baud=9600 "serial:$a" >"$dir/usage.out" 2>&1 </dev/null
rc=$?
test $rc -eq 2 || fail "KEY=VALUE before the URI: exit $rc, want 2"
grep -q 'baud=9600: an open option follows the URI' "$dir/usage.out" ||
    fail "no usage message: $(cat "$dir/usage.out")"

tm_start
tm_type "$TETHER attach con=serial:$a baud=9600; echo EXIT=\$?"
tm_keys Enter
tm_wait "attached to con \\(serial:$a\\)"
stty -F "$a" -a >"$dir/stty" || fail "stty -F $a"
grep -q 'speed 9600 baud' "$dir/stty" ||
    fail "the line is not at 9600: $(head -1 "$dir/stty")"

# Keys typed go out on the line; what the line sends is shown.
cat "$b" >"$dir/line" 2>/dev/null &
cat_pid=$!
on_exit "kill -TERM $cat_pid 2>/dev/null"
tm_type "typed-on-serial"
i=0
until grep -q 'typed-on-serial' "$dir/line" 2>/dev/null; do
	i=$((i + 1))
	test $i -lt 200 || fail "the keys did not reach $b"
	sleep 0.05
done
printf 'from-the-board\r\n' >"$b"
tm_wait 'from-the-board'

# A bare send-break at the prompt is for the current session.
tm_keys C-]
tm_wait '^tether con> $'
tm_type 'send-break 100ms'
tm_keys Enter
tm_type 'print "after-break"'
tm_keys Enter
tm_wait '^after-break$'
tm_screen | grep -q 'missing session\|no BREAK' &&
    fail "send-break at the prompt failed"
tm_type 'quit'
tm_keys Enter
tm_wait '^EXIT=0$'
echo "ok attach serial: baud=9600 set, data both ways, send-break"
