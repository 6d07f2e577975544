# SPDX-License-Identifier: ISC
# lib-tmux.sh - sourced by the attach-*.sh tests: a private tmux server
# whose pane runs a plain shell, keys sent with send-keys, the screen read
# with capture-pane, and waits on what appears there (never fixed sleeps).
#
# After sourcing: $dir (a temporary directory), tm (tmux on the private
# socket), tm_start, tm_keys, tm_type, tm_wait, tm_screen, fail, and
# on_exit (commands to run at exit, e.g. killing a peer by its pid);
# $tm_pane is the pid of the pane's shell.

: "${TETHER:=./tether}"

command -v tmux >/dev/null 2>&1 || { echo "skip: no tmux"; exit 77; }
test -x "$TETHER" || { echo "skip: no tether binary at $TETHER"; exit 77; }
case $TETHER in
/*) ;;
*) TETHER=$(pwd)/$TETHER ;;
esac

dir=$(mktemp -d /tmp/tether-attach.XXXXXX) || exit 1
tm_sock=$dir/tmux.sock
tm_pid=
tm_exit_cmds=

tm() {
	tmux -S "$tm_sock" -f /dev/null "$@"
}

on_exit() {
	tm_exit_cmds="$tm_exit_cmds
$*"
}

tm_cleanup() {
	eval "$tm_exit_cmds"
	if test -n "$tm_pid"; then
		kill -TERM "$tm_pid" 2>/dev/null
		wait "$tm_pid" 2>/dev/null
	fi
	if test -z "$KEEP"; then rm -rf "$dir"; else echo "kept $dir"; fi
}
trap tm_cleanup EXIT
trap 'exit 1' INT TERM HUP

fail() {
	echo "FAIL: $*" >&2
	echo "--- screen:" >&2
	tm_screen >&2
	echo "---" >&2
	exit 1
}

# Starts the server with a 120x40 pane running sh with prompt "$ ".
tm_start() {
	tm new-session -d -s t -x 120 -y 40 \
	    "env -i PATH=$PATH HOME=$dir TERM=xterm TETHER_HISTORY=$dir/history PS1='\$ ' /bin/sh" ||
	    fail "tmux did not start"
	tm_pid=$(tm display-message -p -t t '#{pid}')
	tm_pane=$(tm display-message -p -t t '#{pane_pid}')
	tm_wait '^\$ ' 10
}

# Sends tmux key names (C-], Tab, Enter) as they are.
tm_keys() {
	tm send-keys -t t "$@"
}

# Types text literally (no key-name lookup).
tm_type() {
	tm send-keys -t t -l -- "$1"
}

tm_screen() {
	tm capture-pane -p -J -t t -S -200
}

# Waits up to $2 seconds (default 10) for extended regex $1 on the screen.
tm_wait() {
	_pat=$1
	_end=$(( $(date +%s) + ${2:-10} ))
	while :; do
		if tm_screen | grep -Eq -- "$_pat"; then
			return 0
		fi
		if test "$(date +%s)" -ge "$_end"; then
			fail "timed out waiting for /$_pat/"
		fi
		sleep 0.05
	done
}

# Counts the screen lines matching extended regex $1.
tm_count() {
	tm_screen | grep -Ec -- "$1"
}

# Waits until $1 lines match extended regex $2.
tm_wait_count() {
	_n=$1
	_pat=$2
	_end=$(( $(date +%s) + ${3:-10} ))
	while test "$(tm_count "$_pat")" -lt "$_n"; do
		if test "$(date +%s)" -ge "$_end"; then
			fail "timed out waiting for $_n lines of /$_pat/"
		fi
		sleep 0.05
	done
}
