#!/bin/sh
# SPDX-License-Identifier: ISC
# xfer.sh - put and get against real peers:
#  0. a local shell (spawn:/bin/sh): with base64 hidden, openssl base64
#     both ways; without sha256sum, md5sum; a lying sha256sum fails the
#     put with both digests;
#  1. SFTP to OpenSSH's sshd started here on a loopback port (root, key):
#     1 MiB of random bytes both ways, a file with NUL, 0xff and no
#     trailing newline, an empty file, mode= applied, the session's shell
#     still usable, and a read-only path failing with SFTP's reason;
#     then without an SFTP subsystem: the exec channel (cat), and a put
#     into a missing directory failing with the shell's message;
#  2. the test guest under QEMU (TCG is fine): the same over its serial
#     console (base64 through busybox's shell, sha256sum on both sides),
#     and over ssh to its dropbear (no SFTP server: an exec channel), then
#     a put into a full tmpfs failing with the shell's reason, exit 1;
#  3. examples/autotest-copy.tether on the guest.
# Every copy is compared with sha256sum here.  Prints the throughput.
: "${TETHER_BUILDDIR:=.}"
: "${TETHER_SRCDIR:=.}"
: "${TETHER:=$TETHER_BUILDDIR/tether}"
SSHD=${SSHD:-/usr/sbin/sshd}
PB=$TETHER_SRCDIR/tests/integration/xfer

test -x "$TETHER" || { echo "skip: no tether binary at $TETHER"; exit 77; }
"$TETHER" check "$TETHER_SRCDIR/examples/autotest-copy.tether" || {
	echo "FAIL: tether check examples/autotest-copy.tether" >&2; exit 1; }

# The files, in $1.
make_files() {
	head -c 1048576 /dev/urandom >"$1/big.bin" || exit 1
	printf 'a\000b\377\000\377c\r\n\000z' >"$1/edge.bin"
	: >"$1/empty.bin"
}

# same A B WHAT: fails unless files A and B have the same SHA-256.
same() {
	a=$(sha256sum <"$1" | cut -d' ' -f1)
	b=$(sha256sum <"$2" 2>/dev/null | cut -d' ' -f1)
	test -n "$b" && test "$a" = "$b" && return 0
	fail "$3: sha256 $a != ${b:-missing}"
}

# --- 0. a local shell: the fallbacks and a digest mismatch ---
ldir=$(mktemp -d /tmp/tether-xfer.XXXXXX) || exit 1
make_files "$ldir"
head -c 200000 /dev/urandom >"$ldir/mid.bin"
mkdir "$ldir/bin"
for c in base64 head cat dd wc md5sum chmod stty grep; do
	p=$(command -v $c) && ln -s "$p" "$ldir/bin/$c"
done
"$TETHER" run --log-dir "$ldir/logs" "$PB/local.tether" --var dir="$ldir" \
    >"$ldir/out" 2>"$ldir/err"
rc=$?
fail() {
	echo "FAIL: local: $*" >&2
	cat "$ldir/out" "$ldir/err" >&2
	rm -rf "$ldir"
	exit 1
}
test "$rc" = 1 || fail "exit $rc, want 1 (the digest mismatch)"
grep -q '^lying sha256sum next$' "$ldir/out" || fail "did not get that far"
grep -q 'not reached' "$ldir/out" && fail "a mismatch was taken"
want=$(sha256sum <"$ldir/edge.bin" | cut -d' ' -f1)
grep -q "put on sh: $ldir/edge.put: sha256 mismatch: local $want, remote 0000000000000000000000000000000000000000000000000000000000000000" \
    "$ldir/err" || fail "no message with both digests"
grep -q '| { openssl base64 -d |' "$ldir/logs/sh.log" ||
    fail "put did not fall back to openssl base64 -d"
grep -q '| openssl base64' "$ldir/logs/sh.log" ||
    fail "get did not fall back to openssl base64"
same "$ldir/mid.bin" "$ldir/mid.put" "openssl put"
same "$ldir/mid.bin" "$ldir/mid.get" "openssl get"
grep -q 'wc -c <.* && md5sum ' "$ldir/logs/sh.log" ||
    fail "no md5sum without sha256sum"
same "$ldir/mid.bin" "$ldir/mid.md5put" "md5sum put"
same "$ldir/mid.bin" "$ldir/mid.md5get" "md5sum get"
sed -n 's/^/  /p' "$ldir/err" | grep 'mismatch'
echo "ok local shell: openssl and md5sum fallbacks, digest mismatch"
rm -rf "$ldir"

# --- 1. SFTP against OpenSSH on loopback ---
sftp_part() {
	sdir=$(mktemp -d /tmp/tether-xfer.XXXXXX) || exit 1
	spid=
	trap 'test -n "$spid" && kill "$spid" 2>/dev/null; rm -rf "$sdir"' EXIT
	fail() {
		echo "FAIL: sftp: $*" >&2
		cat "$sdir/out" "$sdir/err" "$sdir/sshd.log" >&2 2>/dev/null
		exit 1
	}
	make_files "$sdir"
	mkdir "$sdir/remote" "$sdir/home"
	ssh-keygen -q -t ed25519 -N '' -f "$sdir/host" || exit 1
	ssh-keygen -q -t ed25519 -N '' -f "$sdir/id" || exit 1
	cp "$sdir/id.pub" "$sdir/authorized_keys"
	mkdir -p /run/sshd
	for try in 1 2 3; do
		port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
		cat >"$sdir/sshd.conf" <<CONF
ListenAddress 127.0.0.1:$port
HostKey $sdir/host
PidFile $sdir/sshd.pid
AuthorizedKeysFile $sdir/authorized_keys
PermitRootLogin yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
Subsystem sftp internal-sftp
LogLevel VERBOSE
CONF
		"$SSHD" -D -e -f "$sdir/sshd.conf" >"$sdir/sshd.log" 2>&1 &
		spid=$!
		n=0
		while ! grep -q 'Server listening' "$sdir/sshd.log" 2>/dev/null &&
		    test $n -lt 200; do
			n=$((n + 1))
			sleep 0.05
		done
		grep -q 'Server listening' "$sdir/sshd.log" && break
		kill "$spid" 2>/dev/null
		spid=
	done
	test -n "$spid" || fail "cannot start sshd"
	echo "[127.0.0.1]:$port $(cut -d' ' -f1,2 "$sdir/host.pub")" \
	    >"$sdir/known_hosts"
	start=$(date +%s%3N)
	HOME=$sdir/home "$TETHER" run "$PB/sftp.tether" --var port="$port" \
	    --var id="$sdir/id" --var known="$sdir/known_hosts" \
	    --var dir="$sdir" >"$sdir/out" 2>"$sdir/err"
	rc=$?
	ms=$(( $(date +%s%3N) - start ))
	test "$rc" = 1 || fail "exit $rc, want 1 (the read-only put)"
	grep -q '^read-only next$' "$sdir/out" || fail "did not get that far"
	grep -q 'not reached' "$sdir/out" && fail "a put to /proc succeeded"
	grep -Eq 'put on s: /proc/version: (cannot open|writing) it( failed)?: [a-z]' \
	    "$sdir/err" || fail "no clear message for the read-only path"
	grep -q '^sftp put 1048576 bytes .* method sftp$' "$sdir/out" ||
	    fail "put did not go by SFTP"
	grep -q '^sftp get 1048576 bytes .* method sftp$' "$sdir/out" ||
	    fail "get did not go by SFTP"
	grep -q '^shell alive-42$' "$sdir/out" || fail "the shell is gone"
	same "$sdir/big.bin" "$sdir/remote/big" "sftp put 1 MiB"
	same "$sdir/big.bin" "$sdir/big.sftp" "sftp get 1 MiB"
	same "$sdir/edge.bin" "$sdir/remote/edge" "sftp put edge"
	same "$sdir/edge.bin" "$sdir/edge.sftp" "sftp get edge"
	same "$sdir/empty.bin" "$sdir/empty.sftp" "sftp get empty"
	test "$(stat -c %a "$sdir/remote/big")" = 640 || fail "mode= not applied"
	sed -n 's/^\(sftp [a-z]* 1048576 bytes\)/  \1/p' "$sdir/out"
	sed -n 's/^/  /p' "$sdir/err" | grep 'put on' | head -1
	echo "ok sftp (OpenSSH on loopback): ${ms} ms"
	kill "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null
	spid=

	# The same sshd without an SFTP subsystem: the exec channel.
	grep -v '^Subsystem' "$sdir/sshd.conf" >"$sdir/exec.conf"
	: >"$sdir/sshd.log"
	"$SSHD" -D -e -f "$sdir/exec.conf" >"$sdir/sshd.log" 2>&1 &
	spid=$!
	n=0
	while ! grep -q 'Server listening' "$sdir/sshd.log" 2>/dev/null &&
	    test $n -lt 200; do
		n=$((n + 1))
		sleep 0.05
	done
	start=$(date +%s%3N)
	HOME=$sdir/home "$TETHER" run "$PB/exec.tether" --var port="$port" \
	    --var id="$sdir/id" --var known="$sdir/known_hosts" \
	    --var dir="$sdir" >"$sdir/out" 2>"$sdir/err"
	rc=$?
	ms=$(( $(date +%s%3N) - start ))
	test "$rc" = 1 || fail "exec: exit $rc, want 1 (the missing directory)"
	grep -q '^missing directory next$' "$sdir/out" ||
	    fail "exec: did not get that far"
	grep -q 'not reached' "$sdir/out" && fail "exec: a put succeeded"
	grep -Eq 'put on s: /nonexistent-dir/x: writing it failed \(exit status [1-9][0-9]*\): .*nonexistent' \
	    "$sdir/err" || fail "exec: no clear message for the missing directory"
	grep -q '^exec put 1048576 bytes .* method exec$' "$sdir/out" ||
	    fail "put did not go by the exec channel"
	grep -q '^exec get 1048576 bytes .* method exec$' "$sdir/out" ||
	    fail "get did not go by the exec channel"
	same "$sdir/big.bin" "$sdir/remote/big.exec" "exec put 1 MiB"
	same "$sdir/big.bin" "$sdir/big.exec" "exec get 1 MiB"
	same "$sdir/edge.bin" "$sdir/remote/edge.exec" "exec put edge"
	same "$sdir/edge.bin" "$sdir/edge.exec" "exec get edge"
	test "$(stat -c %a "$sdir/remote/big.exec")" = 604 ||
	    fail "exec: mode= not applied"
	sed -n 's/^\(exec [a-z]* 1048576 bytes\)/  \1/p' "$sdir/out"
	sed -n 's/^/  /p' "$sdir/err" | grep 'put on' | head -1
	echo "ok exec channel (OpenSSH without SFTP): ${ms} ms"
	kill "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null
	spid=
	rm -rf "$sdir"
	trap - EXIT
}

if test "$(id -u)" = 0 && test -x "$SSHD" &&
    command -v ssh-keygen >/dev/null 2>&1; then
	( sftp_part ) || exit 1
else
	echo "note: no SFTP part (needs root, $SSHD and ssh-keygen)"
fi

# --- 2. the test guest: console and dropbear ---
. "$TETHER_SRCDIR/tests/integration/vm/lib.sh"
make_files "$dir"
port=$(free_port)
vm_run "$PB/guest.tether" --var port="$port" --var dir="$dir"
test "$rc" = 1 || fail "exit $rc, want 1 (the put into a full tmpfs)"
grep -q '^full tmpfs next$' "$dir/out" || fail "did not get that far"
grep -q 'not reached' "$dir/out" && fail "a put into a full tmpfs succeeded"
grep -Eq 'put on vm0.console: /mnt/small/big: writing it failed: .*No space left on device' \
    "$dir/err" || fail "no clear message for the full tmpfs"
want=$(sha256sum <"$dir/big.bin" | cut -d' ' -f1)
grep -q "^guest sha256 $want  /root/big$" "$dir/out" ||
    fail "the guest's sha256sum differs"
grep -q '^guest mode 600$' "$dir/out" || fail "mode=0600 not applied"
grep -q '^console put 1048576 bytes .* method console$' "$dir/out" ||
    fail "console put"
grep -q '^ssh put 1048576 bytes .* method exec$' "$dir/out" ||
    fail "ssh put did not go by the exec channel"
grep -q '^guest files same$' "$dir/out" || fail "ssh and console copies differ"
same "$dir/big.bin" "$dir/big.console" "console get 1 MiB"
same "$dir/big.bin" "$dir/big.ssh" "ssh get 1 MiB"
same "$dir/edge.bin" "$dir/edge.console" "console edge"
same "$dir/edge.bin" "$dir/edge.ssh" "ssh edge"
same "$dir/empty.bin" "$dir/empty.console" "console empty"
grep -qF -- "$pass" "$dir/out" "$dir/err" && fail "the password in an output"
vm_check_gone
sed -n 's/^\(console [a-z]* 1048576 bytes\)/  \1/p; s/^\(ssh [a-z]* 1048576 bytes\)/  \1/p' "$dir/out"
echo "ok guest console and dropbear: ${elapsed_ms} ms"

# --- 3. the example, as users run it ---
port=$(free_port)
mkdir "$dir/ex"
head -c 20000 /dev/urandom >"$dir/ex.bin"
start_ms=$(date +%s%3N)
(cd "$dir/ex" && "$TETHER" run "$TETHER_SRCDIR/examples/autotest-copy.tether" \
    --var-file "$GUEST_DIR/guest.env" --var GUEST_ACCEL="$accel" \
    --var SSH_PORT="$port" --var FILE="$dir/ex.bin" \
    >"$dir/out" 2>"$dir/err")
rc=$?
elapsed_ms=$(( $(date +%s%3N) - start_ms ))
test "$rc" = 0 || fail "examples/autotest-copy.tether: exit $rc"
same "$dir/ex.bin" "$dir/ex/payload.console" "example console copy"
same "$dir/ex.bin" "$dir/ex/payload.ssh" "example ssh copy"
left=$(ls -d "$dir"/tether-* 2>/dev/null)
test -z "$left" || fail "run directories left: $left"
echo "ok examples/autotest-copy.tether: ${elapsed_ms} ms"
exit 0
