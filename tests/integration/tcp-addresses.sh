#!/bin/sh
# SPDX-License-Identifier: ISC
# tcp-addresses.sh - a tcp: name that stands for two addresses, ::1 first
# and 127.0.0.1 second, with a peer listening on 127.0.0.1 only: tcp: and
# telnet: connect to the second address after the first refuses, or
# after 2s when the first never answers (its listen backlog full), and
# with nobody listening the error names the last failure and its address.
# The name comes from a private /etc/hosts bind-mounted in a mount
# namespace of this test alone (unshare -m): the system's file is never
# touched.  Needs root (unshare, mount).

: "${TETHER_BUILDDIR:=.}"
: "${TETHER:=$TETHER_BUILDDIR/tether}"
NAME=both.tether.test

test "$(id -u)" = 0 || { echo "skip: needs root (unshare, mount)"; exit 77; }
test -x "$TETHER" || { echo "skip: no $TETHER"; exit 77; }
for p in unshare mount python3; do
	command -v $p >/dev/null 2>&1 || { echo "skip: no $p"; exit 77; }
done

if test -z "${TETHER_TCP_NS:-}"; then
	TETHER_TCP_NS=1 unshare -m sh "$0" "$@"
	exit $?
fi

dir=$(mktemp -d /tmp/tether-tcp.XXXXXX) || exit 1
ppid_=
cleanup() {
	test -n "$ppid_" && kill "$ppid_" 2>/dev/null && wait "$ppid_" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

{
	grep -v "$NAME" /etc/hosts
	echo "::1 $NAME"
	echo "127.0.0.1 $NAME"
} >"$dir/hosts"
mount --bind "$dir/hosts" /etc/hosts 2>/dev/null ||
    { echo "skip: cannot bind-mount a private /etc/hosts"; exit 77; }
order=$(python3 -c 'import socket, sys
print(" ".join(a[4][0] for a in socket.getaddrinfo(sys.argv[1], 1,
    type=socket.SOCK_STREAM)))' "$NAME" 2>/dev/null)
test "$order" = "::1 127.0.0.1" ||
    { echo "skip: $NAME resolves to \"$order\", not ::1 then 127.0.0.1"
      exit 77; }

failures=0
fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

# A peer on 127.0.0.1 only: says hello to each connection, then closes.
cat >"$dir/peer.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0))
s.listen(8)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("%d\n" % s.getsockname()[1])
import os
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
while True:
    c, _ = s.accept()
    c.sendall(b"hello-from-v4\r\n")
    try:
        c.recv(1)
    except OSError:
        pass
    c.close()
PY
python3 "$dir/peer.py" "$dir/port" &
ppid_=$!
n=0
while ! test -s "$dir/port"; do
	n=$((n + 1))
	test $n -gt 200 && { echo "FAIL: the peer does not start"; exit 1; }
	sleep 0.05
done
port=$(cat "$dir/port")

cat >"$dir/hello.tether" <<'PB'
open s "${uri}"
expect s /hello-from-v4/ timeout 5s
PB
for scheme in tcp telnet; do
	"$TETHER" run "$dir/hello.tether" --var uri="$scheme:$NAME:$port" \
	    >"$dir/$scheme.out" 2>"$dir/$scheme.err"
	rc=$?
	if test $rc -eq 0; then
		echo "ok: $scheme: ::1 refused, 127.0.0.1 answered"
	else
		fail "$scheme: exit $rc, want 0"
		sed 's/^/    | /' "$dir/$scheme.err" >&2
	fi
done

# ::1 never answers (a full listen backlog drops the SYN): 127.0.0.1
# is tried after 2s.
cat >"$dir/hang.py" <<'PY'
import os, socket, sys
full = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
full.bind(("::1", 0))
full.listen(0)
port = full.getsockname()[1]
fill = []
for i in range(8):
    c = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    c.setblocking(False)
    try:
        c.connect(("::1", port))
    except BlockingIOError:
        pass
    fill.append(c)
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("127.0.0.1", port))
s.listen(8)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("%d\n" % port)
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
while True:
    c, _ = s.accept()
    c.sendall(b"hello-from-v4\r\n")
    try:
        c.recv(1)
    except OSError:
        pass
    c.close()
PY
kill "$ppid_" 2>/dev/null && wait "$ppid_" 2>/dev/null
rm -f "$dir/port"
python3 "$dir/hang.py" "$dir/port" &
ppid_=$!
n=0
while ! test -s "$dir/port"; do
	n=$((n + 1))
	test $n -gt 200 && { echo "FAIL: the peer does not start"; exit 1; }
	sleep 0.05
done
port=$(cat "$dir/port")
t0=$(date +%s%N)
"$TETHER" run "$dir/hello.tether" --var uri="tcp:$NAME:$port" \
    >"$dir/hang.out" 2>"$dir/hang.err"
rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
if test $rc -ne 0; then
	fail "hang: exit $rc, want 0"
	sed 's/^/    | /' "$dir/hang.err" >&2
elif test $ms -lt 1900 -o $ms -ge 10000; then
	fail "hang: took $ms ms, want about 2000"
else
	echo "ok: hang: ::1 silent, 127.0.0.1 answered after $ms ms"
fi

# Nobody on either address: the error is about the last one.
free=$(python3 -c 'import socket; s = socket.socket()
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$dir/refused.tether" <<'PB'
open s "tcp:${name}:${port}"
PB
"$TETHER" run "$dir/refused.tether" --var name="$NAME" --var port="$free" \
    >"$dir/refused.out" 2>"$dir/refused.err"
rc=$?
want="cannot connect to tcp:$NAME:$free \\(2 addresses; the last,"
want="$want 127\\.0\\.0\\.1\\): Connection refused"
if test $rc -ne 6; then
	fail "refused: exit $rc, want 6"
	sed 's/^/    | /' "$dir/refused.err" >&2
elif ! grep -Eq "$want" "$dir/refused.err"; then
	fail "refused: stderr does not match /$want/"
	sed 's/^/    | /' "$dir/refused.err" >&2
else
	echo "ok: refused: both addresses, the last failure named"
fi

test $failures -eq 0 || { echo "$failures failure(s)"; exit 1; }
echo "all passed"
exit 0
