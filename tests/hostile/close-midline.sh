#!/bin/sh
# SPDX-License-Identifier: ISC
# close-midline.sh - a peer that closes in the middle of a line, while an
# expect waits for something else, over tcp: and telnet:: the expect
# fails with end of file (exit 4) at once, not at its deadline, and the
# message shows the last lines, the unfinished one included.
. "${TETHER_SRCDIR:-.}/tests/hostile/lib.sh"

cat >"$dir/peer.py" <<'PY'
import hostile_peer as peer
srv = peer.listen("tcp")
conn, _ = srv.accept()
peer.send_all(conn, b"first line\r\nsecond line\r\nhalf a li")
conn.close()
PY
cat >"$dir/close.tether" <<'PB'
open s "${uri}"
expect s /never sent/ timeout 20s
PB
for scheme in tcp telnet; do
	peer_start "$dir/peer.py"
	tether_run "$dir/close.tether" --var uri="$scheme:${peer_addr#tcp:}"
	expect_rc 4
	expect_err "end of file"
	expect_err "second line"
	expect_err "half a li"
	test "$wall_ms" -lt 5000 || fail "$scheme: took $wall_ms ms"
	expect_rss_below 30000
	peer_wait
	pass "$scheme: closed mid-line: exit 4 after $wall_ms ms," \
	    "last line shown"
done
