#!/bin/sh
# SPDX-License-Identifier: ISC
# guest.sh - login and run never act on a false prompt (issue 10, section
# 5), against fake guests (tests/login/guest.py, a real /bin/sh behind a
# scripted getty and login) and the shells of this host:
#  - a banner "Linux version ... #" in pieces, 2 s before getty: login
#    must not type PS1 at the "#" (it did, and waited out its timeout);
#  - kernel messages interleaving the login prompt, the password prompt
#    and the shell prompt, split right after '#', '$', '%' or '>' (seeds);
#  - run "echo hello <&>" on dash, busybox ash and bash: dash and ash give
#    the line up, run fails at once with their message; bash reports it
#    itself (status 2); a bash prompt that changes at every line;
#  - failure texts (Login incorrect, Permission denied, Authentication
#    failure, Access denied) fail login at once with exit 5, also after
#    PS1 was typed, and the message says "login on g:" once; a run the
#    shell gives up says "run on g:" once and exits 1.
# Exit 0 pass, 1 fail, 77 skip.
: "${TETHER:=./tether}" "${TETHER_SRCDIR:=.}" "${TETHER_BUILDDIR:=.}"
drv=$TETHER_BUILDDIR/tests/login/login-driver
here=$TETHER_SRCDIR/tests/login
test -x "$drv" || { echo "skip: no $drv"; exit 77; }
test -x "$TETHER" || { echo "skip: no tether binary at $TETHER"; exit 77; }
# the system's python3 starts in 30 ms, a pyenv shim in 300
for py in /usr/bin/python3 python3; do
	command -v "$py" >/dev/null 2>&1 && break
done
command -v "$py" >/dev/null 2>&1 || { echo "skip: no python3"; exit 77; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/tether-login.XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT
guest="$py $here/guest.py"
rc=0

fail() {
	echo "FAIL: $*"
	rc=1
}

# driver [OPTIONS] URI...: every URI must log in and run correctly
driver() {
	if "$drv" -t 20000 "$@" >"$dir/drv" 2>&1; then
		grep '^ok ' "$dir/drv"
	else
		cat "$dir/drv"
		fail "login-driver $*"
	fi
}

# 1. the banner in pieces, then kernel messages everywhere
driver "spawn:$guest --boot banner"
set --
for seed in 1 2 3 4 5 6 7 8; do
	set -- "$@" "spawn:$guest --kmsg $seed"
done
set -- "$@" "spawn:$guest --boot banner --kmsg 9"
driver "$@"

# 2. shells of this host that cannot parse a command
driver -s exit spawn:/bin/sh
if command -v busybox >/dev/null 2>&1; then
	driver -s exit "spawn:$(command -v busybox) ash"
else
	echo "busybox: not installed, skipped"
fi
if command -v bash >/dev/null 2>&1; then
	bash=$(command -v bash)
	# and a prompt that changes at every line
	driver -s status "spawn:$bash --norc --noprofile" \
	    'spawn:/usr/bin/env PS1=r$RANDOM$ '"$bash"' --norc --noprofile'
else
	echo "bash: not installed, skipped"
fi

# pb NAME WANT-EXIT MAX-MS PLAYBOOK-LINES: runs a playbook, checks the exit
# status and that it took less than MAX-MS; stderr in $dir/NAME.err
pb() {
	name=$1 want=$2 max=$3
	shift 3
	printf '%s\n' "$@" >"$dir/$name.tether"
	t0=$(date +%s%3N)
	"$TETHER" run "$dir/$name.tether" >"$dir/$name.out" 2>"$dir/$name.err"
	got=$?
	ms=$(( $(date +%s%3N) - t0 ))
	if [ "$got" != "$want" ]; then
		cat "$dir/$name.err"
		fail "$name: exit $got, want $want"
		return 1
	fi
	if [ "$ms" -ge "$max" ]; then
		fail "$name: took $ms ms"
		return 1
	fi
	echo "ok $name: exit $got in $ms ms"
}

# once NAME PREFIX TEXT: NAME's stderr says TEXT, and PREFIX exactly once
once() {
	n=$(grep -o -F "$2" "$dir/$1.err" | wc -l)
	[ "$n" -eq 1 ] || { cat "$dir/$1.err"; fail "$1: '$2' $n times"; }
	grep -q -F "$2$3" "$dir/$1.err" ||
	    { cat "$dir/$1.err"; fail "$1: no '$2$3'"; }
}

# 3. failure texts: exit 5 at once, in every phase, prefix said once
pb badpass 5 8000 \
    "open g \"spawn:$guest\" line-ending=cr" \
    'login g user=root password="wrong-password" timeout=30s' &&
    once badpass 'login on g: ' 'login incorrect for user root'
for text in "Permission denied" "Authentication failure" "Access denied"; do
	pb "fail-${text%% *}" 5 8000 \
	    "open g \"spawn:$guest --fail-text '$text'\" line-ending=cr" \
	    'login g user=root password="wrong-password" timeout=30s' &&
	    once "fail-${text%% *}" "login on g: " \
	    "login incorrect for user root (\"$text\")"
done
pb deny-ps1 5 8000 \
    "open g \"spawn:$guest --deny-ps1 'Permission denied'\" line-ending=cr" \
    'login g user=root password="tether-guest-pw" timeout=30s' &&
    once deny-ps1 'login on g: ' \
    'login incorrect ("Permission denied") after setting PS1'
grep -q 'tether-guest-pw\|wrong-password' "$dir"/*.err &&
    fail "a password in a message"

# 4. a command the shell gives up: exit 1 at once, prefix said once
pb syntax 1 8000 \
    'open g "spawn:/bin/sh"' \
    'login g user=root password="not-used-here" timeout=10s' \
    'run g "echo hello <&>" timeout 30s' &&
    once syntax 'run on g: ' 'the shell did not run the command: ' &&
    { grep -q 'yntax error' "$dir/syntax.err" ||
      fail "syntax: no shell message"; }
exit $rc
