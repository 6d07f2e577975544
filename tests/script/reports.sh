#!/bin/sh
# SPDX-License-Identifier: ISC
# reports.sh - reports that cannot be written are never lost silently:
# stdout on /dev/full (TAP, JSON, a plain print), a JUnit file and
# transcripts on a full tmpfs, --log-dir and --junit on a read-only one
# (refused before the run), and the live status line on a terminal never
# shows a secret.  The tmpfs cases need root (mount); they skip otherwise.
# Usage: reports.sh; exit 0 pass, 1 fail, 77 skip.

: "${TETHER:?set TETHER to the tether binary}"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tether-reports.XXXXXX")
mounted=
pass=0 fail=0 skip=0

cleanup() {
	for m in $mounted; do umount "$m" 2>/dev/null; done
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ok() { pass=$((pass + 1)); [ -n "${VERBOSE:-}" ] && echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; sed 's/^/    /' "$WORK/err"; }
skipped() { skip=$((skip + 1)); echo "SKIP $1"; }

# expect NAME STATUS TEXT: the last run exited STATUS, its stderr holds TEXT
expect() {
	if [ "$rc" != "$2" ]; then
		echo "exit $rc, expected $2" >>"$WORK/err"
		bad "$1"
	elif ! grep -qF -- "$3" "$WORK/err"; then
		echo "no \"$3\" on stderr" >>"$WORK/err"
		bad "$1"
	else
		ok "$1"
	fi
}

cat >"$WORK/ok.tether" <<'EOF'
step "hello" { print "hello" }
EOF

# stdout on a full device: the lost report is an error of the run.
for fmt in --tap --json ""; do
	"$TETHER" run "$WORK/ok.tether" $fmt >/dev/full 2>"$WORK/err"
	rc=$?
	expect "stdout /dev/full ${fmt:-plain}" 1 \
	    "tether: cannot write standard output: No space left on device"
done

# mnt DIR OPTS: a 16k tmpfs on $WORK/DIR; 1 when it cannot be mounted.
mnt() {
	mkdir -p "$WORK/$1"
	[ "$(id -u)" = 0 ] || return 1
	mount -t tmpfs -o "size=16k$2" tmpfs "$WORK/$1" 2>/dev/null || return 1
	mounted="$WORK/$1 $mounted"
}

if mnt full; then
	mkdir "$WORK/full/logs"
	dd if=/dev/zero of="$WORK/full/fill" bs=4096 2>/dev/null
	# JUnit: created at the start, not written at the end.
	"$TETHER" run "$WORK/ok.tether" --junit "$WORK/full/junit.xml" \
	    >/dev/null 2>"$WORK/err"
	rc=$?
	expect "junit on a full disk" 1 "--junit $WORK/full/junit.xml: \
cannot write: No space left on device"
	# Transcripts: tether_loop_lost() fails a run that passed.
	cat >"$WORK/log.tether" <<'EOF'
open c "spawn:printf hello"
expect c /hello/
EOF
	"$TETHER" run "$WORK/log.tether" --log-dir "$WORK/full/logs" \
	    >/dev/null 2>"$WORK/err"
	rc=$?
	expect "transcript on a full disk" 1 \
	    "tether: cannot write $WORK/full/logs/c."
else
	skipped "full tmpfs: not root or no mount"
fi

if mnt ro ""; then
	mkdir "$WORK/ro/logs"
	mount -o remount,ro "$WORK/ro"
	cat >"$WORK/ran.tether" <<'EOF'
print "the playbook ran"
EOF
	for opt in "--log-dir $WORK/ro/logs: cannot write" \
	    "--junit $WORK/ro/junit.xml: cannot create"; do
		what=${opt%%:*}
		# shellcheck disable=SC2086
		"$TETHER" run "$WORK/ran.tether" $what >"$WORK/out" \
		    2>"$WORK/err"
		rc=$?
		if [ -s "$WORK/out" ]; then
			echo "the playbook ran" >>"$WORK/err"
			bad "${what%% *} read-only"
		else
			expect "${what%% *} read-only" 2 \
			    "tether: $opt: Read-only file system"
		fi
	done
else
	skipped "read-only tmpfs: not root or no mount"
fi

# The live status line (stderr on a terminal) masks the secret too.
if command -v script >/dev/null 2>&1; then
	cat >"$WORK/live.tether" <<'EOF'
set pw = "S3cr3t-Pw0rd"
open c "spawn:cat"
sendline -secret c $pw
expect c /never-S3cr3t-Pw0rd/ timeout 500ms
EOF
	TERM=xterm script -qec "$TETHER run $WORK/live.tether" /dev/null \
	    >"$WORK/err" 2>&1 </dev/null
	if ! grep -q "waiting for /never-.*/ on c (0\.[0-9]s left)" \
	    "$WORK/err"; then
		echo "no live line" >>"$WORK/err"
		bad "status line"
	elif grep -q "S3cr" "$WORK/err"; then
		bad "status line shows the secret"
	else
		ok "status line"
	fi
else
	skipped "status line: no script(1)"
fi

echo "report tests: $pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ] || exit 1
[ $pass -gt 0 ] || exit 77
exit 0
