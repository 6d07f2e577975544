#!/bin/sh
# SPDX-License-Identifier: ISC
# vm-nologin.sh - a guest that never prints a login prompt (QEMU is
# launched with -S and never continued, so the console stays silent while
# login wakes it with newlines): login fails with exit 3 when its timeout
# passes, within 1 s, and teardown leaves nothing.
. "${TETHER_SRCDIR:-.}/tests/integration/vm/lib.sh"

cat >"$dir/nologin.tether" <<'PB'
launch vm0 qemu-system-x86_64 -accel $accel -m 256 -kernel $kernel \
    -initrd $initrd -append "console=ttyS0 quiet" -nic none -S -> vm
log "pid ${vm.pid}"
finally { teardown vm0 within 10s }
login vm0.console user=root password=$pass timeout=8s
PB
vm_run "$dir/nologin.tether"
test "$rc" = 3 || fail "exit $rc, want 3"
# The login step's time as reported: "failed login (8.0xx s)" or the
# message "after N ms".
ms=$(sed -n 's/.*no login prompt after \([0-9]*\) ms.*/\1/p' "$dir/err" | head -1)
test -n "$ms" || fail "no 'no login prompt after N ms' message"
test "$ms" -ge 8000 -a "$ms" -lt 9000 || fail "login gave up after $ms ms, want 8000..9000"
vm_check_gone
echo "ok no login prompt: exit 3 after $ms ms (timeout 8000 ms)"
exit 0
