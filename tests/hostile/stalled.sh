#!/bin/sh
# SPDX-License-Identifier: ISC
# stalled.sh - a peer that accepts and then never sends nor closes, over
# tcp:, telnet: and unix:: the expect times out at its deadline (exit 3)
# with the message naming pattern, session and time, and tether sleeps
# meanwhile (no CPU spent polling).
. "${TETHER_SRCDIR:-.}/tests/hostile/lib.sh"

cat >"$dir/peer.py" <<'PY'
import sys
import hostile_peer as peer
srv = peer.listen(sys.argv[1])
conn, _ = srv.accept()
while conn.recv(4096):	# reads whatever comes, says nothing
    pass
PY
cat >"$dir/stall.tether" <<'PB'
open s "${uri}"
expect s /login: / timeout 3s
PB
for where in tcp telnet unix; do
	case $where in
	unix) peer_start "$dir/peer.py" "unix:$dir/stall.sock"
	      uri=$peer_addr ;;
	*)    peer_start "$dir/peer.py" tcp
	      uri=$where:${peer_addr#tcp:} ;;
	esac
	tether_run "$dir/stall.tether" --var uri="$uri"
	expect_rc 3
	expect_err "stall.tether:2:1: timed out after 3(\.[0-9]+)?s \
waiting for /login: / on s"
	expect_err "last lines received on s:"
	test "$wall_ms" -ge 2900 && test "$wall_ms" -lt 4500 ||
		fail "$where: took $wall_ms ms for a 3 s deadline"
	expect_cpu_below 300
	expect_rss_below 30000
	peer_wait
	pass "$where: stalled peer: exit 3 after $wall_ms ms, CPU ${cpu_ms} ms"
done
