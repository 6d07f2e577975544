#!/bin/sh
# SPDX-License-Identifier: ISC
# sigkill-spawn.sh - tether killed with SIGKILL while a spawned program
# runs: the program (sh ignoring SIGHUP) and the child it started (a
# sleep, also ignoring SIGHUP) must be gone within 1 s; nothing was there
# to close the session.
. "${TETHER_SRCDIR:-.}/tests/hostile/lib.sh"
hostile_need ps

cat >"$dir/spawn.tether" <<'PB'
open s "spawn:sh -c 'trap \"\" HUP; echo sh=$$; sleep 300'"
expect s /sh=(\d+)/
log "spawned sh $1"
expect s /never printed/ timeout 120s
PB
"$TETHER" run "$dir/spawn.tether" >"$dir/out" 2>"$dir/err" &
tpid=$!
hostile_pids="$hostile_pids $tpid"
i=0
until grep -q 'spawned sh [0-9]' "$dir/err" 2>/dev/null; do
	kill -0 "$tpid" 2>/dev/null || fail "tether ended early"
	test $i -lt 200 || fail "no spawn within 10 s"
	sleep 0.05
	i=$((i + 1))
done
shpid=$(sed -n 's/.*spawned sh \([0-9]*\).*/\1/p' "$dir/err")
i=0
until sleeppid=$(ps -o pid= --ppid "$shpid" | tr -d ' ') &&
    test -n "$sleeppid"; do
	test $i -lt 200 || fail "sh $shpid started no sleep within 10 s"
	sleep 0.05
	i=$((i + 1))
done
# Should the test fail, take them down anyway.
hostile_pids="$hostile_pids $shpid $sleeppid"

kill -KILL "$tpid"
wait "$tpid" 2>/dev/null
start=$(date +%s%3N)
i=0
while alive "$shpid" || alive "$sleeppid"; do
	test $i -lt 20 || fail "after 1 s: sh $shpid $(alive "$shpid" &&
	    echo alive || echo gone), sleep $sleeppid $(alive "$sleeppid" &&
	    echo alive || echo gone)"
	sleep 0.05
	i=$((i + 1))
done
pass "SIGKILL: sh and its sleep gone $(( $(date +%s%3N) - start )) ms" \
    "after the kill"
