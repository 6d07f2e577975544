# SPDX-License-Identifier: ISC
# vm/lib.sh - shared by the tests/integration/vm-*.sh tests: finds (or
# builds) the test guest, picks free ports, runs playbooks and checks that
# no QEMU of the test survives.  Source it; it sets:
#   $dir      a private directory (also TMPDIR, so launch run dirs land here)
#   $kernel $initrd $accel $pass   the guest
#   vm_run PLAYBOOK [ARGS]   runs $TETHER run with the guest variables;
#                            stdout in $dir/out, stderr in $dir/err, rc in $rc
#   vm_pids                  QEMU pids logged by playbooks ("pid N" lines)
#   vm_check_gone            fails when one of them, or a run dir, is left

: "${TETHER:=./tether}"
: "${TETHER_SRCDIR:=.}"
QEMU=${QEMU:-qemu-system-x86_64}

command -v "$QEMU" >/dev/null 2>&1 || { echo "skip: no $QEMU"; exit 77; }
test -x "$TETHER" || { echo "skip: no tether binary at $TETHER"; exit 77; }

GUEST_DIR=${TETHER_GUEST_DIR:-$TETHER_SRCDIR/build/guest}
if ! test -s "$GUEST_DIR/guest.env"; then
	"$TETHER_SRCDIR/scripts/mkguest" "$GUEST_DIR" >/dev/null 2>&1 ||
	    { echo "skip: scripts/mkguest failed (no Debian archive?)"; exit 77; }
fi
# shellcheck disable=SC1091
. "$GUEST_DIR/guest.env"
kernel=$GUEST_KERNEL
initrd=$GUEST_INITRD
pass=$GUEST_PASSWORD
accel=$("$TETHER_SRCDIR/scripts/guest-accel" "$GUEST_DIR" 2>/dev/null || echo tcg)

dir=$(mktemp -d /tmp/tether-vmtest.XXXXXX) || exit 1
export TMPDIR=$dir
extra_pids=
vm_cleanup() {
	for p in $(vm_pids) $extra_pids; do
		kill -KILL "$p" 2>/dev/null
	done
	rm -rf "$dir"
}
trap vm_cleanup EXIT
trap 'exit 1' INT TERM HUP

fail() {
	echo "FAIL: $*" >&2
	echo "--- stdout" >&2; cat "$dir/out" >&2 2>/dev/null
	echo "--- stderr" >&2; cat "$dir/err" >&2 2>/dev/null
	exit 1
}

# A free TCP port on 127.0.0.1 (the kernel picks it).
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# The VM verbs exist in this build?
printf 'launch probe /nonexistent-qemu\n' >"$dir/probe.tether"
if "$TETHER" run "$dir/probe.tether" 2>&1 | grep -q 'not available'; then
	echo "skip: this tether has no launch verb yet"
	exit 77
fi

vm_run() {
	pb=$1; shift
	start_ms=$(date +%s%3N)
	"$TETHER" run "$pb" --var kernel="$kernel" --var initrd="$initrd" \
	    --var accel="$accel" --var pass="$pass" "$@" \
	    >"$dir/out" 2>"$dir/err"
	rc=$?
	elapsed_ms=$(( $(date +%s%3N) - start_ms ))
}

# Playbooks say `log "pid ${vm.pid}"`: a "[  0.123] pid N" line on stderr.
vm_pids() {
	sed -n 's/^\[ *[0-9.]*\] pid \([0-9][0-9]*\)$/\1/p' "$dir/err" \
	    2>/dev/null
}

vm_check_gone() {
	for p in $(vm_pids); do
		if kill -0 "$p" 2>/dev/null; then
			fail "QEMU pid $p is still running"
		fi
	done
	left=$(ls -d "$dir"/tether-* 2>/dev/null)
	test -z "$left" || fail "run directories left: $left"
}
