#!/bin/sh
# SPDX-License-Identifier: ISC
# qga.sh - the QEMU guest agent of the test guest (Debian's qemu-ga, from
# scripts/mkguest) through qga: sessions, on one QEMU started here with
# the agent on an isa-serial chardev (CSIT's wiring) and on a virtio-serial
# port org.qemu.guest_agent.0:
#   - virtio, opened at once with open-within=0: the first command waits
#     for the agent (the sync retried while the guest boots);
#   - isa-serial, open-within=2m as the readiness wait: guest-ping,
#     guest-network-get-interfaces (lo and the NIC with QEMU's MAC),
#     qga-exec "echo hi; exit 3" -> "hi\n" and $status 3, stderr;
#   - an unknown command fails (exit 1) with the agent's desc and class;
#   - a stale partial request written into the channel before opening is
#     skipped by the sync (and, as a control, breaks a plain request);
#   - a channel where no agent answers fails the open within open-within;
#   - launch agent=isa-serial and agent=virtio, when launch has agent=.
. "${TETHER_SRCDIR:-.}/tests/integration/vm/lib.sh"

command -v python3 >/dev/null 2>&1 || { echo "skip: no python3"; exit 77; }
printf 'open x "qga:unix:/nonexistent"\n' >"$dir/probe.tether"
if "$TETHER" run "$dir/probe.tether" 2>&1 | grep -q 'bad target'; then
	echo "skip: this tether has no qga: target"
	exit 77
fi
# An older guest has no agent: rebuild it (skipped when it is up to date).
if ! grep -q '^GUEST_AGENT=' "$GUEST_DIR/guest.env"; then
	"$TETHER_SRCDIR/scripts/mkguest" "$GUEST_DIR" >/dev/null 2>&1 ||
	    { echo "skip: scripts/mkguest failed (no Debian archive?)"; exit 77; }
	. "$GUEST_DIR/guest.env"
	kernel=$GUEST_KERNEL
	initrd=$GUEST_INITRD
fi
grep -q '^GUEST_AGENT=' "$GUEST_DIR/guest.env" ||
    { echo "skip: the guest in $GUEST_DIR has no agent"; exit 77; }

mac=52:54:00:71:67:61
qpid=
stop_qemu() {
	if test -n "$qpid"; then
		kill -KILL "$qpid" 2>/dev/null
		wait "$qpid" 2>/dev/null
		qpid=
	fi
}
trap 'stop_qemu; vm_cleanup' EXIT

# run_pb NAME: runs $dir/NAME.tether with $dir as a variable.
run_pb() {
	vm_run "$dir/$1.tether" --var dir="$dir" --var mac="$mac"
}

"$QEMU" -accel "$accel" -m 256 -smp 2 -display none -nodefaults \
	-kernel "$kernel" -initrd "$initrd" -append "console=ttyS0 quiet" \
	-chardev socket,path="$dir/con.sock",server=on,wait=off,id=con0 \
	-serial chardev:con0 \
	-chardev socket,path="$dir/qga0.sock",server=on,wait=off,id=qga0 \
	-device isa-serial,chardev=qga0 \
	-device virtio-serial \
	-chardev socket,path="$dir/qga1.sock",server=on,wait=off,id=qga1 \
	-device virtserialport,chardev=qga1,name=org.qemu.guest_agent.0 \
	-nic user,mac=$mac >"$dir/qemu.log" 2>&1 &
qpid=$!
extra_pids=$qpid
start_ms=$(date +%s%3N)

# 1. virtio, lazily: the session opens at once, the ping waits for the agent.
cat >"$dir/lazy.tether" <<'PB'
open ga1 "qga:unix:$dir/qga1.sock" connect-within=20s open-within=0
log "opened"
qga ga1 "guest-ping" -> pong timeout 3m
log "answered"
qga ga1 "guest-info" -> info
check ${#info.version} > 0 "guest-info: no version"
qga-exec ga1 "cat /proc/sys/kernel/hostname" -> host
check $host == "tether\n" "hostname over virtio: $host"
check $status == 0
PB
run_pb lazy
test "$rc" = 0 || fail "virtio lazy: exit $rc"
ready_ms=$(( $(date +%s%3N) - start_ms ))
at() {  # at TEXT: the time of the playbook's `log TEXT` line, in seconds
	sed -n "s/^\[ *\([0-9.]*\)\] $1\$/\1/p" "$dir/err"
}
opened=$(at opened)
answered=$(at answered)
test -n "$opened" && test -n "$answered" || fail "virtio lazy: no log times"
awk "BEGIN { exit !($opened < 2) }" ||
    fail "virtio lazy: the open took ${opened} s (it waited for the agent?)"
echo "ok virtio: open-within=0 opened at ${opened} s, the first guest-ping" \
    "waited until ${answered} s (agent up ${ready_ms} ms after QEMU started)"

# 2. isa-serial: the open is the readiness wait; ping, interfaces, exec.
cat >"$dir/isa.tether" <<'PB'
open ga0 "qga:unix:$dir/qga0.sock" connect-within=20s open-within=2m
qga ga0 "guest-ping" -> pong
check ${#pong} == 0 "guest-ping: $pong"
qga ga0 "guest-network-get-interfaces" -> ifs
set names = ""
set nic = ""
for i in $ifs {
    set names = "$names ${i.name}"
    if $i["hardware-address"] == $mac { set nic = $i.name }
}
log "interfaces [$names ] $mac is $nic"
check "$names " =~ / lo / "no lo in [$names ]"
check $nic == "eth0" "the NIC with MAC $mac is [$nic], not eth0"
qga-exec ga0 "echo hi; exit 3" -> out
check $out == "hi\n" "stdout: $out"
check $status == 3 "status: $status"
qga-exec ga0 "echo oops >&2; printf 'a\\0b'" -> out
check $stderr == "oops\n" "stderr: $stderr"
check ${#out} == 3 "binary output: ${#out} bytes"
qga ga0 "guest-exec-status" {"pid": 1} timeout 10s -> st
PB
run_pb isa
test "$rc" = 1 ||
    fail "isa-serial: exit $rc (want 1: guest-exec-status of pid 1 is refused)"
grep -q 'qga on ga0: guest-exec-status: .*(GenericError)' "$dir/err" ||
    fail "isa-serial: no agent error for guest-exec-status of pid 1"
grep -q 'interfaces \[' "$dir/err" || fail "isa-serial: interfaces not logged"
echo "ok isa-serial: ping, interfaces, exec (stdout, stderr, status 3), error with args"

# 3. an unknown command: exit 1 with the agent's desc and class.
cat >"$dir/unknown.tether" <<'PB'
open ga0 "qga:unix:$dir/qga0.sock" connect-within=20s open-within=30s
qga ga0 "guest-no-such-command"
PB
run_pb unknown
test "$rc" = 1 || fail "unknown command: exit $rc"
want='qga on ga0: guest-no-such-command: The command guest-no-such-command'
want="$want has not been found (CommandNotFound)"
grep -qF "$want" "$dir/err" || fail "unknown command: no desc and class"
echo "ok agent error: desc and class, exit 1: $(grep -o 'qga on ga0: .*' "$dir/err")"

# 4. a stale partial request in the channel: a plain request breaks on it,
#    the sync of a qga: open skips it.
stale() {  # stale SOCKET [REQUEST]: writes a partial request (and REQUEST)
	python3 - "$@" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b'{"execute": "guest-ping", "arguments": {"x": [1, ')
if len(sys.argv) > 2:
    s.sendall(sys.argv[2].encode() + b"\n")
    s.settimeout(5)
    buf = b""
    try:
        while b"\n" not in buf:
            d = s.recv(4096)
            if not d:
                break
            buf += d
    except TimeoutError:
        buf = b"(no answer within 5 s: the agent is still inside the stale object)"
    print(buf.decode(errors="replace").strip())
s.close()
EOF
}
answer=$(stale "$dir/qga0.sock" '{"execute": "guest-ping", "id": "plain"}')
case $answer in
*'"return"'*) fail "control: a plain request after the stale bytes worked: $answer" ;;
esac
echo "ok control: a plain request after stale bytes gets: $answer"
stale "$dir/qga0.sock"
cat >"$dir/stale.tether" <<'PB'
open ga0 "qga:unix:$dir/qga0.sock" connect-within=20s open-within=30s
qga ga0 "guest-ping"
qga-exec ga0 "echo after-stale" -> out
check $out == "after-stale\n"
PB
run_pb stale
test "$rc" = 0 || fail "stale partial request: exit $rc"
echo "ok stale partial request skipped by the sync"

# 5. no agent on the other end: the open fails within open-within.
mkfifo "$dir/mute.ready" || fail "mkfifo"
python3 - "$dir/mute.sock" "$dir/mute.ready" <<'EOF' &
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen(1)
open(sys.argv[2], "w").write("listening\n")
c, _ = s.accept()
while c.recv(4096):
    pass
EOF
mute=$!
extra_pids="$qpid $mute"
read -r ready <"$dir/mute.ready"
cat >"$dir/mute.tether" <<'PB'
open ga "qga:unix:$dir/mute.sock" open-within=2s
PB
run_pb mute
kill "$mute" 2>/dev/null
wait "$mute" 2>/dev/null
test "$rc" = 3 || fail "mute channel: exit $rc (want 3, timeout)"
grep -q 'no answer from the guest agent at qga:unix:.*mute.sock within' \
    "$dir/err" || fail "mute channel: no reason given"
echo "ok no agent: open fails after open-within with the reason:" \
    "$(grep -o 'qga ga: .*' "$dir/err")"
stop_qemu
extra_pids=

# 6. launch agent=, when this tether has it: NAME.agent opens lazily.
printf 'launch probe agent=virtio /nonexistent-qemu\n' >"$dir/probe.tether"
if "$TETHER" run "$dir/probe.tether" 2>&1 | grep -q 'unknown option agent'; then
	echo "ok launch agent=: not in this tether yet (skipped)"
	exit 0
fi
for agent in isa-serial virtio; do
	cat >"$dir/launch.tether" <<PB
launch vm0 agent=$agent qemu-system-x86_64 -accel \$accel -m 256 -smp 2 \\
    -kernel \$kernel -initrd \$initrd -append "console=ttyS0 quiet" \\
    -nic user -> vm
log "pid \${vm.pid}"
finally { teardown vm0 within 20s }
qga vm0.agent "guest-ping" timeout 3m
qga-exec vm0.agent "echo \$((6 * 7))" -> out
check \$out == "42\n" "exec: \$out"
PB
	vm_run "$dir/launch.tether"
	test "$rc" = 0 || fail "launch agent=$agent: exit $rc"
	vm_check_gone
	echo "ok launch agent=$agent: ${elapsed_ms} ms"
done
exit 0
