#!/bin/sh
# SPDX-License-Identifier: ISC
# sigkill-launch.sh - tether killed with SIGKILL while a QEMU it launched
# runs (SeaBIOS, no guest needed): QEMU must be gone within 1 s.
. "${TETHER_SRCDIR:-.}/tests/hostile/lib.sh"
QEMU=${QEMU:-qemu-system-x86_64}
hostile_need "$QEMU"

cat >"$dir/launch.tether" <<PB
launch vm0 $QEMU -m 64 -nic none -> vm
log "launched qemu \${vm.pid}"
expect vm0.console /never printed/ timeout 120s
PB
TMPDIR=$dir "$TETHER" run "$dir/launch.tether" >"$dir/out" 2>"$dir/err" &
tpid=$!
hostile_pids="$hostile_pids $tpid"
i=0
until grep -q 'launched qemu [0-9]' "$dir/err" 2>/dev/null; do
	kill -0 "$tpid" 2>/dev/null || fail "tether ended early"
	test $i -lt 600 || fail "no launch within 30 s"
	sleep 0.05
	i=$((i + 1))
done
qpid=$(sed -n 's/.*launched qemu \([0-9]*\).*/\1/p' "$dir/err")
hostile_pids="$hostile_pids $qpid"
kill -KILL "$tpid"
wait "$tpid" 2>/dev/null
start=$(date +%s%3N)
i=0
while alive "$qpid"; do
	test $i -lt 20 || fail "QEMU $qpid still runs 1 s after the kill"
	sleep 0.05
	i=$((i + 1))
done
pass "SIGKILL: QEMU gone $(( $(date +%s%3N) - start )) ms after the kill"
