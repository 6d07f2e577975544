#!/bin/sh
# SPDX-License-Identifier: ISC
# vm-example.sh - the main job as users run it: examples/vm-boot-check.tether
# with the guest's settings from guest.env (--var-file), a JUnit report
# and transcripts.  Boot, serial login, PCI/vCPU tables, network, SSH to the
# guest's dropbear through QEMU's hostfwd, teardown; nothing left behind
# and the password in no output.
. "${TETHER_SRCDIR:-.}/tests/integration/vm/lib.sh"

port=$(free_port)
start_ms=$(date +%s%3N)
"$TETHER" run "$TETHER_SRCDIR/examples/vm-boot-check.tether" \
    --var-file "$GUEST_DIR/guest.env" --var GUEST_ACCEL="$accel" \
    --var SSH_PORT="$port" --junit "$dir/junit.xml" --log-dir "$dir/logs" \
    >"$dir/out" 2>"$dir/err"
rc=$?
elapsed_ms=$(( $(date +%s%3N) - start_ms ))
test "$rc" = 0 || fail "exit $rc"
for s in launch login devices network verify ssh teardown; do
	grep -q "ok   $s " "$dir/err" || fail "step $s not reported ok"
done
grep -q "ssh root@127.0.0.1:$port ok" "$dir/out" ||
    fail "no SSH login through the hostfwd"
grep -q "vCPU 1 is host thread [0-9]" "$dir/out" || fail "no vCPU table"
grep -Eq "pci 0:[0-9]+\.0  1af4:1000  Ethernet controller" "$dir/out" ||
    fail "no virtio-net in the PCI table"
test "$(grep -c '<testcase' "$dir/junit.xml")" = 7 || fail "junit testcases"
test -s "$dir/logs/vm0.console.log" || fail "no console transcript"
if grep -rqF -- "$pass" "$dir/out" "$dir/err" "$dir/junit.xml" "$dir/logs"; then
	fail "the guest password appears in an output"
fi
pid=$(sed -n 's/^\[ *[0-9.]*\] QEMU pid \([0-9][0-9]*\)$/\1/p' "$dir/err")
test -n "$pid" || fail "no QEMU pid logged"
kill -0 "$pid" 2>/dev/null && fail "QEMU pid $pid is still running"
left=$(ls -d "$dir"/tether-* 2>/dev/null)
test -z "$left" || fail "run directories left: $left"
echo "ok example: ${elapsed_ms} ms"
exit 0
