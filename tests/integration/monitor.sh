#!/bin/sh
# SPDX-License-Identifier: ISC
# monitor.sh - tether hmp / tether qmp against a real QEMU: the structured
# "info pci" agrees with query-pci, "info cpus" thread ids with
# query-cpus-fast, "info status" follows stop/cont, quit ends the monitor
# with EOF handled cleanly, and a monitor that never answers times out.
#
# Needs qemu-system-x86_64 and python3 (for comparing JSON); KVM is used
# when /dev/kvm is usable, TCG otherwise.  No guest kernel: SeaBIOS alone
# numbers the buses and assigns the BARs once the VM runs.

: "${TETHER:=./tether}"
: "${TETHER_BUILDDIR:=.}"
DRIVER=$TETHER_BUILDDIR/tests/integration/driver/session-driver
QEMU=${QEMU:-qemu-system-x86_64}

command -v "$QEMU" >/dev/null 2>&1 || { echo "skip: no $QEMU"; exit 77; }
command -v python3 >/dev/null 2>&1 || { echo "skip: no python3"; exit 77; }
test -x "$TETHER" || { echo "skip: no tether binary at $TETHER"; exit 77; }
test -x "$DRIVER" || { echo "skip: no $DRIVER"; exit 77; }

dir=$(mktemp -d /tmp/tether-monitor.XXXXXX) || exit 1
qpid=
cleanup() {
	if test -n "$qpid"; then
		kill -KILL "$qpid" 2>/dev/null
		wait "$qpid" 2>/dev/null
	fi
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

fail() {
	echo "FAIL: $*" >&2
	if test -n "$qpid" && ! kill -0 "$qpid" 2>/dev/null; then
		echo "QEMU is gone; its output:" >&2
		cat "$dir/qemu.log" >&2
	fi
	exit 1
}

accel=tcg
if test -r /dev/kvm && test -w /dev/kvm; then
	accel=kvm:tcg	# falls back to TCG when KVM cannot start
fi

truncate -s 1M "$dir/disk.img" || exit 1
tport=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$QEMU" -S -display none -nodefaults -machine accel="$accel" -smp 4 -m 128 \
	-device pci-bridge,id=br0,chassis_nr=1 \
	-netdev user,id=n0 -device virtio-net-pci,netdev=n0,id=net0 \
	-netdev user,id=n1 -device e1000,netdev=n1 \
	-drive file="$dir/disk.img",format=raw,if=none,id=d0 \
	-device virtio-blk-pci,drive=d0,id=blk0 \
	-netdev user,id=n2 \
	-device virtio-net-pci,netdev=n2,id=net1,bus=br0,addr=3 \
	-monitor unix:"$dir/hmp",server=on,wait=off \
	-mon chardev=tmon,mode=readline \
	-chardev socket,id=tmon,host=127.0.0.1,port="$tport",server=on,wait=off,telnet=on \
	-qmp unix:"$dir/qmp",server=on,wait=off \
	>"$dir/qemu.log" 2>&1 &
qpid=$!

hmp() {
	"$TETHER" hmp --connect-within 20s unix:"$dir/hmp" "$@"
}
qmp() {
	"$TETHER" qmp --connect-within 20s qmp:unix:"$dir/qmp" "$@"
}

# Compares "info pci" with query-pci: bus, slot, function, ids, qdev id.
cmp_pci() {
	python3 - "$1" "$2" <<'EOF'
import json, sys
hmp = json.load(open(sys.argv[1]))
qmp = json.load(open(sys.argv[2]))
want = []
def walk(bus, devices):
    for d in devices:
        want.append((bus, d["slot"], d["function"], d["id"]["vendor"],
                     d["id"]["device"], d["qdev_id"]))
        br = d.get("pci_bridge")
        if br and "devices" in br:
            walk(br["bus"]["secondary"], br["devices"])
for b in qmp:
    walk(b["bus"], b["devices"])
got = [(d["bus"], d["device"], d["function"], d["vendor"], d["device_id"],
        d["id"]) for d in hmp]
if sorted(got) != sorted(want):
    print("info pci:  ", sorted(got))
    print("query-pci: ", sorted(want))
    sys.exit(1)
print("pci: %d devices agree" % len(got))
EOF
}

# --- paused at start ---
hmp info status --json >"$dir/st" || fail "hmp info status"
python3 -c 'import json,sys; v=json.load(open(sys.argv[1])); sys.exit(0 if v["running"] is False and v["state"] == "prelaunch" else 1)' \
	"$dir/st" || fail "status before cont: $(cat "$dir/st")"
qmp query-status >"$dir/qst" || fail "qmp query-status"
grep -q '"status": "prelaunch"' "$dir/qst" || fail "query-status: $(cat "$dir/qst")"

# Plain text output: echo, escapes and prompt removed.
hmp info status >"$dir/txt" || fail "hmp info status (text)"
test "$(cat "$dir/txt")" = "VM status: paused (prelaunch)" ||
	fail "text output: $(od -c "$dir/txt" | head -5)"

# --- running: wait until SeaBIOS numbered the bridge's bus ---
hmp cont >/dev/null || fail "hmp cont"
hmp info status --json >"$dir/st" || fail "hmp info status"
grep -q '"running": true' "$dir/st" || fail "status after cont: $(cat "$dir/st")"
# SeaBIOS probes with temporary bus numbers (255); settled means net1 on
# the bridge's secondary bus with its BARs assigned.  Then stop the VM so
# that both views are taken of the same state.
settled() {
	python3 - "$1" <<'EOF'
import json, sys
devs = json.load(open(sys.argv[1]))
br = [d for d in devs if d["id"] == "br0"]
net1 = [d for d in devs if d["id"] == "net1"]
ok = (br and net1 and br[0].get("secondary_bus") == net1[0]["bus"]
      and 0 < net1[0]["bus"] < 255
      and all(b["address"] != -1 for b in net1[0]["bars"] if b["bar"] < 6))
sys.exit(0 if ok else 1)
EOF
}
i=0
until hmp info pci --json >"$dir/pci" && settled "$dir/pci"; do
	i=$((i + 1))
	test $i -lt 300 || fail "net1 never settled behind the bridge"
	sleep 0.1	# polling the firmware's progress: no event to await
done
hmp stop >/dev/null || fail "hmp stop"
hmp info pci --json >"$dir/pci" || fail "hmp info pci"
qmp query-pci >"$dir/qpci" || fail "qmp query-pci"
cmp_pci "$dir/pci" "$dir/qpci" || fail "info pci disagrees with query-pci"
hmp cont >/dev/null || fail "hmp cont"

# --- info cpus thread ids ---
hmp info cpus --json >"$dir/cpus" || fail "hmp info cpus"
qmp query-cpus-fast >"$dir/qcpus" || fail "qmp query-cpus-fast"
python3 - "$dir/cpus" "$dir/qcpus" <<'EOF' || fail "info cpus disagrees with query-cpus-fast"
import json, sys
h = json.load(open(sys.argv[1]))
q = json.load(open(sys.argv[2]))
got = sorted((c["cpu"], c["thread_id"]) for c in h)
want = sorted((c["cpu-index"], c["thread-id"]) for c in q)
if len(got) != 4 or got != want:
    print("info cpus:", got, "query-cpus-fast:", want)
    sys.exit(1)
if [c["current"] for c in sorted(h, key=lambda c: c["cpu"])] != [True, False, False, False]:
    sys.exit(1)
print("cpus: thread ids agree")
EOF

# --- stop / cont ---
hmp stop >/dev/null || fail "hmp stop"
hmp info status --json >"$dir/st" || fail "hmp info status"
grep -q '"state": "paused"' "$dir/st" || fail "status after stop: $(cat "$dir/st")"
qmp cont >/dev/null || fail "qmp cont"
hmp info status --json >"$dir/st" || fail "hmp info status"
grep -q '"state": "running"' "$dir/st" || fail "status after qmp cont: $(cat "$dir/st")"

# --- errors ---
hmp no-such-command >/dev/null 2>&1
test $? -eq 1 || fail "unknown HMP command should exit 1"
qmp no-such-command >/dev/null 2>"$dir/err"
test $? -eq 1 || fail "unknown QMP command should exit 1"
grep -q "has not been found" "$dir/err" || fail "QMP desc missing: $(cat "$dir/err")"
"$TETHER" hmp unix:"$dir/qmp" info status >/dev/null 2>"$dir/err"
test $? -eq 1 || fail "hmp on a QMP socket should exit 1"
grep -q "QMP monitor" "$dir/err" || fail "message: $(cat "$dir/err")"
"$TETHER" hmp unix:"$dir/nonexistent" info status >/dev/null 2>&1
test $? -eq 6 || fail "missing socket should exit 6"

# --- QMP events are queued while a command runs, then awaited ---
"$DRIVER" qmp:unix:"$dir/qmp" 'qmp=stop' 'qmp=cont' 'qmp-event=RESUME' \
	'qmp-event=STOP' 'timeout=500' 'want=timeout' 'qmp-event=STOP' \
	'want=remote' 'qmp=device_del {"id": "nonexistent"}' \
	>"$dir/out" 2>&1 || fail "qmp events: $(cat "$dir/out")"
grep -q 'event: "RESUME"' "$dir/out" || fail "no RESUME: $(cat "$dir/out")"
grep -q 'event: "STOP"' "$dir/out" || fail "no STOP: $(cat "$dir/out")"
grep -q "nonexistent" "$dir/out" || fail "error desc: $(cat "$dir/out")"

# --- the human monitor over telnet (hmp:telnet:) ---
"$DRIVER" hmp:telnet:127.0.0.1:"$tport" 'hmp=info status' \
	>"$dir/out" 2>&1 || fail "hmp over telnet: $(cat "$dir/out")"
grep -q '^hmp: VM status: running$' "$dir/out" ||
	fail "hmp over telnet: $(cat "$dir/out")"

# --- a monitor that stops answering after the prompt ---
"$DRIVER" hmp:unix:"$dir/hmp" 'hmp=info status' "sh=kill -STOP $qpid" \
	'timeout=1000' 'want=timeout' 'hmp=info status' "sh=kill -CONT $qpid" \
	>"$dir/out" 2>&1
rc=$?
kill -CONT "$qpid"
test $rc -eq 0 || fail "hmp timeout: $(cat "$dir/out")"
grep -q 'failed as wanted: hmp con: no (qemu) prompt within' "$dir/out" ||
	fail "hmp timeout message: $(cat "$dir/out")"

# --- a monitor that never answers: QEMU stopped with SIGSTOP ---
kill -STOP "$qpid"
start=$(date +%s)
"$TETHER" qmp qmp:unix:"$dir/qmp" query-status >/dev/null 2>"$dir/err"
rc=$?
kill -CONT "$qpid"
test $rc -eq 3 || fail "silent monitor: exit $rc, want 3 ($(cat "$dir/err"))"
grep -q "QMP" "$dir/err" || fail "timeout message: $(cat "$dir/err")"
echo "silent monitor: exit 3 after $(( $(date +%s) - start ))s: $(head -1 "$dir/err")"

# --- quit: EOF is the expected answer ---
hmp quit >"$dir/out" 2>"$dir/err" || fail "hmp quit: $(cat "$dir/err")"
wait "$qpid"
qpid=
echo "PASS: monitor"
exit 0
