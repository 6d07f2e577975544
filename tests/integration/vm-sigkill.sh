#!/bin/sh
# SPDX-License-Identifier: ISC
# vm-sigkill.sh - QEMU killed with SIGKILL in the middle of a playbook: the
# expect on the console sees end of file (exit 4), teardown completes, and
# no process, socket or run directory is left.
. "${TETHER_SRCDIR:-.}/tests/integration/vm/lib.sh"

cat >"$dir/kill.tether" <<'PB'
launch vm0 qemu-system-x86_64 -accel $accel -m 256 -kernel $kernel \
    -initrd $initrd -append "console=ttyS0 quiet" -nic none -> vm
log "pid ${vm.pid}"
finally { teardown vm0 within 20s -> how; log "teardown $how" }
login vm0.console user=root password=$pass timeout=120s
log "ready"
# Killed from outside while we wait for something that never comes.
expect vm0.console /never printed/ timeout 120s
PB
"$TETHER" run "$dir/kill.tether" --var kernel="$kernel" \
    --var initrd="$initrd" --var accel="$accel" --var pass="$pass" \
    >"$dir/out" 2>"$dir/err" &
tpid=$!
extra_pids=$tpid
# Wait (bounded: 120 s) for the playbook to log in.
i=0
until grep -q '\] ready$' "$dir/err"; do
	kill -0 "$tpid" 2>/dev/null || fail "tether ended early"
	test $i -lt 1200 || fail "no login within 120 s"
	sleep 0.1
	i=$((i + 1))
done
qpid=$(vm_pids)
test -n "$qpid" || fail "no QEMU pid logged"
start_ms=$(date +%s%3N)
kill -KILL "$qpid"
wait "$tpid"
rc=$?
elapsed_ms=$(( $(date +%s%3N) - start_ms ))
test "$rc" = 4 || fail "exit $rc, want 4"
grep -q 'teardown exited' "$dir/err" || fail "teardown did not run"
vm_check_gone
echo "ok SIGKILL mid-playbook: exit 4 ${elapsed_ms} ms after the kill, nothing left"
exit 0
