#!/bin/sh
# SPDX-License-Identifier: ISC
# vm-reboot.sh - rebooting the real test guest and logging in again on the
# same console session (issue 12 section 9): examples/autotest-reboot.tether
# (system_reset, then reboot typed in the shell, each awaited by its QMP
# RESET event), then login straight after an hmp system_reset with no
# event awaited, `run "reboot"` and `sendline "reboot -f"`.  A file written
# to /tmp (the initramfs) before each reset must be gone after it: a new
# boot, not the old shell.
. "${TETHER_SRCDIR:-.}/tests/integration/vm/lib.sh"

### 1. the example playbook, with the guest's guest.env.
vm_run "$TETHER_SRCDIR/examples/autotest-reboot.tether" \
    --var-file "$GUEST_DIR/guest.env" --var GUEST_ACCEL="$accel"
test "$rc" = 0 || fail "example: exit $rc"
for l in 'boot 2: /tmp/before-reset gone' \
    'boot 3: /tmp/before-reboot gone' 'teardown poweroff'; do
	grep -qx "$l" "$dir/out" || fail "example: no \"$l\""
done
grep -q '^  RESET: host-qmp-system-reset$' "$dir/out" ||
    fail "example: no RESET event for system_reset"
vm_check_gone
echo "ok example: ${elapsed_ms} ms"

### 2. login right after system_reset (no event awaited), run "reboot",
### sendline "reboot -f".
cat >"$dir/reboot.tether" <<'PB'
launch vm0 qemu-system-x86_64 -accel $accel -m 256 \
    -kernel $kernel -initrd $initrd -append "console=ttyS0 quiet" -> vm
log "pid ${vm.pid}"
finally { teardown vm0 within 20s -> how; print "teardown $how" }
login vm0.console user=root password=$pass timeout=120s
run vm0.console "echo one >/tmp/mark"
hmp vm0.monitor "system_reset"
login vm0.console user=root password=$pass timeout=120s
run vm0.console "cat /tmp/mark 2>/dev/null || echo none" -> mark
check $mark == "none" "after system_reset: /tmp/mark says $mark"
run vm0.console "echo two >/tmp/mark"
# hmp's system_reset queued RESET events on vm0.qmp too (its own and
# the firmware's second reset): forget them.
qmp-drain vm0.qmp "RESET" -> old
check ${#old} >= 1 "RESET events of system_reset: ${#old}"
run vm0.console "reboot"
check $status == 0 "reboot: status $status"
qmp-event vm0.qmp "RESET" within 60s -> ev
check ${ev.data.reason} == "guest-reset" "RESET: ${ev.data.reason}"
login vm0.console user=root password=$pass timeout=120s
run vm0.console "cat /tmp/mark 2>/dev/null || echo none" -> mark
check $mark == "none" "after reboot: /tmp/mark says $mark"
run vm0.console "cut -d. -f1 /proc/uptime" -> up
check $up < 60 "uptime $up s after reboot"
# reboot -f: no init, the shell dies at once, so no run: sendline.
run vm0.console "echo three >/tmp/mark"
qmp-drain vm0.qmp "RESET"
sendline vm0.console "reboot -f"
qmp-event vm0.qmp "RESET" within 60s -> ev
check ${ev.data.reason} == "guest-reset" "RESET: ${ev.data.reason}"
login vm0.console user=root password=$pass timeout=120s
run vm0.console "cat /tmp/mark 2>/dev/null || echo none" -> mark
check $mark == "none" "after reboot -f: /tmp/mark says $mark"
print "rebooted three times"
PB
vm_run "$dir/reboot.tether"
test "$rc" = 0 || fail "hmp system_reset / run reboot: exit $rc"
grep -qx 'rebooted three times' "$dir/out" || fail "not rebooted three times"
grep -qx 'teardown poweroff' "$dir/out" || fail "not powered off"
vm_check_gone
echo "ok hmp system_reset, run reboot, reboot -f: ${elapsed_ms} ms"
exit 0
