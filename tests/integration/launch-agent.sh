#!/bin/sh
# SPDX-License-Identifier: ISC
# launch-agent.sh - launch NAME agent=isa-serial|virtio on the real test
# guest: the qga0 chardev and its port are on QEMU's command line, the
# socket is in the run directory, the guest sees the port (ttyS1 is a
# 16550A, or /dev/virtio-ports/org.qemu.guest_agent.0), and the launch
# does not wait for the agent; NAME.agent then answers guest-ping (once
# the guest's qemu-ga runs) when this build and the guest have one.
. "${TETHER_SRCDIR:-.}/tests/integration/vm/lib.sh"

# The qga verb and an agent in the guest: ping it; else the wiring only.
ping=no
printf 'open x "qga:unix:/nonexistent"\nqga x "guest-ping"\n' \
    >"$dir/probe-qga.tether"
if grep -q '^GUEST_AGENT=' "$GUEST_DIR/guest.env" &&
    "$TETHER" check "$dir/probe-qga.tether" >/dev/null 2>&1; then
	ping=yes
fi

for agent in isa-serial virtio; do
	case $agent in
	isa-serial)
		dev='isa-serial,chardev=qga0'
		guest_check='sed -n "s/^1: uart:\([^ ]*\).*/\1/p" /proc/tty/driver/serial'
		want=16550A ;;
	virtio)
		dev='virtserialport,chardev=qga0,name=org.qemu.guest_agent.0'
		guest_check='cat /sys/class/virtio-ports/*/name'
		want=org.qemu.guest_agent.0 ;;
	esac
	cat >"$dir/agent.tether" <<PB
open host "spawn:/bin/sh"
launch vm0 agent=$agent qemu-system-x86_64 -accel \$accel -m 256 \\
    -kernel \$kernel -initrd \$initrd -append "console=ttyS0 quiet" \\
    -nic none -> vm
log "pid \${vm.pid}"
finally { teardown vm0 within 20s }
run host "tr '\\\\0' ' ' </proc/\${vm.pid}/cmdline" -> cmd
print "cmdline \$cmd"
run host "test -S \${vm.rundir}/qga.sock && echo socket" -> sock
check \$sock == "socket" "no socket \${vm.rundir}/qga.sock"
login vm0.console user=root password=\$pass timeout=180s
PB
	if test "$ping" = yes; then
		cat >>"$dir/agent.tether" <<'PB'
qga vm0.agent "guest-ping" timeout 2m
print "ping ok"
PB
	fi
	# the guest loads its drivers in the background, after the login
	cat >>"$dir/agent.tether" <<PB
retry within 60s every 1s {
    run vm0.console '$guest_check' -> port
    check \$port == "$want"
}
print "guest \$port"
PB
	vm_run "$dir/agent.tether"
	test "$rc" = 0 || fail "$agent: exit $rc"
	line=$(sed -n 's/^cmdline //p' "$dir/out")
	case $line in
	*"-chardev socket,path="*"/qga.sock,server=on,wait=off,id=qga0"*) ;;
	*) fail "$agent: no qga0 chardev in: $line" ;;
	esac
	case $line in
	*"-device $dev"*) ;;
	*) fail "$agent: no -device $dev in: $line" ;;
	esac
	grep -q "^guest .*$want" "$dir/out" ||
	    fail "$agent: the guest has no $want"
	if test "$ping" = yes; then
		grep -qx 'ping ok' "$dir/out" || fail "$agent: no ping"
	fi
	vm_check_gone
	echo "ok agent=$agent (ping $ping): ${elapsed_ms} ms"
done
exit 0
