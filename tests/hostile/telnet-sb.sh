#!/bin/sh
# SPDX-License-Identifier: ISC
# telnet-sb.sh - subnegotiations longer than libtelnet's buffer (16 KiB):
# IAC SB 24 + 1 MiB + IAC SE, then a line of data, then an SB that never
# ends.  No SB payload byte may reach the match view ($before), the
# failure tail or the transcript; the data after the first SB does; the
# endless one keeps memory bounded and the expect times out (exit 3).
. "${TETHER_SRCDIR:-.}/tests/hostile/lib.sh"

cat >"$dir/peer.py" <<'PY'
import hostile_peer as peer
srv = peer.listen("tcp")
conn, _ = srv.accept()
IAC, SB, SE = 255, 250, 240
peer.send_all(conn, b"before-sb\r\n")
# Z and Q are only ever sent inside a subnegotiation.
peer.send_all(conn, bytes([IAC, SB, 24]) + b"Z" * (1 << 20) +
              bytes([IAC, SE]) + b"after-sb\r\n")
peer.send_all(conn, bytes([IAC, SB, 24]))
chunk = b"Q" * 65536
sent = 0
while peer.send_all(conn, chunk):
    sent += len(chunk)
peer.log("peer: sent %d bytes of endless SB" % sent)
PY
peer_start "$dir/peer.py"
cat >"$dir/sb.tether" <<'PB'
open s "telnet:${addr}" log="${log}"
expect s /after-sb/ timeout 10s
check not ($before =~ /Z/) "SB payload reached the match view"
check $before =~ /before-sb/ "the data before the SB is lost"
log "data after the long SB: ok"
expect s /never sent/ timeout 3s
PB
tether_run "$dir/sb.tether" --var addr="${peer_addr#tcp:}" \
    --var log="$dir/s.log"
expect_rc 3
expect_err "data after the long SB: ok"
expect_err "timed out after 3(\.[0-9]+)?s waiting for /never sent/"
expect_no "$dir/err" "ZZZZ|QQQQ"
grep -q "after-sb" "$dir/s.log" || fail "the transcript lost the data"
expect_no "$dir/s.log" "Z|Q"
expect_rss_below 30000
peer_wait
pass "overlong and endless SB: no payload in view or transcript," \
    "exit 3, peak RSS ${rss_kb} kB"
