#!/bin/sh
# SPDX-License-Identifier: ISC
# odd-bytes.sh - NUL bytes and invalid UTF-8 (\xff\xfe, a truncated
# sequence, a lone continuation byte) from the peer reach the match view,
# $0, $before and the transcript intact: a regex and a literal match
# them byte for byte, and the .log holds exactly what was sent.  (The
# language's =~ is UTF-8 aware, so the checks compare with ==.)
. "${TETHER_SRCDIR:-.}/tests/hostile/lib.sh"

cat >"$dir/peer.py" <<'PY'
import hostile_peer as peer
srv = peer.listen("tcp")
conn, _ = srv.accept()
data = (b"start\r\nA\x00B\xff\xfeC\xe2\x82D\r\n"
        b"\x00\x00lead\x80nul\x00trail\xc3\r\nend-marker\r\n")
open(__import__("sys").argv[1], "wb").write(data)
peer.send_all(conn, data)
conn.recv(1)	# until tether closes
PY
peer_start "$dir/peer.py" "$dir/sent"
cat >"$dir/odd.tether" <<'PB'
open s "tcp:${addr}" log="${log}"
expect s /A\x00B\xff\xfeC\xe2\x82D/ timeout 5s
check $0 == "A\x00B\xff\xfeC\xe2\x82D" "\$0 lost or changed bytes"
expect s "end-marker" timeout 5s
check $before == "\r\n\x00\x00lead\x80nul\x00trail\xc3\r\n" \
    "\$before differs from what was sent"
log "odd bytes: ok"
close s
PB
tether_run "$dir/odd.tether" --var addr="${peer_addr#tcp:}" \
    --var log="$dir/s.log"
expect_rc 0
expect_err "odd bytes: ok"
cmp "$dir/sent" "$dir/s.log" ||
	fail "the transcript differs from the bytes sent"
expect_rss_below 30000
peer_wait
pass "NUL and invalid UTF-8: matched, in \$0 and \$before, transcript exact"
