#!/bin/sh
# SPDX-License-Identifier: ISC
# secrets.sh - a secret never shows, however a hostile console echoes it.
# echo-peer.py echoes what tether types: mirrored onto a second session,
# one byte per 50 ms, redrawn with escape sequences, wrapped with CR CR
# LF, cut short (silent, then closed).  After each run no output at all
# (stdout, stderr with -v, --json, --tap, --junit, every .log and .cast)
# may show more than 3 bytes of the secret (leakcheck.py), and the mask
# must be where the echo was.  Also: SIGTERM while a leading part of the
# secret is held back.

: "${TETHER:?}" "${TETHER_SRCDIR:?}"
here=$TETHER_SRCDIR/tests/hostile
command -v python3 >/dev/null 2>&1 || { echo "skip: no python3"; exit 77; }

dir=$(mktemp -d /tmp/tether-secrets.XXXXXX) || exit 1
peer=
cleanup() {
	[ -n "$peer" ] && kill "$peer" 2>/dev/null && wait "$peer" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

PW=S3cr3t-Pa55w0rd
failed=0
fail() {
	echo "FAIL: $*"
	failed=1
}

start_peer() {	# MODE
	rm -f "$dir/sock" "$dir/ready"
	python3 "$here/echo-peer.py" "$1" "$dir/sock" "$dir/ready" &
	peer=$!
	i=0
	while [ ! -S "$dir/sock" ] && [ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
}

stop_peer() {
	kill "$peer" 2>/dev/null
	wait "$peer" 2>/dev/null
	peer=
}

# case NAME MODE WANT-EXIT PLAYBOOK-BODY [MASKED-LOG]
case_run() {
	name=$1 mode=$2 want=$3 body=$4 masked=${5:-a} was=$failed
	failed=0
	start_peer "$mode"
	rm -rf "$dir/logs" && mkdir "$dir/logs"
	cat >"$dir/p.tether" <<EOF
open a "unix:$dir/sock" connect-within=5s
$body
EOF
	"$TETHER" run "$dir/p.tether" --var pw="$PW" --log-dir "$dir/logs" \
	    --junit "$dir/logs/junit.xml" --json -v \
	    >"$dir/logs/stdout" 2>"$dir/logs/stderr" </dev/null
	rc=$?
	"$TETHER" run "$dir/p.tether" --var pw="$PW" --tap \
	    >"$dir/logs/tap" 2>&1 </dev/null
	stop_peer
	[ $rc -eq "$want" ] || fail "$name: exit $rc, want $want" \
	    "($(tail -3 "$dir/logs/stderr"))"
	python3 "$here/leakcheck.py" "$PW" "$dir"/logs/* ||
	    fail "$name: the secret leaked"
	for s in $masked; do
		grep -qF '********' "$dir/logs/$s.log" ||
		    fail "$name: no mask in $s.log"
	done
	[ $failed -eq 0 ] && echo "$name: exit $rc, nothing leaked"
	[ $was -eq 0 ] || failed=1
}

login='step "log in with $pw" {
    expect a "$ "
    sendline -secret a $pw
    expect a "ok" timeout 5s
    expect a "$ "
    log "typed $pw"
    print "the password is $pw"
}'

case_run plain plain 0 "$login"
case_run mirror plain 0 "open b \"unix:$dir/sock\" connect-within=5s
expect b \"\$ \"
$login
expect b \"ok\"" "a b"
case_run slow slow 0 "$login"
case_run escapes esc 0 "$login"
case_run wrap wrap 0 "$login"
cut='expect a "$ "
sendline -secret a $pw
expect a "ok" timeout 2s'
case_run cut cut 3 "$cut"
grep -qF '********' "$dir/logs/stderr" ||
    fail "cut: the failure tail does not show the mask"
case_run close close 4 "$cut"

# SIGTERM while the peer has echoed 8 bytes and gone silent.
start_peer cut
rm -rf "$dir/logs" && mkdir "$dir/logs"
cat >"$dir/p.tether" <<EOF
open a "unix:$dir/sock" connect-within=5s
expect a "\$ "
sendline -secret a \$pw
expect a "ok" timeout 30s
EOF
"$TETHER" run "$dir/p.tether" --var pw="$PW" --log-dir "$dir/logs" \
    >"$dir/logs/stdout" 2>"$dir/logs/stderr" </dev/null &
tp=$!
i=0
while [ ! -f "$dir/ready" ] && [ $i -lt 100 ]; do
	sleep 0.05
	i=$((i + 1))
done
sleep 0.3
kill -TERM $tp
wait $tp
rc=$?
stop_peer
[ $rc -eq 143 ] || fail "sigterm: exit $rc, want 143"
python3 "$here/leakcheck.py" "$PW" "$dir"/logs/* ||
    fail "sigterm: the secret leaked"
grep -qF '********' "$dir/logs/a.log" || fail "sigterm: no mask in a.log"
echo "sigterm: exit $rc"

exit $failed
