#!/bin/sh
# SPDX-License-Identifier: ISC
# valgrind.sh - the session tests and a few playbooks under valgrind:
# any invalid read or write, use of uninitialised memory or definite leak
# fails the test.  Skipped when valgrind is not installed.

: "${TETHER:?set TETHER to the tether binary}"
: "${TETHER_SRCDIR:?}"
: "${TETHER_BUILDDIR:?}"
command -v valgrind >/dev/null 2>&1 || { echo "skip: no valgrind"; exit 77; }
# A sanitizer build cannot run under valgrind.
if nm "$TETHER" 2>/dev/null | grep -q __asan_init; then
	echo "skip: sanitizer build"
	exit 77
fi

# PCRE2's JIT code confuses valgrind (uninitialised-value false alarms).
TETHER_NO_JIT=1
export TETHER_NO_JIT
VG="valgrind -q --error-exitcode=99 --leak-check=full
    --errors-for-leak-kinds=definite --show-leak-kinds=definite"
fail=0

run() {
	what=$1
	shift
	$VG "$@" >/tmp/tether-vg.$$ 2>&1
	rc=$?
	if [ $rc -eq 99 ]; then
		echo "FAIL: valgrind errors in $what"
		grep '^==' /tmp/tether-vg.$$ | head -60
		fail=1
	else
		echo "ok: $what (exit $rc)"
	fi
	rm -f /tmp/tether-vg.$$
}

run test-sessions "$TETHER_BUILDDIR/tests/integration/test-sessions"
for t in control expect-multi expect-idle err-timeout err-eof retry watch \
    login-run send-secret finally steps-json; do
	f=$TETHER_SRCDIR/tests/script/$t.tether
	[ -f "$f" ] || continue
	(cd "$TETHER_SRCDIR/tests/script" && run "playbook $t" "$TETHER" run "$t.tether")
done
# a syntax error, and lint
run "syntax error" "$TETHER" check "$TETHER_SRCDIR/tests/script/syn-brace.tether"
run "lint" "$TETHER" check "$TETHER_SRCDIR/tests/script/lint-warnings.tether"
exit $fail
