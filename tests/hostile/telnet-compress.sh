#!/bin/sh
# SPDX-License-Identifier: ISC
# telnet-compress.sh - a telnet server that turns on COMPRESS2 (MCCP),
# which tether refuses, and sends a zlib bomb (64 MiB of zeros in 64 KB):
# libtelnet would inflate it regardless, so the session fails at once
# (a protocol error, seen by the expect as the session's end) instead of
# passing 64 MiB of NULs on; no inflated byte reaches the transcript and
# memory stays bounded.
. "${TETHER_SRCDIR:-.}/tests/hostile/lib.sh"

cat >"$dir/peer.py" <<'PY'
import zlib
import hostile_peer as peer
srv = peer.listen("tcp")
conn, _ = srv.accept()
IAC, SB, SE = 255, 250, 240
z = zlib.compressobj(9)
mib = b"\0" * (1 << 20)
bomb = b"".join(z.compress(mib) for _ in range(64)) + z.flush()
peer.send_all(conn, b"plain text first\r\n" + bytes([IAC, SB, 86, IAC, SE]) +
              bomb)
try:
    conn.recv(1)	# until tether closes
except OSError:
    pass
PY
peer_start "$dir/peer.py"
cat >"$dir/mccp.tether" <<'PB'
open s "telnet:${addr}" log="${log}"
expect s /never sent/ timeout 20s
PB
tether_run "$dir/mccp.tether" --var addr="${peer_addr#tcp:}" \
    --var log="$dir/s.log"
test "$rc" != 0 && test "$rc" != 3 || fail "exit $rc: the session went on"
test "$wall_ms" -lt 10000 || fail "took $wall_ms ms"
expect_err "plain text first"
expect_err "connection of s lost"
size=$(wc -c <"$dir/s.log")
test "$size" -lt 4096 || fail "the transcript has $size bytes"
expect_rss_below 30000
peer_wait
pass "COMPRESS2 bomb: exit $rc at once, transcript $size bytes," \
    "peak RSS ${rss_kb} kB"
