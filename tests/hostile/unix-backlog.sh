#!/bin/sh
# SPDX-License-Identifier: ISC
# unix-backlog.sh - a unix socket server whose listen backlog is full:
# connect() fails with EAGAIN, which tether retries with backoff until
# connect-within runs out, spending almost no CPU:
#  1. the server never accepts: exit 6 within the deadline, the message
#     names the socket and the full backlog;
#  2. the server starts accepting after 1 s: the open succeeds.
. "${TETHER_SRCDIR:-.}/tests/hostile/lib.sh"

cat >"$dir/peer.py" <<'PY'
import socket, sys, time
import hostile_peer as peer
path = sys.argv[1]
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(0)
# Fill the backlog with connections of our own that nobody accepts.
fill = []
while True:
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.setblocking(False)
    try:
        c.connect(path)
    except BlockingIOError:
        c.close()
        break
    fill.append(c)
peer.log("peer: backlog full after %d connections" % len(fill))
peer.announce("unix:" + path)
if sys.argv[2] == "never":
    time.sleep(3600)
time.sleep(1)
srv.settimeout(10)
while True:
    conn, _ = srv.accept()
    conn.sendall(b"hello from the peer\r\n")
    fill.append(conn)
PY
cat >"$dir/full.tether" <<'PB'
open s "unix:${path}" connect-within=3s
PB
cat >"$dir/late.tether" <<'PB'
open s "unix:${path}" connect-within=5s
expect s /hello from the peer/ timeout 5s
log "opened once the server accepted"
PB

peer_start "$dir/peer.py" "$dir/full.sock" never
tether_run "$dir/full.tether" --var path="$dir/full.sock"
expect_rc 6
expect_err "cannot connect to unix:$dir/full.sock"
expect_err "backlog is full"
expect_cpu_below 1000
test "$wall_ms" -lt 5000 || fail "took $wall_ms ms for connect-within=3s"
kill "$peer_pid"
peer_wait
pass "full backlog: exit 6 after ${wall_ms} ms, CPU ${cpu_ms} ms"

peer_start "$dir/peer.py" "$dir/late.sock" late
tether_run "$dir/late.tether" --var path="$dir/late.sock"
expect_rc 0
expect_err "opened once the server accepted"
expect_cpu_below 1000
kill "$peer_pid"
peer_wait
pass "backlog full for 1 s: opened after ${wall_ms} ms, CPU ${cpu_ms} ms"
