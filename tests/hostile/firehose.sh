#!/bin/sh
# SPDX-License-Identifier: ISC
# firehose.sh - a peer that floods 32 MiB that never hold the awaited
# text, as lines and as one endless line, then says "done-marker":
# tether's memory stays bounded by match-max (the default 1 MiB, and 64k
# set in the playbook) whatever the volume, the expect still finds the
# marker, and the transcript gets every byte.
. "${TETHER_SRCDIR:-.}/tests/hostile/lib.sh"
total=$((32 * 1024 * 1024))

cat >"$dir/peer.py" <<'PY'
import sys
import hostile_peer as peer
srv = peer.listen("tcp")
conn, _ = srv.accept()
total = int(sys.argv[2])
if sys.argv[1] == "lines":
    line = b"%08d the quick brown fox jumps over the lazy dog 0123456\r\n"
    chunk = b"".join(line % i for i in range(1024))
else:
    chunk = b"the quick brown fox jumps over the lazy dog 0123456789 " * 1024
sent = 0
while sent < total:
    n = min(len(chunk), total - sent)
    if not peer.send_all(conn, chunk[:n]):
        break
    sent += n
peer.send_all(conn, b"\r\ndone-marker\r\n")
peer.log("peer: sent %d bytes" % sent)
conn.recv(1)	# until tether closes
PY
cat >"$dir/hose.tether" <<'PB'
open s "tcp:${addr}" log="${log}"
if ${max} > 0 { set match-max = ${max} }
expect s /done-marker/ timeout 60s
log "found the marker after the flood"
close s
PB
for mode in lines oneline; do
	for max in 0 65536; do
		peer_start "$dir/peer.py" "$mode" "$total"
		tether_run "$dir/hose.tether" --var addr="${peer_addr#tcp:}" \
		    --var log="$dir/s.log" --var max="$max"
		expect_rc 0
		expect_err "found the marker after the flood"
		expect_rss_below 20000
		size=$(wc -c <"$dir/s.log")
		test "$size" -eq $((total + 15)) ||
			fail "$mode: the transcript has $size bytes"
		peer_wait
		test "$max" = 0 && max=default
		pass "$mode, match-max $max: 32 MiB, peak RSS ${rss_kb} kB," \
		    "transcript complete"
		rm -f "$dir/s.log"
	done
done
