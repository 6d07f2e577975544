#!/bin/sh
# SPDX-License-Identifier: ISC
# telnet-flood.sh - a telnet server that floods IAC DO x / IAC WILL x for
# options tether refuses:
#  1. it never reads the refusals: once its output queue is full tether
#     stops reading it (backpressure), so memory stays bounded, no CPU is
#     spent, and the expect times out at its deadline (exit 3);
#  2. it reads them as fast as it floods: tether keeps up, its memory
#     stays bounded and the expect still ends at its deadline.
# HOSTILE_FLOOD_SECONDS sets each flood's length (default 8).
. "${TETHER_SRCDIR:-.}/tests/hostile/lib.sh"
secs=${HOSTILE_FLOOD_SECONDS:-8}

cat >"$dir/peer.py" <<'PY'
import sys, threading
import hostile_peer as peer
srv = peer.listen("tcp")
conn, _ = srv.accept()
if sys.argv[1] == "read":
    def drain():
        # A reset when tether exits ends the drain quietly: a traceback
        # here would interleave with the "peer: sent" line below.
        try:
            while conn.recv(65536):
                pass
        except OSError:
            pass
    threading.Thread(target=drain, daemon=True).start()
# 34 LINEMODE, 37 AUTHENTICATION, 39 NEW-ENVIRON, 85 COMPRESS: refused.
burst = b"".join(bytes([255, c, o]) for c in (253, 251)
                 for o in (34, 37, 39, 85)) * 4096
sent = 0
while peer.send_all(conn, burst):
    sent += len(burst)
peer.log("peer: sent %d bytes of IAC DO/WILL" % sent)
PY
cat >"$dir/flood.tether" <<'PB'
open s "telnet:${addr}"
expect s /never sent/ timeout ${secs}s
PB

for mode in noread read; do
	peer_start "$dir/peer.py" "$mode"
	tether_run "$dir/flood.tether" --var addr="${peer_addr#tcp:}" \
	    --var secs="$secs"
	expect_rc 3
	expect_err "timed out after [0-9.]+s waiting for /never"
	expect_rss_below 30000
	# Before the fix a 5 s deadline was missed by 50 s; allow for load.
	test "$wall_ms" -lt $((secs * 1500 + 1000)) ||
		fail "$mode: took $wall_ms ms for a ${secs} s deadline"
	if test "$mode" = noread; then
		expect_cpu_below 1000
	fi
	peer_wait
	sent=$(sed -n 's/^peer: sent \([0-9]*\) bytes.*/\1/p' \
	    "$dir/peer.err")
	test "${sent:-0}" -gt 100000 || fail "$mode: the peer sent ${sent}"
	pass "IAC DO/WILL flood ($mode) for ${secs} s: exit 3 on time," \
	    "peak RSS ${rss_kb} kB, CPU ${cpu_ms} ms, peer sent $sent bytes"
done
