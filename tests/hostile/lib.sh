# SPDX-License-Identifier: ISC
# tests/hostile/lib.sh - shared helpers for the hostile-peer suite.
#
# Each test is one POSIX sh script: it sources this file, starts a
# misbehaving python3 peer (stdlib only; usually written inline to
# $dir/peer.py, importing tests/hostile/hostile_peer.py), runs tether
# once under /usr/bin/time -v, and asserts the exit status, the message
# and the peak RSS.  A missing tool makes the test exit 77 (skip).
#
#   hostile_need TOOL...        skip (77) unless every TOOL is installed
#   $dir                        scratch directory, removed at exit
#   peer_start PY [ARG...]      runs python3 PY ARG... in the background
#                               (hostile_peer.listen() says where it
#                               listens); sets $peer_pid and $peer_addr
#                               (e.g. tcp:127.0.0.1:40123, unix:/path)
#   peer_wait                   waits (at most 5 s) for the peer to end,
#                               then kills it; its stderr is $dir/peer.err
#   tether_run PLAYBOOK [ARG...]  runs "$TETHER run PLAYBOOK ARG..." with
#                               stdout in $dir/out, stderr in $dir/err;
#                               sets $rc, $rss_kb (peak RSS), $cpu_ms
#                               (user + system) and $wall_ms
#   expect_rc N                 fails unless $rc is N
#   expect_err REGEX            fails unless stderr matches (grep -E)
#   expect_no FILE REGEX        fails if FILE matches (grep -E)
#   expect_rss_below KB         fails unless $rss_kb < KB
#   expect_cpu_below MS         fails unless $cpu_ms < MS
#   alive PID                   true while PID runs (a zombie is gone)
#   fail MESSAGE / pass MESSAGE
# Processes started here are ended at exit, by pid.

: "${TETHER:=./tether}" "${TETHER_SRCDIR:=.}"
HOSTILE_DIR=$TETHER_SRCDIR/tests/hostile
hostile_pids=

hostile_need() {
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 ||
			{ echo "skip: $t not installed"; exit 77; }
	done
}
hostile_need python3 /usr/bin/time
test -x "$TETHER" || { echo "skip: no $TETHER"; exit 77; }

dir=$(mktemp -d "${TMPDIR:-/tmp}/tether-hostile.XXXXXX") || exit 1
hostile_cleanup() {
	for p in $hostile_pids; do
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -rf "$dir"
}
trap hostile_cleanup EXIT
trap 'exit 1' INT TERM HUP

fail() {
	echo "FAIL: $*" >&2
	for f in err peer.err; do
		test -s "$dir/$f" && { echo "--- $f:" >&2; tail -c 2000 \
		    "$dir/$f" >&2; }
	done
	exit 1
}

pass() {
	echo "ok $*"
}

# Waits (at most 10 s) for the peer's "ready ADDR" line.
peer_start() {
	py=$1
	shift
	# The background job truncates peer.out later: no old line may show.
	rm -f "$dir/peer.out"
	PYTHONPATH=$HOSTILE_DIR python3 "$py" "$@" >"$dir/peer.out" \
	    2>"$dir/peer.err" &
	peer_pid=$!
	hostile_pids="$hostile_pids $peer_pid"
	i=0
	until peer_addr=$(sed -n 's/^ready \(..*\)$/\1/p' \
	    "$dir/peer.out" 2>/dev/null | head -1) && test -n "$peer_addr"; do
		kill -0 "$peer_pid" 2>/dev/null || fail "peer $py died"
		test $i -lt 200 || fail "peer $py not ready within 10 s"
		sleep 0.05
		i=$((i + 1))
	done
}

peer_wait() {
	i=0
	while kill -0 "$peer_pid" 2>/dev/null && test $i -lt 100; do
		sleep 0.05
		i=$((i + 1))
	done
	kill -KILL "$peer_pid" 2>/dev/null
	wait "$peer_pid" 2>/dev/null
}

tether_run() {
	start=$(date +%s%3N)
	/usr/bin/time -v -o "$dir/time" "$TETHER" run "$@" >"$dir/out" \
	    2>"$dir/err"
	rc=$?
	wall_ms=$(( $(date +%s%3N) - start ))
	rss_kb=$(sed -n 's/.*Maximum resident set size (kbytes): //p' \
	    "$dir/time")
	cpu_ms=$(awk -F': ' '/User time|System time/ { t += $2 }
	    END { printf "%d", t * 1000 }' "$dir/time")
	# time(1) reports a signal as "Command terminated by signal N".
	if grep -q 'Command terminated by signal' "$dir/time"; then
		rc=$((128 + $(sed -n 's/.*terminated by signal //p' \
		    "$dir/time")))
	fi
	echo "tether: exit $rc, peak RSS ${rss_kb} kB, CPU ${cpu_ms} ms," \
	    "wall ${wall_ms} ms"
}

alive() {
	test -r "/proc/$1/stat" &&
		! sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | grep -q '^Z'
}

expect_rc() {
	test "$rc" = "$1" || fail "exit $rc, want $1"
}

expect_err() {
	grep -Eq -- "$1" "$dir/err" || fail "stderr does not match /$1/"
}

expect_no() {
	! grep -Eq -- "$2" "$1" || fail "$1 matches /$2/"
}

expect_rss_below() {
	test -n "$rss_kb" && test "$rss_kb" -lt "$1" ||
		fail "peak RSS ${rss_kb} kB, want < $1 kB"
}

expect_cpu_below() {
	test "$cpu_ms" -lt "$1" || fail "CPU ${cpu_ms} ms, want < $1 ms"
}
