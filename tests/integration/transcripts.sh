#!/bin/sh
# SPDX-License-Identifier: ISC
# transcripts.sh - --log-dir transcripts lose nothing silently:
#  1. a full disk (a 64 KiB tmpfs): the run names the file and the errno
#     and exits 1 instead of 0 (skipped unless root can mount tmpfs);
#  2. the .cast header carries the session's real window size;
#  3. output arriving within a few ms is one asciicast event: a program
#     echoing 48 KB a byte at a time gives a cast about as big as the log.
#  4. the failure tail is bounded in bytes: a 600 KB line gives a short
#     message.

: "${TETHER:?}"
command -v python3 >/dev/null 2>&1 || { echo "skip: no python3"; exit 77; }
dir=$(mktemp -d /tmp/tether-transcripts.XXXXXX) || exit 1
mounted=
cleanup() {
	[ -n "$mounted" ] && umount "$dir/full"
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
failed=0
fail() {
	echo "FAIL: $*"
	failed=1
}

# 1. disk full
mkdir "$dir/full"
if [ "$(id -u)" -eq 0 ] && mount -t tmpfs -o size=64k tmpfs "$dir/full" \
    2>/dev/null; then
	mounted=1
	cat >"$dir/full.tether" <<'EOF'
open a "spawn:python3 -c 'import sys; sys.stdout.write(\"x\" * 300000 + \"\\ndone\\n\")'"
expect a "done" timeout 20s
EOF
	"$TETHER" run "$dir/full.tether" --log-dir "$dir/full" \
	    >"$dir/out" 2>"$dir/err" </dev/null
	rc=$?
	[ $rc -eq 1 ] || fail "disk full: exit $rc, want 1"
	grep -q "cannot write $dir/full/a\.\(log\|cast\): No space left on device" \
	    "$dir/err" || fail "disk full: no message: $(cat "$dir/err")"
	echo "disk full: exit $rc, $(grep 'cannot write' "$dir/err")"
else
	echo "disk full: skipped (cannot mount tmpfs)"
fi

# 2. the window size in the .cast header
mkdir "$dir/logs"
cat >"$dir/size.tether" <<'EOF'
open a "spawn:sh -c 'stty size; echo end'" rows=40 cols=132
expect a "end"
EOF
"$TETHER" run "$dir/size.tether" --log-dir "$dir/logs" >/dev/null \
    2>"$dir/err" </dev/null || fail "size: run failed: $(cat "$dir/err")"
head -1 "$dir/logs/a.cast" | grep -q '"width": 132, "height": 40' ||
    fail "size: header $(head -1 "$dir/logs/a.cast")"
grep -q '40 132' "$dir/logs/a.log" || fail "size: stty says otherwise"
echo "size: $(head -1 "$dir/logs/a.cast" | cut -c1-40)"

# 3. one event per burst, not per byte
cat >"$dir/burst.tether" <<'EOF'
open a "spawn:python3 -u -c 'import sys\nfor i in range(48000): sys.stdout.write(\"abcdefghijklmnopqrstuvwxyz\\n\"[i % 27]); sys.stdout.flush()\nprint(\"end\")'"
expect a "end" timeout 30s
EOF
"$TETHER" run "$dir/burst.tether" --log-dir "$dir/logs" >/dev/null \
    2>"$dir/err" </dev/null || fail "burst: run failed: $(cat "$dir/err")"
log=$(wc -c <"$dir/logs/a.log")
cast=$(wc -c <"$dir/logs/a.cast")
events=$(($(wc -l <"$dir/logs/a.cast") - 1))
[ "$cast" -lt $((log * 3 / 2)) ] && [ "$events" -lt 1000 ] ||
    fail "burst: a $log byte log gave a $cast byte cast ($events events)"
echo "burst: log $log bytes, cast $cast bytes, $events events"

# 4. a bounded failure tail
cat >"$dir/tail.tether" <<'EOF'
open a "spawn:python3 -c 'import sys, time; sys.stdout.write(\"y\" * 600000); sys.stdout.flush(); time.sleep(5)'"
expect a "never" timeout 1s
EOF
"$TETHER" run "$dir/tail.tether" >/dev/null 2>"$dir/err" </dev/null
rc=$?
size=$(wc -c <"$dir/err")
[ $rc -eq 3 ] || fail "tail: exit $rc, want 3"
[ "$size" -lt 8192 ] || fail "tail: a $size byte failure message"
grep -q '^  \.\.\.yyyy' "$dir/err" || fail "tail: the cut is not marked"
echo "tail: exit $rc, message of $size bytes"

exit $failed
