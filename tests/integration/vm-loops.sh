#!/bin/sh
# SPDX-License-Identifier: ISC
# vm-loops.sh - launched VMs belong to their loop, not to the process:
# libtether registers no atexit(3) handler (nm), and with two loops each
# launching a QEMU, freeing one loop stops its QEMU and removes its run
# directory while the other loop's VM runs on (vm-driver loops).
# Exit 0 pass, 1 fail, 77 skip.
: "${TETHER_SRCDIR:=.}"
: "${TETHER_BUILDDIR:=.}"
QEMU=${QEMU:-qemu-system-x86_64}
driver=$TETHER_BUILDDIR/tests/integration/vm-driver
so=$TETHER_BUILDDIR/.libs/libtether.so.0

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

if command -v nm >/dev/null 2>&1 && test -f "$so"; then
	if nm -u "$so" | grep -Eq '[[:space:]](__cxa_)?atexit(@|$)'; then
		fail "$so calls atexit: $(nm -u "$so" | grep atexit)"
	fi
	echo "ok libtether.so.0 registers no atexit handler"
else
	echo "skip nm: no nm or no $so"
fi

command -v "$QEMU" >/dev/null 2>&1 || { echo "skip: no $QEMU"; exit 77; }
test -x "$driver" || { echo "skip: no $driver"; exit 77; }
dir=$(mktemp -d /tmp/tether-vmloops.XXXXXX) || exit 1
trap 'rm -rf "$dir"' EXIT
# Launch run directories go to TMPDIR: nothing may be left in $dir.
TMPDIR=$dir "$driver" loops "$QEMU" >"$dir/out" 2>"$dir/err"
rc=$?
cat "$dir/out"
test "$rc" = 0 || { cat "$dir/err" >&2; fail "vm-driver loops: exit $rc"; }
for p in $(sed -n 's/^[ab] pid \([0-9]*\) .*/\1/p' "$dir/out"); do
	kill -0 "$p" 2>/dev/null && fail "QEMU pid $p is still running"
done
left=$(ls -d "$dir"/tether-* 2>/dev/null)
test -z "$left" || fail "run directories left: $left"
exit 0
