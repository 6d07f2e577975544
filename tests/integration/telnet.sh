#!/bin/sh
# SPDX-License-Identifier: ISC
# telnet.sh - telnet: and telnet+unix: sessions against real servers:
#  1. inetutils telnetd (run by socat on loopback, /bin/sh instead of
#     login): prompt, TTYPE, NAWS (initial and changed), IAC escaping of a
#     sent 0xff byte, CR NUL line ends, EOF on exit;
#  2. QEMU's -serial telnet:...,server with SeaBIOS's serial console (no
#     guest kernel needed): its banner, and ESC reaching the boot menu;
#  3. the same over a unix socket (telnet+unix:).
# The driver fails whenever a telnet command reaches the session's data.
# A part whose server is not installed is skipped; all skipped is exit 77.

: "${TETHER_BUILDDIR:=.}"
DRIVER=$TETHER_BUILDDIR/tests/integration/driver/session-driver
QEMU=${QEMU:-qemu-system-x86_64}
TELNETD=${TELNETD:-/usr/sbin/telnetd}

test -x "$DRIVER" || { echo "skip: no $DRIVER"; exit 77; }
command -v python3 >/dev/null 2>&1 || { echo "skip: no python3"; exit 77; }

dir=$(mktemp -d /tmp/tether-telnet.XXXXXX) || exit 1
pids=
cleanup() {
	for p in $pids; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in $pids; do
		wait "$p" 2>/dev/null
	done
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

ran=0

# --- 1. inetutils telnetd ---
if test -x "$TELNETD" && command -v socat >/dev/null 2>&1; then
	port=$(free_port)
	socat TCP-LISTEN:"$port",bind=127.0.0.1,reuseaddr,fork \
		EXEC:"$TELNETD -h -E /bin/sh" 2>"$dir/socat.log" &
	pids="$pids $!"
	TERM=vt220 SESSION_DRIVER_RAW="$dir/telnetd.raw" "$DRIVER" \
		telnet:127.0.0.1:"$port" \
		'expect=[#$] $' \
		'sendline=echo hello-$((6*7))' 'expect=hello-42' \
		'sendline=echo term=$TERM' 'expect=term=vt220' \
		'sendline=stty size' 'expect=24 80' \
		'winsize=33x111' \
		'sendline=stty size' 'expect=33 111' \
		'sendline=read x; printf %s "$x" | od -An -tx1' \
		'send=a\xffb\r' 'expect=61 ff 62' \
		'sendline=exit' eof >"$dir/out" 2>&1 ||
		fail "telnetd: $(cat "$dir/out")"
	echo "telnetd: ok"
	ran=$((ran + 1))
else
	echo "telnetd part skipped: no $TELNETD or socat"
fi

# --- 2. and 3. QEMU serial over telnet, SeaBIOS serial console ---
if command -v "$QEMU" >/dev/null 2>&1; then
	# SeaBIOS reads etc/sercon-port as a little-endian integer: 0x3f8.
	printf '\370\003' >"$dir/sercon"
	for kind in tcp unix; do
		if test $kind = tcp; then
			port=$(free_port)
			chardev=telnet:127.0.0.1:$port,server=on,wait=on
			uri=telnet:127.0.0.1:$port
		else
			chardev=unix:$dir/serial,server=on,wait=on,telnet=on
			uri=telnet+unix:$dir/serial
		fi
		# wait=on: QEMU starts the VM only once we are connected.
		"$QEMU" -display none -nodefaults -machine accel=tcg -m 64 \
			-fw_cfg name=etc/sercon-port,file="$dir/sercon" \
			-boot menu=on,splash-time=20000 \
			-serial "$chardev" >"$dir/qemu-$kind.log" 2>&1 &
		qpid=$!
		pids="$pids $qpid"
		"$DRIVER" "$uri" \
			'expect=SeaBIOS \(version [^)]*\)' \
			'expect=Press ESC for boot menu' \
			'send=\e' 'expect=Select boot device:' \
			>"$dir/out" 2>&1 ||
			fail "QEMU $uri: $(cat "$dir/out"; cat "$dir/qemu-$kind.log")"
		kill -TERM "$qpid"
		wait "$qpid" 2>/dev/null
		echo "QEMU serial over $uri: ok"
		ran=$((ran + 1))
	done
else
	echo "QEMU part skipped: no $QEMU"
fi

test $ran -gt 0 || exit 77
echo "PASS: telnet ($ran parts)"
exit 0
