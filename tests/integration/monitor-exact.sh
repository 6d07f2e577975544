#!/bin/sh
# SPDX-License-Identifier: ISC
# monitor-exact.sh - monitor verbs that are exact, against a real QEMU
# (-machine none: no guest needed):
#   - HMP errors (sendkey nosuchkey, migrate with no URI, extraneous
#     words, cpu 99, device_add of no such model, ...) fail `tether hmp`
#     (exit 1, QEMU's text in the message) and the playbook verb, unless
#     error=ok; a chardev and a netdev named "Error" are no error;
#   - tether hmp/qmp options: anywhere before the command words, unknown
#     ones exit 2, --open-within accepted;
#   - --timeout bounds the whole call, the greeting included, against a
#     peer that accepts and never greets and against QEMU's monitor held
#     by another client; the message says another client holds it;
#   - qmp-drain takes the queued events without waiting, qmp-event
#     within 0s polls, and an expect on a qmp: session leaves the JSON
#     reader intact (a later qmp gets its own answer, qmp-event still gets
#     the event expect saw).
# Needs qemu-system-x86_64 and python3.

: "${TETHER:=./tether}"
QEMU=${QEMU:-qemu-system-x86_64}

command -v "$QEMU" >/dev/null 2>&1 || { echo "skip: no $QEMU"; exit 77; }
command -v python3 >/dev/null 2>&1 || { echo "skip: no python3"; exit 77; }
test -x "$TETHER" || { echo "skip: no tether binary at $TETHER"; exit 77; }

dir=$(mktemp -d /tmp/tether-monexact.XXXXXX) || exit 1
qpid=
ppid_=
cleanup() {
	for p in $ppid_ $qpid; do
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

fail() {
	echo "FAIL: $*" >&2
	for f in out err; do
		test -s "$dir/$f" && { echo "--- $f" >&2; cat "$dir/$f" >&2; }
	done
	exit 1
}

now_ms() { date +%s%3N; }

"$QEMU" -machine none -display none -nodefaults \
	-chardev null,id=Error -netdev user,id=Error \
	-monitor unix:"$dir/hmp",server=on,wait=off \
	-qmp unix:"$dir/qmp",server=on,wait=off \
	>"$dir/qemu.log" 2>&1 &
qpid=$!

hmp() {
	"$TETHER" hmp --connect-within 20s unix:"$dir/hmp" "$@"
}

# --- HMP errors: exit 1 with QEMU's text ---
refused() {	# WANT-TEXT COMMAND...
	want=$1; shift
	hmp "$@" >"$dir/out" 2>"$dir/err"
	rc=$?
	test $rc -eq 1 || fail "hmp $*: exit $rc, want 1"
	grep -q "QEMU refused \"$*\": .*$want" "$dir/err" ||
	    fail "hmp $*: message $(cat "$dir/err")"
	echo "ok refused: $* -> $(head -1 "$dir/err")"
}
refused 'invalid parameter: nosuchkey' sendkey nosuchkey
refused 'migrate: string expected' migrate
refused 'extraneous characters at the end of line' info status foo
refused 'invalid CPU index' cpu 99
refused 'drive_add: string expected' drive_add
refused "unknown command: 'nosuch'" nosuch
refused "Error: 'nosuch' is not a valid device model name" device_add nosuch
refused "invalid char 'x' in expression" mouse_button x
refused "Error: Device 'nosuch' not found" device_del nosuch

# No false positives: devices named Error, plain outputs.
hmp info chardev >"$dir/out" 2>"$dir/err" || fail "info chardev: exit $?"
grep -q '^Error: filename=null' "$dir/out" || fail "info chardev output"
hmp info network >"$dir/out" 2>"$dir/err" || fail "info network: exit $?"
grep -q '^Error: ' "$dir/out" || fail "info network output"
hmp info status >"$dir/out" 2>"$dir/err" || fail "info status: exit $?"
hmp help sendkey >"$dir/out" 2>"$dir/err" || fail "help sendkey: exit $?"
echo "ok: info chardev/network with a device named Error, help: exit 0"

# The playbook verb: fails with QEMU's text, error=ok keeps it.
cat >"$dir/err.tether" <<PB
open m "hmp:unix:$dir/hmp"
hmp m "sendkey nosuchkey" error=ok -> t
check \$t == "invalid parameter: nosuchkey\\n" "error=ok text: \$t"
hmp m "info status" error=ok -> st
check \${st.state} == "running" "info status: \$st"
hmp m "migrate"
print "not reached"
PB
"$TETHER" run "$dir/err.tether" >"$dir/out" 2>"$dir/err"
rc=$?
test $rc -eq 1 || fail "playbook hmp migrate: exit $rc, want 1"
grep -q 'err.tether:6:.*QEMU refused "migrate": migrate: string expected' \
    "$dir/err" || fail "playbook message: $(cat "$dir/err")"
grep -q 'not reached' "$dir/out" && fail "the failed hmp did not stop it"
echo "ok playbook: hmp error fails at 6 with QEMU's text, error=ok keeps it"
printf 'open m "hmp:unix:%s"\nhmp m "info status" error=yes\n' "$dir/hmp" \
    >"$dir/bad.tether"
"$TETHER" run "$dir/bad.tether" >"$dir/out" 2>"$dir/err"
test $? -eq 1 && grep -q 'error=yes: want error=ok' "$dir/err" ||
    fail "error=yes: $(cat "$dir/err")"

# --- options ---
"$TETHER" hmp --timeout 5s unix:"$dir/hmp" info status >/dev/null ||
    fail "option before the URI"
"$TETHER" hmp unix:"$dir/hmp" --json --open-within 5s info status \
    >"$dir/out" || fail "options between URI and command"
grep -q '"running": true' "$dir/out" || fail "--json: $(cat "$dir/out")"
"$TETHER" hmp unix:"$dir/hmp" info status --json >"$dir/out" ||
    fail "--json after the command (SPEC form)"
"$TETHER" qmp --open-within 5s --timeout 5s qmp:unix:"$dir/qmp" \
    query-status >"$dir/out" || fail "qmp options"
for bad in "--bogus unix:$dir/hmp info status" \
    "unix:$dir/hmp --bogus info status" "unix:$dir/hmp info status -x" \
    "--timeout 1x unix:$dir/hmp info status"; do
	# shellcheck disable=SC2086
	"$TETHER" hmp $bad >/dev/null 2>"$dir/err"
	rc=$?
	test $rc -eq 2 || fail "hmp $bad: exit $rc, want 2"
done
"$TETHER" qmp --bogus qmp:unix:"$dir/qmp" query-status >/dev/null 2>&1
test $? -eq 2 || fail "qmp --bogus: want exit 2"
echo "ok options: anywhere before the command words, unknown ones exit 2"

# --- a peer that accepts and never greets ---
mkfifo "$dir/ready"
python3 - "$dir/mute" "$dir/ready" <<'EOF' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1]); s.listen(8)
open(sys.argv[2], "w").write("ready\n")
held = []
while True:
    c, _ = s.accept()
    held.append(c)
EOF
ppid_=$!
read -r _ <"$dir/ready"
for proto in hmp qmp; do
	t0=$(now_ms)
	"$TETHER" $proto --timeout 1s unix:"$dir/mute" info-status \
	    >/dev/null 2>"$dir/err"
	rc=$?
	ms=$(( $(now_ms) - t0 ))
	test $rc -eq 3 || fail "$proto mute peer: exit $rc, want 3"
	test $ms -lt 3000 || fail "$proto mute peer: $ms ms with --timeout 1s"
	grep -q 'another client probably holds the monitor' "$dir/err" ||
	    fail "$proto mute peer message: $(cat "$dir/err")"
	echo "ok $proto: silent peer, --timeout 1s: exit 3 after $ms ms"
done
kill "$ppid_"; wait "$ppid_" 2>/dev/null; ppid_=

# --- QEMU's own monitor held by another client ---
python3 - "$dir/hmp" "$dir/qmp" "$dir/ready" <<'EOF' &
import socket, sys
h = socket.socket(socket.AF_UNIX); h.connect(sys.argv[1])
buf = b""
while b"(qemu) " not in buf:
    buf += h.recv(4096)
q = socket.socket(socket.AF_UNIX); q.connect(sys.argv[2])
buf = b""
while b"\n" not in buf:
    buf += q.recv(4096)
open(sys.argv[3], "w").write("ready\n")
while h.recv(4096) or q.recv(4096):
    pass
EOF
ppid_=$!
read -r _ <"$dir/ready"
for proto in hmp qmp; do
	t0=$(now_ms)
	"$TETHER" $proto --timeout 1500ms unix:"$dir/$proto" query-status \
	    >/dev/null 2>"$dir/err"
	rc=$?
	ms=$(( $(now_ms) - t0 ))
	test $rc -eq 3 || fail "$proto held: exit $rc, want 3"
	test $ms -lt 3500 || fail "$proto held: $ms ms with --timeout 1500ms"
	grep -q 'another client probably holds the monitor (QEMU serves one client per chardev)' \
	    "$dir/err" || fail "$proto held message: $(cat "$dir/err")"
	echo "ok $proto: QEMU monitor held by another client, --timeout 1.5s: exit 3 after $ms ms"
done
kill "$ppid_"; wait "$ppid_" 2>/dev/null; ppid_=

# --- QMP events: drain, poll, expect ---
cat >"$dir/ev.tether" <<PB
open q "qmp:unix:$dir/qmp" connect-within=10s
open m "hmp:unix:$dir/hmp" connect-within=10s
qmp-drain q -> old
hmp m "stop"
hmp m "cont"
hmp m "stop"
qmp-drain q "STOP" -> stops
check \${#stops} == 2 "STOP events: \$stops"
check \${stops[0].event} == "STOP"
qmp-drain q -> rest
check \${#rest} == 1 "the rest: \$rest"
check \${rest[0].event} == "RESUME"
qmp-drain q -> none
check \${#none} == 0 "nothing left: \$none"
hmp m "cont"
qmp-event q "RESUME" within 0s -> ev
check \${ev.event} == "RESUME"
# expect on the qmp: session: the JSON reader is not disturbed.
send q "{\\"execute\\": \\"query-version\\"}\\n"
expect q /"major"/ timeout 5s
qmp q "query-status" -> st
check \${st.status} == "running" "query-status after expect: \$st"
hmp m "stop"
expect q /"event": "STOP"/ timeout 5s
qmp-event q "STOP" within 0s -> ev
check \${ev.event} == "STOP" "the event expect saw: \$ev"
qmp q "cont"
print "events ok"
PB
t0=$(now_ms)
"$TETHER" run "$dir/ev.tether" >"$dir/out" 2>"$dir/err" ||
    fail "events playbook: exit $?"
grep -q 'events ok' "$dir/out" || fail "events playbook"
echo "ok qmp-drain, qmp-event within 0s, expect on qmp: ($(( $(now_ms) - t0 )) ms)"
"$TETHER" check "$dir/ev.tether" >"$dir/out" 2>"$dir/err" ||
    fail "check of the events playbook: $(cat "$dir/err")"

"$TETHER" hmp unix:"$dir/hmp" quit >/dev/null 2>&1
wait "$qpid"
qpid=
echo "PASS: monitor-exact"
exit 0
