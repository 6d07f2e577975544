#!/bin/sh
# SPDX-License-Identifier: ISC
# Playbook tests: runs every tests/script/NAME.tether with tether(1) and
# compares the exit status ("# exit: N", default 0), stdout (NAME.stdout)
# and stderr (NAME.stderr; a missing file means no output at all) with
# what is expected, after replacing timings by T.  Other header lines:
#   # command: check          run `tether check` instead of `tether run`
#   # args: ...               more arguments ($WORK is a scratch directory)
#   # junit: FILE             also compare $WORK/junit.xml (normalised) with
#                             FILE and validate it against every schema
#                             of $schemas (ours, Jenkins', Surefire's)
#   # absent: TEXT            TEXT is in none of stdout, stderr, the JUnit
#                             file and $WORK/logs (a secret, say); one
#                             line per text
#   # prove: pass|fail        stdout is TAP that prove(1) reads without a
#                             parse error and passes, or fails
#   # json: lines             every stdout line is a JSON value in UTF-8
#   # signal: INT             send SIGINT once $WORK/ready exists
#   # needs: socat            a real peer: socat serving a shell on the unix
#                             socket $WORK/shell.sock
#   # needs: qemu             a real QEMU, paused, no guest: its monitor on
#                             $WORK/mon.sock and QMP on $WORK/qmp.sock
# TETHER_UPDATE=1 rewrites the expected files from the actual output.
# Usage: run.sh [NAME...]; exit 0 pass, 1 fail, 77 skip.

: "${TETHER:?set TETHER to the tether binary}"
: "${TETHER_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
dir=$TETHER_SRCDIR/tests/script
# The JUnit schemas every JUnit file must validate against.
schemas="junit.xsd junit-10.xsd surefire-test-report.xsd
    surefire-test-report-3.0.xsd"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tether-script.XXXXXX")
export WORK
socat_pid=
qemu_pid=
tether_pid=

cleanup() {
	[ -n "$tether_pid" ] && kill "$tether_pid" 2>/dev/null
	[ -n "$socat_pid" ] && kill "$socat_pid" 2>/dev/null
	[ -n "$qemu_pid" ] && kill "$qemu_pid" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

normalise() {
	sed -E -e 's/^\[ *[0-9]+\.[0-9]{3}\] /[T] /' \
	    -e 's/\([0-9]+\.[0-9]{3}s\)/(Ts)/g' \
	    -e 's/after [0-9]+(\.[0-9]+)?(ms|s|m)/after T/g' \
	    -e 's/"elapsed_ms":[0-9]+/"elapsed_ms":T/g' \
	    -e 's/duration_ms: [0-9]+/duration_ms: T/' \
	    -e 's/time="[0-9.]+"/time="T"/g' \
	    -e 's/timestamp="[^"]*"/timestamp="T"/g' \
	    -e 's/(name="timestamp" value=)"[^"]*"/\1"T"/' \
	    -e "s|$WORK|WORK|g"
}

compare() {	# compare WANTFILE GOTFILE WHAT; no WANTFILE: must be empty
	if [ "${TETHER_UPDATE:-}" = 1 ]; then
		if [ -s "$2" ]; then cp "$2" "$1"; else rm -f "$1"; fi
		return 0
	fi
	want_file=$1
	[ -f "$1" ] || want_file=/dev/null
	if ! cmp -s "$want_file" "$2"; then
		echo "FAIL $name: $3 differs:"
		diff -u "$want_file" "$2" | sed 's/^/    /'
		return 1
	fi
	return 0
}

start_socat() {
	[ -n "$socat_pid" ] && return 0
	command -v socat >/dev/null 2>&1 || return 1
	socat "UNIX-LISTEN:$WORK/shell.sock,fork" \
	    "EXEC:/bin/sh,pty,stderr,setsid,sane" 2>/dev/null &
	socat_pid=$!
	return 0
}

start_qemu() {
	[ -n "$qemu_pid" ] && return 0
	command -v qemu-system-x86_64 >/dev/null 2>&1 || return 1
	qemu-system-x86_64 -S -display none -nodefaults -machine none \
	    -monitor "unix:$WORK/mon.sock,server=on,wait=off" \
	    -qmp "unix:$WORK/qmp.sock,server=on,wait=off" 2>"$WORK/qemu.err" &
	qemu_pid=$!
	return 0
}

validate() {	# validate FILE: against every schema of $schemas
	command -v xmllint >/dev/null 2>&1 || return 0
	for x in $schemas; do
		if ! xmllint --noout --schema "$dir/$x" "$1" \
		    2>"$WORK/xsd"; then
			echo "FAIL $name: junit.xml is not valid for $x:"
			sed 's/^/    /' "$WORK/xsd"
			return 1
		fi
	done
	return 0
}

check_prove() {	# check_prove pass|fail: prove's verdict on stdout
	command -v prove >/dev/null 2>&1 || return 0
	prove -e cat "$WORK/out" >"$WORK/prove" 2>&1
	prc=$?
	if grep -q "Parse errors" "$WORK/prove" ||
	    { [ "$1" = pass ] && [ $prc != 0 ]; } ||
	    { [ "$1" = fail ] && [ $prc = 0 ]; }; then
		echo "FAIL $name: prove should $1 (exit $prc):"
		sed 's/^/    /' "$WORK/prove"
		return 1
	fi
	return 0
}

check_json() {	# every stdout line is JSON in valid UTF-8
	command -v python3 >/dev/null 2>&1 || return 0
	if ! python3 -c 'import json, sys
for line in open(sys.argv[1], "rb"):
    json.loads(line.decode("utf-8"))' "$WORK/out" 2>"$WORK/json"; then
		echo "FAIL $name: stdout is not JSON lines in UTF-8:"
		sed 's/^/    /' "$WORK/json"
		return 1
	fi
	return 0
}

if [ $# -gt 0 ]; then
	tests=
	for n in "$@"; do tests="$tests $dir/$n.tether"; done
else
	tests=$(ls "$dir"/*.tether)
fi

pass=0 fail=0 skip=0
for t in $tests; do
	name=$(basename "$t" .tether)
	want=$(sed -n 's/^# exit: //p' "$t"); want=${want:-0}
	cmd=$(sed -n 's/^# command: //p' "$t"); cmd=${cmd:-run}
	args=$(sed -n 's/^# args: //p' "$t")
	junit=$(sed -n 's/^# junit: //p' "$t")
	sig=$(sed -n 's/^# signal: //p' "$t")
	needs=$(sed -n 's/^# needs: //p' "$t")
	prove=$(sed -n 's/^# prove: //p' "$t")
	json=$(sed -n 's/^# json: //p' "$t")
	if [ "$needs" = socat ] && ! start_socat; then
		echo "SKIP $name: socat not installed"
		skip=$((skip + 1))
		continue
	fi
	if [ "$needs" = qemu ] && ! start_qemu; then
		echo "SKIP $name: qemu-system-x86_64 not installed"
		skip=$((skip + 1))
		continue
	fi
	rm -rf "$WORK/ready" "$WORK/junit.xml" "$WORK/logs"
	(cd "$dir" && eval "exec \"\$TETHER\" $cmd $name.tether $args" \
	    >"$WORK/out" 2>"$WORK/err" </dev/null) &
	tether_pid=$!
	if [ -n "$sig" ]; then
		i=0
		while [ ! -e "$WORK/ready" ] && [ $i -lt 100 ]; do
			sleep 0.1; i=$((i + 1))
		done
		kill "-$sig" "$tether_pid" 2>/dev/null
	fi
	wait "$tether_pid"
	rc=$?
	tether_pid=
	normalise <"$WORK/out" >"$WORK/out.n"
	normalise <"$WORK/err" >"$WORK/err.n"
	ok=1
	if [ "$rc" != "$want" ]; then
		echo "FAIL $name: exit $rc, expected $want"
		sed 's/^/    stderr: /' "$WORK/err"
		ok=0
	fi
	compare "$dir/$name.stdout" "$WORK/out.n" stdout || ok=0
	compare "$dir/$name.stderr" "$WORK/err.n" stderr || ok=0
	if [ -n "$junit" ]; then
		if [ ! -f "$WORK/junit.xml" ]; then
			echo "FAIL $name: no junit file"
			ok=0
		else
			normalise <"$WORK/junit.xml" >"$WORK/junit.n"
			compare "$dir/$junit" "$WORK/junit.n" junit || ok=0
			validate "$WORK/junit.xml" || ok=0
		fi
	fi
	sed -n 's/^# absent: //p' "$t" >"$WORK/absent"
	outputs="$WORK/out $WORK/err"
	for f in "$WORK/junit.xml" "$WORK/logs"; do
		[ -e "$f" ] && outputs="$outputs $f"
	done
	while IFS= read -r absent; do
		# shellcheck disable=SC2086
		grep -rnF -- "$absent" $outputs >"$WORK/found" || continue
		echo "FAIL $name: \"$absent\" is in the output:"
		sed 's/^/    /' "$WORK/found"
		ok=0
	done <"$WORK/absent"
	if [ -n "$prove" ]; then
		check_prove "$prove" || ok=0
	fi
	if [ -n "$json" ]; then
		check_json || ok=0
	fi
	if [ $ok = 1 ]; then
		pass=$((pass + 1))
		[ -n "${VERBOSE:-}" ] && echo "ok   $name"
	else
		fail=$((fail + 1))
	fi
done
# Every shipped example must pass `tether check`.
if [ $# -eq 0 ]; then
	for t in "$TETHER_SRCDIR"/examples/*.tether; do
		[ -f "$t" ] || continue
		if "$TETHER" check "$t" >"$WORK/err" 2>&1; then
			pass=$((pass + 1))
		else
			echo "FAIL tether check $t:"
			sed 's/^/    /' "$WORK/err"
			fail=$((fail + 1))
		fi
	done
fi
echo "script tests: $pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ] || exit 1
[ $pass -gt 0 ] || exit 77
exit 0
