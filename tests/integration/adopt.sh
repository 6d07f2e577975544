#!/bin/sh
# SPDX-License-Identifier: ISC
# adopt.sh - a QEMU started elsewhere (-daemonize -pidfile, serial, HMP and
# QMP on unix sockets, a CSIT-style agent line on a second isa-serial):
# discover -> VAR equals tether discover --json and names the agent as
# agent, not as a console; a playbook that adopts it and ends leaves it
# running; adopt by pidfile=, login on NAME.console, pin NAME, teardown
# NAME (guest poweroff): QEMU gone, its pidfile and sockets removed.
. "${TETHER_SRCDIR:-.}/tests/integration/vm/lib.sh"

test "$(getconf _NPROCESSORS_ONLN)" -ge 2 || { echo "skip: needs 2 CPUs"; exit 77; }

pidfile=$dir/qemu.pid
"$QEMU" -daemonize -pidfile "$pidfile" -name adoptee -accel "$accel" \
    -m 256 -smp 2 -display none \
    -kernel "$kernel" -initrd "$initrd" -append "console=ttyS0 quiet" \
    -serial "unix:$dir/con.sock,server=on,wait=off" \
    -monitor "unix:$dir/mon.sock,server=on,wait=off" \
    -qmp "unix:$dir/qmp.sock,server=on,wait=off" \
    -chardev "socket,path=$dir/qga.sock,server=on,wait=off,id=qga0" \
    -device isa-serial,chardev=qga0 \
    -nic none >"$dir/qemu.out" 2>&1 || {
	cat "$dir/qemu.out"; fail "QEMU -daemonize failed"; }
qpid=$(cat "$pidfile")
extra_pids=$qpid
kill -0 "$qpid" || fail "no QEMU at pid $qpid"

# --- tether discover: the agent line is the agent ---
"$TETHER" discover "$qpid" >"$dir/disc.txt" || fail "tether discover"
grep -q "^serial   unix:$dir/con.sock\$" "$dir/disc.txt" || fail "discover: serial"
grep -q "^agent    qga:unix:$dir/qga.sock\$" "$dir/disc.txt" || fail "discover: agent"
grep -q "qga.sock" "$dir/disc.txt" && ! grep -q "^serial .*qga" "$dir/disc.txt" ||
    fail "discover: the agent is listed as a serial console"
"$TETHER" discover --json "$qpid" >"$dir/disc.json" || fail "discover --json"

# --- discover -> VAR, adopt pid=, end without teardown: QEMU keeps running ---
cat >"$dir/one.tether" <<'PB'
discover $qpid -> d
print json($d)
adopt vm pid=$qpid -> a
check ${a.pid} == $qpid
check ${a.sessions.console} == "vm.console"
check ${a.sessions.monitor} == "vm.monitor"
check ${a.sessions.qmp} == "vm.qmp"
qmp vm.qmp "query-status" -> st
check ${st.status} == "running" "status ${st.status}"
hmp vm.monitor "info cpus" -> cpus
check ${#cpus} == 2
PB
vm_run "$dir/one.tether" --var qpid="$qpid"
test "$rc" = 0 || fail "adopt pid=: exit $rc"
python3 - "$dir/out" "$dir/disc.json" <<'EOF' || fail "discover -> VAR differs from tether discover --json"
import json, sys
a = json.loads(open(sys.argv[1]).read())
b = json.load(open(sys.argv[2]))
if a != b:
    print("discover -> VAR:", a)
    print("--json:         ", b)
    sys.exit(1)
EOF
kill -0 "$qpid" 2>/dev/null || fail "the end of the playbook stopped the adopted QEMU"
test -S "$dir/con.sock" || fail "the end of the playbook removed the console socket"
echo "ok discover -> VAR == tether discover --json; adopted QEMU left running"

# --- adopt pidfile=, login, pin, teardown ---
cat >"$dir/two.tether" <<'PB'
adopt vm pidfile=$pidfile -> a
log "pid ${a.pid}"
print json(${a.sessions})
finally { teardown vm within 30s -> how; print "teardown $how" }
login vm.console user=root password=$pass timeout=120s
run vm.console "uname -s" -> os
check $os == "Linux" "uname: $os"
pin vm cpus=[0,1] -> pins
check ${#pins} == 2
for p in $pins {
    open st "spawn:cat /proc/${a.pid}/task/${p.thread_id}/status"
    expect st /Cpus_allowed_list:\s+(\S+)/
    check $1 == "${p.cpus[0]}" "vCPU ${p.vcpu}: $1"
    close st
    print "vcpu ${p.vcpu} cpus $1"
}
PB
vm_run "$dir/two.tether" --var pidfile="$pidfile"
test "$rc" = 0 || fail "adopt pidfile=: exit $rc"
grep -q '^vcpu 0 cpus 0$' "$dir/out" || fail "vcpu 0 not pinned on 0"
grep -q '^vcpu 1 cpus 1$' "$dir/out" || fail "vcpu 1 not pinned on 1"
grep -q '^teardown poweroff$' "$dir/out" || fail "not ended by guest poweroff"
# Exited: gone, or a zombie that its parent (init here) has not reaped yet.
st=$(ps -o stat= -p "$qpid" 2>/dev/null)
case $st in
''|Z*) ;;
*) fail "QEMU pid $qpid still running after teardown ($st)" ;;
esac
test -e "$pidfile" && fail "pidfile $pidfile left"
test -e "$dir/con.sock" && fail "console socket left"
agent=$(grep -o '"agent": *"[^"]*"' "$dir/out" || echo "none (no qga: in this build)")
echo "ok adopt pidfile=, login, pin, teardown by poweroff: ${elapsed_ms} ms (agent session: $agent)"
exit 0
