#!/bin/sh
# SPDX-License-Identifier: ISC
# rfc2217.sh - rfc2217: against ser2net (run here in the foreground with a
# private configuration on loopback) serving one pty of a socat pty pair
# with RFC 2217 on (accepter telnet(rfc2217),tcp,...):
#  1. baud, parity and stop bits set from tether show on the served pty
#     (stty -F; a pty keeps speed, parodd and cstopb) as soon as the open
#     returns, data both ways through the other pty, the BREAK request
#     acknowledged by the server (-v traces the line at open and after
#     send-break), and IAC-like bytes (0xff) passing both ways;
#  2. a port without RFC 2217 (plain telnet accepter): the open fails
#     naming COM-PORT-OPTION; send-break is IAC BRK there as telnet:, and
#     refused as tcp: (exit 1); a bad option value is a usage error.
# Exit 77 without socat or ser2net.

: "${TETHER:=./tether}"
SER2NET=${SER2NET:-ser2net}

command -v socat >/dev/null 2>&1 || { echo "skip: no socat"; exit 77; }
command -v "$SER2NET" >/dev/null 2>&1 || { echo "skip: no ser2net"; exit 77; }
command -v python3 >/dev/null 2>&1 || { echo "skip: no python3"; exit 77; }
test -x "$TETHER" || { echo "skip: no tether binary at $TETHER"; exit 77; }

dir=$(mktemp -d /tmp/tether-rfc2217.XXXXXX) || exit 1
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
	for f in out err ser2net.log; do
		test -s "$dir/$f" && { echo "--- $f" >&2; cat "$dir/$f" >&2; }
	done
	exit 1
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits until something listens on 127.0.0.1:$1.
wait_listen() {
	i=0
	until python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' "$1" 2>/dev/null; do
		i=$((i + 1))
		test $i -lt 100 || fail "nothing listens on port $1"
		sleep 0.05
	done
}

socat -d -d pty,raw,echo=0 pty,raw,echo=0 2>"$dir/socat.err" &
pids="$pids $!"
i=0
until n=$(grep -c 'PTY is' "$dir/socat.err" 2>/dev/null) &&
    test "$n" -ge 2; do
	i=$((i + 1))
	test $i -lt 100 || fail "socat made no pty pair"
	sleep 0.05
done
a=$(sed -n 's/.*PTY is \(\/dev\/pts\/[0-9]*\).*/\1/p' "$dir/socat.err" |
    sed -n 1p)
b=$(sed -n 's/.*PTY is \(\/dev\/pts\/[0-9]*\).*/\1/p' "$dir/socat.err" |
    sed -n 2p)

# The first pty served with RFC 2217; the other without it, on another
# port, for the refusal (used once part 1 is over).
port=$(free_port)
plain=$(free_port)
cat >"$dir/ser2net.yaml" <<EOF
connection: &rfc
  accepter: telnet(rfc2217),tcp,127.0.0.1,$port
  connector: serialdev,$a,9600n81,local
  options:
    kickolduser: true
connection: &plain
  accepter: telnet,tcp,127.0.0.1,$plain
  connector: serialdev,$b,9600n81,local
  options:
    kickolduser: true
EOF
"$SER2NET" -n -d -c "$dir/ser2net.yaml" >"$dir/ser2net.log" 2>&1 &
pids="$pids $!"
wait_listen "$port"
wait_listen "$plain"

run() {
	printf '%s\n' "$1" >"$dir/pb.tether"
	shift
	"$TETHER" run "$@" "$dir/pb.tether" >"$dir/out" 2>"$dir/err"
	rc=$?
}

# --- 1. the line, data, break ---
run "
open con \"rfc2217:127.0.0.1:$port\" baud=115200 parity=odd stop=2 data=7
open peer \"serial:$b\"
open sh \"spawn:/bin/sh\"
timeout 10s
sendline sh \"echo BEGIN-\$((0+1)); stty -F $a -a; echo END-\$((1+1))\"
expect sh /(?s)BEGIN-1\\r?\\n(.*)END-2/
set st = \$1
check \"\$st\" =~ /speed 115200 baud/ \"speed: \$st\"
check \"\$st\" =~ /(^|\\s)parodd(\\s|\$)/ \"parodd: \$st\"
check \"\$st\" =~ /(^|\\s)cstopb(\\s|\$)/ \"cstopb: \$st\"
send con \"to the port \\xff\\n\"
expect peer \"to the port \\xff\"
send peer \"to tether \\xff\\n\"
expect con \"to tether \\xff\"
send-break con 300ms
send con \"after the break\\n\"
expect peer \"after the break\"
" -v
test "$rc" = 0 || fail "line, data, break: exit $rc"
grep -q '+ con: line 115200 7O2 flow none.*BREAK acknowledged 1 time' \
    "$dir/err" || fail "no acknowledged BREAK in the -v trace"
# The server's line state is traced at open too, not only after a break.
grep -q '+ .*:2: con: line 115200 7O2 flow none' "$dir/err" ||
    fail "no line state in the -v trace of the open"
echo "ok $(grep '+ con: line' "$dir/err")"

# The same line with even parity: not parodd any more.
run "
open con \"rfc2217:127.0.0.1:$port\" baud=57600 parity=even
open sh \"spawn:/bin/sh\"
timeout 10s
sendline sh \"echo BEGIN-\$((0+1)); stty -F $a -a; echo END-\$((1+1))\"
expect sh /(?s)BEGIN-1\\r?\\n(.*)END-2/
set st = \$1
check \"\$st\" =~ /speed 57600 baud/ \"speed: \$st\"
check \"\$st\" =~ /(^|\\s)-parodd(\\s|\$)/ \"-parodd: \$st\"
check \"\$st\" =~ /(^|\\s)-cstopb(\\s|\$)/ \"-cstopb: \$st\"
"
test "$rc" = 0 || fail "even parity: exit $rc"
echo "ok 57600 even parity on the served pty"

# --- 2. refusal, bad option ---
run "open con \"rfc2217:127.0.0.1:$plain\" baud=9600"
test "$rc" = 1 || fail "port without RFC 2217: exit $rc, want 1"
grep -q 'refused COM-PORT-OPTION' "$dir/err" ||
    fail "refusal message: $(cat "$dir/err")"
echo "ok refused: $(cat "$dir/err")"
# The same port is a plain telnet console: IAC BRK; as tcp: it has none.
run "open con \"telnet:127.0.0.1:$plain\"
send-break con"
test "$rc" = 0 || fail "send-break on telnet: exit $rc"
run "open con \"tcp:127.0.0.1:$plain\"
send-break con"
test "$rc" = 1 || fail "send-break on tcp: exit $rc, want 1"
grep -q 'session con (tcp:, tcp transport) has no BREAK' "$dir/err" ||
    fail "send-break on tcp: $(cat "$dir/err")"
echo "ok send-break: IAC BRK on telnet:, refused on tcp:"
run "open con \"rfc2217:127.0.0.1:$port\" stop=3"
test "$rc" = 2 || fail "stop=3: exit $rc, want 2"
grep -q 'stop=3: want 1 or 2' "$dir/err" || fail "stop=3 message"
echo "ok stop=3 refused"
exit 0
