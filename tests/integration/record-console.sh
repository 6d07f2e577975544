#!/bin/sh
# SPDX-License-Identifier: ISC
# record-console.sh - tether record in tmux against the test guest's
# console (QEMU -serial unix:..., TCG): the boot, the login prompt, root's
# password (typed where the guest's tty has echo off), a command, exit.
# The playbook holds sendline -secret with ${env("CON_PASSWORD")} and not
# the password; the guest booted again, tether run replays it (exit 0).
# One QEMU at a time.  Exit 77 without QEMU or the guest.

. "${TETHER_SRCDIR:-.}/tests/integration/lib-tmux.sh"

QEMU=${QEMU:-qemu-system-x86_64}
command -v "$QEMU" >/dev/null 2>&1 || { echo "skip: no $QEMU"; exit 77; }
GUEST_DIR=${TETHER_GUEST_DIR:-${TETHER_SRCDIR:-.}/build/guest}
test -s "$GUEST_DIR/guest.env" ||
    { echo "skip: no test guest in $GUEST_DIR (scripts/mkguest)"; exit 77; }
# shellcheck disable=SC1091
. "$GUEST_DIR/guest.env"
accel=$("${TETHER_SRCDIR:-.}/scripts/guest-accel" "$GUEST_DIR" 2>/dev/null ||
    echo tcg)
out=$dir/console.tether
qpid=

# Boots the guest with its console on a unix socket; QEMU waits for the
# client before it starts.
boot() {
	rm -f "$dir/con.sock"
	"$QEMU" -accel "$accel" -m 256 -kernel "$GUEST_KERNEL" \
	    -initrd "$GUEST_INITRD" -append "console=ttyS0 quiet" -nic none \
	    -display none -monitor none \
	    -serial unix:"$dir/con.sock",server=on,wait=on \
	    >"$dir/qemu.log" 2>&1 &
	qpid=$!
}
halt() {
	test -n "$qpid" || return 0
	kill -KILL "$qpid" 2>/dev/null
	wait "$qpid" 2>/dev/null
	qpid=
}
on_exit 'halt'

boot
tm_start
tm_type "$TETHER record $out con=unix:$dir/con.sock --connect-within 30s; echo EXIT=\$?"
tm_keys Enter
tm_wait 'recording to '
tm_wait 'login: $' 240
tm_type root
tm_keys Enter
tm_wait '^Password: $' 30
tm_type "$GUEST_PASSWORD"
tm_keys Enter
tm_wait '# $' 60
tm_type 'echo guest-$((6*7))'
tm_keys Enter
tm_wait '^guest-42' 30
tm_keys C-]
tm_wait '^tether con> $'
tm_type quit
tm_keys Enter
tm_wait 'EXIT=0' 30
tm_wait 'recorded [0-9]+ statements .*CON_PASSWORD'
halt

has() {
	grep -qF -- "$1" "$out" || { cat "$out" >&2; fail "no [$1]"; }
}
has 'open con "unix:'
has 'login: /'
has 'sendline con "root"'
has 'expect con /Password: /'
has 'sendline -secret con ${env("CON_PASSWORD")}'
has 'sendline con "echo guest-\$((6*7))"'
grep -q "$GUEST_PASSWORD" "$out" && fail "the password is in the playbook"

# The same target again: a new boot, the playbook replayed.
boot
start=$(date +%s)
CON_PASSWORD=$GUEST_PASSWORD "$TETHER" run --log-dir "$dir/replay" "$out" \
    >"$dir/run.out" 2>&1 ||
    { cat "$out" "$dir/run.out" >&2; fail "replay failed"; }
halt
grep -q 'guest-42' "$dir/replay/con.log" ||
    fail "the replay's transcript lacks guest-42"
echo "ok: $(wc -l <"$out") lines recorded, replayed in" \
    "$(( $(date +%s) - start ))s"
exit 0
