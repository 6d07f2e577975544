#!/bin/sh
# SPDX-License-Identifier: ISC
# serial-break.sh - BREAK reaching a real (emulated) UART, and serial: on
# a guest console, with the test guest:
#  1. the guest's console behind QEMU's telnet serial (launch
#     serial=telnet): send-break, then "h", makes the guest kernel print
#     its SysRq help ("sysrq: HELP"), as a BREAK on a real serial line
#     does (the kernel's 8250 driver with CONFIG_MAGIC_SYSRQ_SERIAL; the
#     command line here adds sysrq_always_enabled);
#  2. QEMU -serial pty (the console as a /dev/pts/N, from QEMU's "char
#     device redirected to" line): login and run through serial:.
# One QEMU at a time.  Exit 77 without QEMU or the guest.
. "${TETHER_SRCDIR:-.}/tests/integration/vm/lib.sh"

# --- 1. BREAK over telnet: the guest's SysRq ---
cat >"$dir/break.tether" <<'PB'
launch vm0 serial=telnet qemu-system-x86_64 -accel $accel -m 256 \
    -kernel $kernel -initrd $initrd -nic none \
    -append "console=ttyS0 quiet sysrq_always_enabled" -> vm
log "pid ${vm.pid}"
finally { teardown vm0 within 20s }
expect vm0.console /login: $/ timeout 180s
send-break vm0.console
send vm0.console "h"
expect vm0.console /sysrq: HELP[^\r\n]*/ timeout 30s
log "guest: $0"
PB
vm_run "$dir/break.tether"
test "$rc" = 0 || fail "break: exit $rc"
grep -q 'guest: sysrq: HELP' "$dir/err" || fail "no SysRq help logged"
vm_check_gone
echo "ok break: $(sed -n 's/.*guest: //p' "$dir/err" | cut -c1-60)... (${elapsed_ms} ms)"

# --- 2. serial: on QEMU -serial pty ---
"$QEMU" -accel "$accel" -m 256 -kernel "$kernel" -initrd "$initrd" \
    -append "console=ttyS0 quiet" -nic none -display none -monitor none \
    -serial pty >"$dir/qemu.out" 2>"$dir/qemu.err" &
qpid=$!
extra_pids="$extra_pids $qpid"
i=0
until pts=$(sed -n 's/.*char device redirected to \(\/dev\/pts\/[0-9]*\).*/\1/p' \
    "$dir/qemu.out" "$dir/qemu.err" | sed -n 1p) && test -n "$pts"; do
	i=$((i + 1))
	kill -0 "$qpid" 2>/dev/null || fail "QEMU ended: $(cat "$dir/qemu.err")"
	test $i -lt 200 || fail "QEMU gave no pty"
	sleep 0.05
done
cat >"$dir/pty.tether" <<PB
open con "serial:$pts" baud=115200
login con user=root password=\$pass timeout=180s
run con "uname -s" -> os
check \$os == "Linux" "uname: \$os"
run con "(exit 3)"
check \$status == 3 "status \$status"
run con "stty -a | head -1" -> st
log "guest: \$st"
PB
vm_run "$dir/pty.tether"
test "$rc" = 0 || fail "serial: on $pts: exit $rc"
kill "$qpid" 2>/dev/null
wait "$qpid" 2>/dev/null
echo "ok serial:$pts: login and run (${elapsed_ms} ms)"
exit 0
