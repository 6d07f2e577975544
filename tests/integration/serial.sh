#!/bin/sh
# SPDX-License-Identifier: ISC
# serial.sh - serial: on the ptys of socat pty pairs (socat -d -d
# pty,raw,echo=0 pty,raw,echo=0):
#  1. the line settings seen by stty -F while open (a Linux pty keeps the
#     speed, parodd, cstopb and crtscts; it forces cs8 and -parenb, which
#     is not checked), data both ways, the UUCP lock file holding our pid,
#     BREAK accepted; the settings restored and the lock gone after close;
#  2. lock contention: a second tether fails with exit 6 and the holder's
#     pid, lock=no shares, a stale lock file (dead pid) is taken over, a
#     flock(1) holder is named by its pid;
#  3. a device that appears late, retried until connect-within, opened
#     through a symbolic link;
#  4. bad options (exit 2), a missing device (exit 6), send-break on a
#     spawn: session (exit 1, naming the session and the transport).
# Exit 77 without socat.

: "${TETHER:=./tether}"

command -v socat >/dev/null 2>&1 || { echo "skip: no socat"; exit 77; }
command -v stty >/dev/null 2>&1 || { echo "skip: no stty"; exit 77; }
test -x "$TETHER" || { echo "skip: no tether binary at $TETHER"; exit 77; }

dir=$(mktemp -d /tmp/tether-serial.XXXXXX) || exit 1
pids=
cleanup() {
	for p in $pids; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in $pids; do
		wait "$p" 2>/dev/null
	done
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

fail() {
	echo "FAIL: $*" >&2
	for f in out err out1 err1; do
		test -s "$dir/$f" && { echo "--- $f" >&2; cat "$dir/$f" >&2; }
	done
	exit 1
}

# pty_pair N: a socat pty pair; sets $a and $b to its two /dev/pts paths.
pty_pair() {
	socat -d -d pty,raw,echo=0 pty,raw,echo=0 2>"$dir/socat$1.err" &
	pids="$pids $!"
	i=0
	until n=$(grep -c 'PTY is' "$dir/socat$1.err" 2>/dev/null) &&
	    test "$n" -ge 2; do
		i=$((i + 1))
		test $i -lt 100 || fail "socat made no pty pair"
		sleep 0.05
	done
	a=$(sed -n 's/.*PTY is \(\/dev\/pts\/[0-9]*\).*/\1/p' \
	    "$dir/socat$1.err" | sed -n 1p)
	b=$(sed -n 's/.*PTY is \(\/dev\/pts\/[0-9]*\).*/\1/p' \
	    "$dir/socat$1.err" | sed -n 2p)
}

# run PLAYBOOK-TEXT: runs it; stdout, stderr, status in out, err, $rc.
run() {
	printf '%s\n' "$1" >"$dir/pb.tether"
	"$TETHER" run "$dir/pb.tether" >"$dir/out" 2>"$dir/err"
	rc=$?
}

lockdir=
for d in /run/lock /var/lock; do
	if test -d "$d" && test -w "$d"; then
		lockdir=$d
		break
	fi
done

# --- 1. settings, data, lock file, break, restore ---
pty_pair 1
lock=$lockdir/LCK..$(echo "${a#/dev/}" | tr / _)
before=$(stty -F "$a" -g) || fail "stty -F $a"
run "
open ser \"serial:$a\" baud=9600 data=7 parity=odd stop=2 flow=rtscts
open peer \"serial:$b\" baud=460800
open sh \"spawn:/bin/sh\"
timeout 10s
sendline sh \"echo BEGIN-\$((0+1)); stty -F $a -a; echo END-\$((1+1))\"
expect sh /(?s)BEGIN-1\\r?\\n(.*)END-2/
set st = \$1
check \"\$st\" =~ /speed 9600 baud/ \"speed: \$st\"
check \"\$st\" =~ /(^|\\s)parodd(\\s|\$)/ \"parodd: \$st\"
check \"\$st\" =~ /(^|\\s)cstopb(\\s|\$)/ \"cstopb: \$st\"
check \"\$st\" =~ /(^|\\s)crtscts(\\s|\$)/ \"crtscts: \$st\"
check \"\$st\" =~ /(^|\\s)-ixon(\\s|\$)/ \"ixon: \$st\"
sendline sh \"stty -F $b speed; echo END-\$((2+2))\"
expect sh /(\\d+)\\r?\\nEND-4/
check \$1 == 460800 \"peer speed \$1\"
send ser \"to the peer\\n\"
expect peer \"to the peer\"
send peer \"to the port\\n\"
expect ser \"to the port\"
send-break ser 100ms
send ser \"after the break\\n\"
expect peer \"after the break\"
sendline sh \"test -z '$lockdir' || test \\\"\\\$(cat $lock)\\\" -eq \\\$PPID && echo LOCK-\\\$((3+3))\"
expect sh \"LOCK-6\"
sendline sh \"exit\"
expect sh { eof { } }
"
test "$rc" = 0 || fail "settings and data: exit $rc"
after=$(stty -F "$a" -g) || fail "stty -F $a after"
test "$before" = "$after" ||
    fail "settings not restored: before $before, after $after"
test -z "$lockdir" || test ! -e "$lock" || fail "$lock left after close"
echo "ok settings, data both ways, lock file, break, restored"

# --- 2. lock contention ---
pty_pair 2
lock=$lockdir/LCK..$(echo "${a#/dev/}" | tr / _)
printf 'open ser "serial:%s"\nexpect ser "quit" timeout 30s\n' "$a" \
    >"$dir/hold.tether"
"$TETHER" run "$dir/hold.tether" >"$dir/out1" 2>"$dir/err1" &
holder=$!
pids="$pids $holder"
# Opened once it has set the line: raw mode turns -icanon on the pty.
i=0
until stty -F "$a" -a 2>/dev/null | grep -q -- '-icanon' &&
    { test -z "$lockdir" || test -e "$lock"; }; do
	i=$((i + 1))
	test $i -lt 100 || fail "the first tether did not open $a"
	sleep 0.05
done
run "open ser \"serial:$a\""
test "$rc" = 6 || fail "second open: exit $rc, want 6"
grep -q "locked by pid $holder" "$dir/err" ||
    fail "second open does not name pid $holder: $(cat "$dir/err")"
echo "ok held: $(cat "$dir/err")"
run "open ser \"serial:$a\" lock=no
send ser \"shared\\n\""
test "$rc" = 0 || fail "lock=no: exit $rc"
printf 'quit' >"$b"
wait "$holder"
hrc=$?
test "$hrc" = 0 || fail "the holder: exit $hrc"
test -z "$lockdir" || test ! -e "$lock" || fail "$lock left by the holder"
echo "ok lock=no shares, the holder released it"

if test -n "$lockdir"; then
	sh -c 'exit 0' &
	dead=$!
	wait "$dead"
	printf '%10d\n' "$dead" >"$lock"
	run "open ser \"serial:$a\""
	test "$rc" = 0 || fail "stale lock (pid $dead): exit $rc"
	test ! -e "$lock" || fail "stale $lock left"
	echo "ok stale lock of pid $dead removed"
fi

if command -v flock >/dev/null 2>&1; then
	flock "$a" sleep 30 &
	fl=$!
	pids="$pids $fl"
	i=0
	until grep -q "FLOCK.* $fl " /proc/locks; do
		i=$((i + 1))
		test $i -lt 100 || fail "flock(1) took no lock"
		sleep 0.05
	done
	run "open ser \"serial:$a\""
	test "$rc" = 6 || fail "flock held: exit $rc, want 6"
	grep -q "locked by pid $fl (flock)" "$dir/err" ||
	    fail "flock holder $fl not named: $(cat "$dir/err")"
	test -z "$lockdir" || test ! -e "$lock" || fail "$lock left (flock)"
	kill "$fl"
	echo "ok $(cat "$dir/err")"
fi

# --- 3. a device that appears late (connect-within), through a symlink ---
printf 'open ser "serial:%s" connect-within=10s\nsend ser "late\\n"\n' \
    "$dir/late" >"$dir/late.tether"
"$TETHER" run "$dir/late.tether" >"$dir/out1" 2>"$dir/err1" &
late=$!
sleep 0.5
socat pty,link="$dir/late",raw,echo=0 pty,raw,echo=0 2>/dev/null </dev/null &
pids="$pids $!"
wait "$late"
lrc=$?
test "$lrc" = 0 || fail "late device: exit $lrc"
echo "ok a device that appears after 0.5s, through a symlink"

# --- 4. errors ---
run "open ser \"serial:$a\" baud=12345"
test "$rc" = 2 || fail "baud=12345: exit $rc, want 2"
grep -q 'baud=12345: not a serial speed' "$dir/err" || fail "baud message"
run "open ser \"serial:$a\" parity=mark"
test "$rc" = 2 || fail "parity=mark: exit $rc, want 2"
run "open ser \"serial:/dev/null\""
test "$rc" = 2 || fail "/dev/null: exit $rc, want 2"
grep -q 'not a terminal' "$dir/err" || fail "/dev/null message"
run "open ser \"serial:$dir/no-such-tty\""
test "$rc" = 6 || fail "missing device: exit $rc, want 6"
grep -q 'No such file' "$dir/err" || fail "missing device message"
run "open sh \"spawn:/bin/sh\"
send-break sh"
test "$rc" = 1 || fail "send-break on spawn: exit $rc, want 1"
grep -q 'send-break: session sh (spawn:, pty transport) has no BREAK' \
    "$dir/err" || fail "send-break on spawn: $(cat "$dir/err")"
echo "ok errors: $(cat "$dir/err")"
exit 0
