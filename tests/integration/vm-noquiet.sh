#!/bin/sh
# SPDX-License-Identifier: ISC
# vm-noquiet.sh - login and run on the real test guest booted without
# `quiet` (console=ttyS0 loglevel=8: the kernel banner "Linux version ...
# #1 SMP" and hundreds of kernel lines, some after the login prompt),
# several boots in a row: each logs in and runs commands correctly (login
# used to type PS1 at the banner's "#" and wait out its timeout).  The
# last boot also runs a command busybox ash cannot parse: run fails at
# once with the shell's message and exit 1, and teardown leaves nothing.
. "${TETHER_SRCDIR:-.}/tests/integration/vm/lib.sh"

boots=${VM_NOQUIET_BOOTS:-3}
i=1
while [ "$i" -le "$boots" ]; do
	last=
	[ "$i" -eq "$boots" ] && last='run vm0.console "echo hello <&>" timeout 60s'
	cat >"$dir/boot.tether" <<PB
launch vm0 qemu-system-x86_64 -accel \$accel -m 256 -kernel \$kernel \\
    -initrd \$initrd -append "console=ttyS0 loglevel=8" -nic none -> vm
log "pid \${vm.pid}"
finally { teardown vm0 within 20s }
login vm0.console user=root password=\$pass timeout=120s
log "logged in"
run vm0.console "uname -r" -> k
check \$k == "6.1.0-57-amd64" "uname -r: \$k"
run vm0.console "echo one; echo two" -> o
check \$o == "one\ntwo" "echo: \$o"
run vm0.console "(exit 7)"
check \$status == 7 "status \$status"
$last
PB
	vm_run "$dir/boot.tether" -v
	[ -n "${VM_NOQUIET_DEBUG:-}" ] && cat "$dir/err"
	if [ -n "$last" ]; then
		test "$rc" = 1 || fail "boot $i: exit $rc, want 1"
		grep -q 'run on vm0.console: the shell did not run the command: .*syntax error' \
		    "$dir/err" || fail "boot $i: no shell message"
		n=$(grep -o 'run on vm0.console:' "$dir/err" | wc -l)
		test "$n" -eq 1 || fail "boot $i: prefix $n times"
	else
		test "$rc" = 0 || fail "boot $i: exit $rc"
	fi
	grep -q 'logged in' "$dir/err" || fail "boot $i: not logged in"
	vm_check_gone
	echo "ok boot $i (loglevel=8): logged in and ran, ${elapsed_ms} ms"
	i=$((i + 1))
done
exit 0
