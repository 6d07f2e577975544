#!/bin/sh
# SPDX-License-Identifier: ISC
# teardown-fast.sh - teardown picks the right first step, on the real test
# guest: a VM paused by QMP stop (logged in, so the old order typed
# poweroff into a stopped guest), a VM never logged in and a VM logged
# out again are gone in well under 3 s by system_powerdown or quit,
# without a guest poweroff; a logged-in running VM still powers off.
# Prints the real figures.
. "${TETHER_SRCDIR:-.}/tests/integration/vm/lib.sh"

# case NAME WANT-HOW MAX-MS BODY: boots, runs BODY, tears down with -v.
tcase() {
	name=$1 want=$2 max=$3 body=$4
	cat >"$dir/$name.tether" <<PB
launch vm0 qemu-system-x86_64 -accel \$accel -m 256 -kernel \$kernel \\
    -initrd \$initrd -append "console=ttyS0 quiet" -nic none -> vm
log "pid \${vm.pid}"
$body
teardown vm0 within 20s -> how
print "teardown \$how"
PB
	vm_run "$dir/$name.tether" -v
	test "$rc" = 0 || fail "$name: exit $rc"
	grep -qx "teardown $want" "$dir/out" ||
	    fail "$name: ended by $(cat "$dir/out"), want $want"
	ms=$(sed -n 's/.*teardown vm0: QEMU ended by [^ ]* in \([0-9]*\) ms.*/\1/p' \
	    "$dir/err" | tail -1)
	test -n "$ms" || fail "$name: no teardown trace line"
	test "$ms" -lt "$max" || fail "$name: teardown took $ms ms (max $max)"
	vm_check_gone
	echo "ok $name: ended by $want in $ms ms"
}

login='login vm0.console user=root password=$pass timeout=180s'
tcase paused quit 3000 "$login
qmp vm0.qmp \"stop\"
qmp vm0.qmp \"query-status\" -> st
check \${st.status} == \"paused\""
tcase never-logged-in quit 3000 \
    'expect vm0.console /login: $/ timeout 180s'
tcase logged-out quit 3000 "$login
sendline vm0.console \"exit\"
expect vm0.console /login: \$/ timeout 60s"
tcase logged-in poweroff 20000 "$login
run vm0.console \"true\""
exit 0
