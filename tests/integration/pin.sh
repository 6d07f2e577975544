#!/bin/sh
# SPDX-License-Identifier: ISC
# pin.sh - the DTS flow on the real test guest: boot with -smp 2, login,
# map a PCI device by its id= ("info pci"), pin the two vCPU threads onto
# host CPUs 0 and 1 (checked in /proc/PID/task/TID/status), SCHED_FIFO
# priority 1 (checked with chrt -p), an HMP monitor= session, then the
# failures: a CPU the host lacks, and a policy the kernel refuses (EPERM,
# as an unprivileged user).
. "${TETHER_SRCDIR:-.}/tests/integration/vm/lib.sh"

test "$(getconf _NPROCESSORS_ONLN)" -ge 2 || { echo "skip: needs 2 CPUs"; exit 77; }
grep -q '^0-' /sys/devices/system/cpu/online ||
    { echo "skip: CPUs 0 and 1 not both online"; exit 77; }
command -v chrt >/dev/null 2>&1 || { echo "skip: no chrt"; exit 77; }

# --- 1. DTS-style boot, PCI map by id=, pin, policy ---
cat >"$dir/pin.tether" <<'PB'
launch vm0 qemu-system-x86_64 -accel $accel -m 256 -smp 2 \
    -kernel $kernel -initrd $initrd -append "console=ttyS0 quiet" \
    -netdev user,id=net0 -device e1000,netdev=net0,id=nic0 -> vm
log "pid ${vm.pid}"
finally { teardown vm0 within 20s }
login vm0.console user=root password=$pass timeout=120s

# PCI map by id= (DTS: the device's guest address from "info pci")
hmp vm0.monitor "info pci" -> pci
set addr = ""
for d in $pci {
    if ${d.id} == "nic0" { set addr = "${d.bus}:${d.device}.${d.function}" }
}
check $addr != "" "no device nic0 in info pci"
print "nic0 $addr"

# DTS pin_threads / CSIT qemu_set_affinity
pin vm0 cpus=[0,1] -> pins
check ${#pins} == 2 "pins: ${#pins}"
for p in $pins {
    open st "spawn:cat /proc/${vm.pid}/task/${p.thread_id}/status"
    expect st /Cpus_allowed_list:\s+(\S+)/
    check $1 == "${p.cpus[0]}" "vCPU ${p.vcpu}: Cpus_allowed_list $1, want ${p.cpus[0]}"
    print "vcpu ${p.vcpu} thread ${p.thread_id} cpus $1"
    close st
}
check ${pins[0].cpus[0]} == 0
check ${pins[1].cpus[0]} == 1

# one vCPU onto both CPUs
pin vm0 vcpu=1 cpus=[0,1] -> one
check ${#one} == 1
open st "spawn:cat /proc/${vm.pid}/task/${one[0].thread_id}/status"
expect st /Cpus_allowed_list:\s+(\S+)/
check $1 == "0-1" "vcpu=1: $1"
close st

# CSIT qemu_set_scheduler_policy (chrt), then back to SCHED_OTHER; one
# vCPU only, so that a busy real-time vCPU can never starve the host
pin vm0 vcpu=1 cpus=[1] policy=fifo priority=1 -> rt
for p in $rt {
    open ch "spawn:chrt -p ${p.thread_id}"
    expect ch /policy: SCHED_FIFO/
    expect ch /priority: 1/
    close ch
    print "vcpu ${p.vcpu} SCHED_FIFO 1"
}
pin vm0 policy=other
open ch "spawn:chrt -p ${rt[0].thread_id}"
expect ch /policy: SCHED_OTHER/
close ch

# an HMP session of the same QEMU (monitor=), and the emulator threads
pin monitor=vm0.monitor cpus=[1] emulator=[0] -> hp
check ${#hp} == 2
check ${hp[0].thread_id} == ${pins[0].thread_id}
check ${hp[1].cpus[0]} == 1
open st "spawn:cat /proc/${vm.pid}/status"
expect st /Cpus_allowed_list:\s+(\S+)/
check $1 == "0" "emulator thread: $1"
close st
run vm0.console "echo still-up" -> up
check $up == "still-up"
PB
vm_run "$dir/pin.tether"
test "$rc" = 0 || fail "pin: exit $rc"
grep -q '^nic0 [0-9]*:[0-9]*\.0$' "$dir/out" || fail "no nic0 address"
grep -q '^vcpu 0 thread [0-9]* cpus 0$' "$dir/out" || fail "vcpu 0 not on 0"
grep -q '^vcpu 1 thread [0-9]* cpus 1$' "$dir/out" || fail "vcpu 1 not on 1"
grep -q '^vcpu 1 SCHED_FIFO 1$' "$dir/out" || fail "no SCHED_FIFO"
vm_check_gone
echo "ok pin: boot, PCI map, pin, policy, monitor=: ${elapsed_ms} ms"

# --- 2. a CPU the host lacks (no guest kernel needed: firmware only) ---
cat >"$dir/bad.tether" <<'PB'
launch vm1 qemu-system-x86_64 -accel $accel -m 64 -smp 1 -> vm
log "pid ${vm.pid}"
finally { teardown vm1 within 10s }
pin vm1 cpus=[999]
PB
vm_run "$dir/bad.tether"
test "$rc" != 0 || fail "cpus=[999] succeeded"
grep -q 'the host has no CPU 999 (online: 0-' "$dir/err" ||
    fail "cpus=[999]: no reason"
vm_check_gone
echo "ok pin cpus=[999]: $(grep -o 'the host has no CPU 999[^)]*)' "$dir/err" | head -1)"

# --- 3. a policy the kernel refuses: SCHED_FIFO without CAP_SYS_NICE ---
if test "$(id -u)" = 0 && command -v setpriv >/dev/null 2>&1; then
	chmod 755 "$dir"
	mkdir "$dir/nb" && chmod 777 "$dir/nb"
	cat >"$dir/eperm.tether" <<'PB'
launch vm2 qemu-system-x86_64 -accel tcg -m 64 -smp 1 -> vm
log "pid ${vm.pid}"
finally { teardown vm2 within 10s }
pin vm2 cpus=[0] -> p
pin vm2 policy=fifo priority=1
PB
	chmod 644 "$dir/eperm.tether"
	start_ms=$(date +%s%3N)
	TMPDIR=$dir/nb setpriv --reuid=65534 --regid=65534 --clear-groups \
	    --inh-caps=-all --bounding-set=-all \
	    "$TETHER" run "$dir/eperm.tether" >"$dir/out" 2>"$dir/err"
	rc=$?
	test "$rc" != 0 || fail "SCHED_FIFO as nobody succeeded"
	grep -q 'sched_setscheduler(SCHED_FIFO, priority 1) of thread [0-9]*: Operation not permitted' \
	    "$dir/err" || fail "EPERM: no reason"
	vm_check_gone
	left=$(ls -d "$dir"/nb/tether-* 2>/dev/null)
	test -z "$left" || fail "run directories left: $left"
	echo "ok pin policy=fifo as nobody: Operation not permitted"
else
	echo "# not root: the EPERM case is not run"
fi
exit 0
