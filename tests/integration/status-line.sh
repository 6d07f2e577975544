#!/bin/sh
# SPDX-License-Identifier: ISC
# status-line.sh - tether run on a terminal (tmux): a live line says what
# is awaited and the time left, refreshed while the wait goes on (also
# with an idle branch, whose timer a refresh must not restart), and is
# replaced by the step's line when the wait ends.

. "${TETHER_SRCDIR:-.}/tests/integration/lib-tmux.sh"

cat >"$dir/live.tether" <<'PB'
open sh "spawn:/bin/sh"
step "wait" {
    expect sh {
        /never-printed/ { fail "impossible" }
        idle 3s { log "idle fired" }
        timeout 8s { fail "the idle timer was restarted" }
    }
}
PB
tm_start
tm_type "$TETHER run $dir/live.tether; echo EXIT=\$?"
tm_keys Enter
tm_wait '^\[wait\] waiting for /never-printed/ on sh \(7\.[0-9]s left\)'
tm_wait '^\[wait\] waiting for /never-printed/ on sh \(6\.[0-9]s left\)'
tm_wait 'idle fired'
tm_wait 'ok   wait \(3\.[0-9]+s\)'
tm_wait '^EXIT=0'
echo "ok live status line"
exit 0
