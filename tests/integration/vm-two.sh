#!/bin/sh
# SPDX-License-Identifier: ISC
# vm-two.sh - two guests at once in one playbook: both boot in parallel,
# each is logged in and answers on its own console, both are torn down.
. "${TETHER_SRCDIR:-.}/tests/integration/vm/lib.sh"

cat >"$dir/two.tether" <<'PB'
for n in ["a", "b"] {
    launch $n qemu-system-x86_64 -accel $accel -m 256 -kernel $kernel \
        -initrd $initrd -append "console=ttyS0 quiet" -nic none -> vm
    log "pid ${vm.pid}"
}
finally { teardown a within 20s; teardown b within 20s }
login a.console user=root password=$pass timeout=180s
login b.console user=root password=$pass timeout=180s
run a.console "echo guest-a > /tmp/who; cat /tmp/who" -> wa
run b.console "cat /tmp/who 2>/dev/null || echo none" -> wb
check $wa == "guest-a" "a says $wa"
check $wb == "none" "b says $wb: the consoles are crossed"
hmp a.monitor "info status" -> sa
hmp b.monitor "info status" -> sb
check ${sa.running} and ${sb.running}
PB
vm_run "$dir/two.tether"
test "$rc" = 0 || fail "exit $rc"
test "$(vm_pids | wc -l)" = 2 || fail "want 2 QEMU pids"
vm_check_gone
echo "ok two guests: ${elapsed_ms} ms"
exit 0
