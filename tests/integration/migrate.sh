#!/bin/sh
# SPDX-License-Identifier: ISC
# migrate.sh - live migration on the real test guest, two QEMUs at a time:
# src booted and logged in migrates into dst (incoming=unix): the shell
# answers on dst.console without a new login, src is left in postmigrate;
# then dst migrates into dst2 over tcp.  Failures carry QEMU's reason and
# exit 1: a destination with another memory size, one not launched
# incoming; within passed cancels with migrate_cancel.
. "${TETHER_SRCDIR:-.}/tests/integration/vm/lib.sh"

guest="qemu-system-x86_64 -accel \$accel -m 128 -kernel \$kernel \
    -initrd \$initrd -append \"console=ttyS0 quiet\" -nic none"

# --- unix, then tcp, with the console still logged in
cat >"$dir/ok.tether" <<PB
launch src $guest -> vm
log "pid \${vm.pid}"
# src is torn down below, before dst2 starts (the loop stops it on a failure)
login src.console user=root password=\$pass timeout=180s
run src.console "echo before-migration > /tmp/mark; cat /tmp/mark" -> out
check \$out == "before-migration"
launch dst incoming=unix $guest -> vm
log "pid \${vm.pid}"
finally { teardown dst within 20s -> how; print "dst teardown \$how" }
qmp dst.qmp "query-status" -> st
check \${st.status} == "inmigrate" "dst is \${st.status}"
migrate src to=dst within 2m -> m
print "unix \${m.status} total \${m.total_time_ms} ms downtime \${m.downtime_ms} ms bytes \${m.transferred_bytes}"
check \${m.status} == "completed"
check \${m.transferred_bytes} > 0
run dst.console "cat /tmp/mark; echo alive" -> out
check \$out == "before-migration\nalive" "dst says \$out"
qmp src.qmp "query-status" -> st
check \${st.status} == "postmigrate" "src is \${st.status}"
teardown src within 20s -> how
print "src teardown \$how"
launch dst2 incoming=tcp $guest -> vm
log "pid \${vm.pid}"
finally { teardown dst2 within 20s }
migrate dst to=dst2 within 2m -> m
print "tcp \${m.status} total \${m.total_time_ms} ms downtime \${m.downtime_ms} ms"
run dst2.console "cat /tmp/mark; echo alive2" -> out
check \$out == "before-migration\nalive2" "dst2 says \$out"
qmp dst.qmp "query-status" -> st
check \${st.status} == "postmigrate" "dst is \${st.status}"
PB
vm_run "$dir/ok.tether"
test "$rc" = 0 || fail "unix+tcp: exit $rc"
grep -q '^unix completed total' "$dir/out" || fail "no unix migration"
grep -q '^tcp completed total' "$dir/out" || fail "no tcp migration"
vm_check_gone
echo "ok migrate unix then tcp, console still logged in: ${elapsed_ms} ms"
sed -n 's/^\(unix\|tcp\) /  &/p' "$dir/out"

# --- a destination QEMU refuses: another memory size
cat >"$dir/mem.tether" <<PB
launch src $guest -> vm
log "pid \${vm.pid}"
finally { teardown src within 20s }
launch dst incoming=unix qemu-system-x86_64 -accel \$accel -m 256 \
    -kernel \$kernel -initrd \$initrd -nic none -> vm
log "pid \${vm.pid}"
finally { teardown dst within 20s }
migrate src to=dst within 1m
print "not reached"
PB
vm_run "$dir/mem.tether"
test "$rc" = 1 || fail "memory size: exit $rc, want 1"
grep -q 'migrate src to dst: migration failed' "$dir/err" ||
    fail "memory size: no failure message"
grep -qi 'mismatch' "$dir/err" || fail "memory size: not QEMU's reason"
grep -q 'not reached' "$dir/out" && fail "memory size: went on"
vm_check_gone
echo "ok migrate to another memory size fails: ${elapsed_ms} ms"
grep -o 'migrate src to dst: .*' "$dir/err" | cut -c1-300 | sed 's/^/  /'

# --- a destination not launched incoming=
cat >"$dir/notin.tether" <<PB
launch src $guest -> vm
log "pid \${vm.pid}"
finally { teardown src within 20s }
launch dst $guest -> vm
log "pid \${vm.pid}"
finally { teardown dst within 20s }
migrate src to=dst within 1m
print "not reached"
PB
vm_run "$dir/notin.tether"
test "$rc" = 1 || fail "not incoming: exit $rc, want 1"
grep -q "migrate src to dst: dst refused: .*-incoming" "$dir/err" ||
    fail "not incoming: not QEMU's reason"
vm_check_gone
echo "ok migrate to a VM not incoming fails: ${elapsed_ms} ms"
grep -o 'migrate src to dst: .*' "$dir/err" | sed 's/^/  /'

# --- within passed: migrate_cancel (max-bandwidth 1 KiB/s)
cat >"$dir/within.tether" <<PB
launch src $guest -> vm
log "pid \${vm.pid}"
finally {
    qmp src.qmp "query-migrate" -> q
    print "src migration \${q.status}"
    qmp src.qmp "query-status" -> st
    print "src \${st.status}"
    teardown src within 20s
}
launch dst incoming=tcp $guest -> vm
log "pid \${vm.pid}"
finally { teardown dst within 20s }
qmp src.qmp "migrate-set-parameters" {"max-bandwidth": 1024}
migrate src to=dst within 1s
print "not reached"
PB
vm_run "$dir/within.tether"
test "$rc" = 3 || fail "within: exit $rc, want 3 (timeout)"
grep -q 'cancelled with migrate_cancel (cancelled)' "$dir/err" ||
    fail "within: not cancelled"
grep -qx 'src migration cancelled' "$dir/out" || fail "within: src not cancelled"
grep -qx 'src running' "$dir/out" || fail "within: src not running on"
vm_check_gone
echo "ok migrate within 1s cancels: ${elapsed_ms} ms"
grep -o 'migrate src to dst: .*' "$dir/err" | sed 's/^/  /'
exit 0
