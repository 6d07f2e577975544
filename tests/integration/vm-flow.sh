#!/bin/sh
# SPDX-License-Identifier: ISC
# vm-flow.sh - the whole flow on the real test guest, twice: serial over a
# unix socket (launch) and serial over telnet (launch serial=telnet):
# launch, login, run (status, wrapped long line, tab), info pci / info cpus,
# wait-net, wait-port with the SSH banner, teardown by guest poweroff.
. "${TETHER_SRCDIR:-.}/tests/integration/vm/lib.sh"

for serial in unix telnet; do
	port=$(free_port)
	cat >"$dir/flow.tether" <<PB
launch vm0 serial=$serial qemu-system-x86_64 -accel \$accel -m 256 -smp 2 \\
    -kernel \$kernel -initrd \$initrd -append "console=ttyS0 quiet" \\
    -nic user,hostfwd=tcp:127.0.0.1:$port-:22 -> vm
log "pid \${vm.pid}"
finally { teardown vm0 within 20s -> how; print "teardown \$how" }
login vm0.console user=root password=\$pass timeout=120s
run vm0.console "uname -s" -> os
check \$os == "Linux" "uname: \$os"
run vm0.console "(exit 3)"
check \$status == 3 "status \$status"
set long = "echo 0123456789-0123456789-0123456789-0123456789-0123456789-0123456789-0123456789-0123456789-end"
run vm0.console "\$long" -> out
check \$out == "0123456789-0123456789-0123456789-0123456789-0123456789-0123456789-0123456789-0123456789-end" "long: \$out"
run vm0.console "printf 'a\\tb\\n'" -> tab
check \$tab == "a\tb" "tab: \$tab"
hmp vm0.monitor "info cpus" -> cpus
check \${#cpus} == 2
hmp vm0.monitor "info pci" -> pci
check \${#pci} >= 3
wait-net vm0.console match=/^10\\.0\\.2\\./ within 60s
check \$addr == "10.0.2.15" "addr \$addr"
wait-port 127.0.0.1:$port banner=/^SSH-/ within 60s
PB
	vm_run "$dir/flow.tether"
	test "$rc" = 0 || fail "$serial: exit $rc"
	grep -qx 'teardown poweroff' "$dir/out" || fail "$serial: not powered off"
	vm_check_gone
	echo "ok $serial serial: ${elapsed_ms} ms"
done
exit 0
