#!/bin/sh
# SPDX-License-Identifier: ISC
# ssh.sh - ssh:// sessions against a real OpenSSH sshd started here on a
# loopback port, with a generated host key, an authorized key for root and
# a password for the dedicated local user tether-test (created if absent,
# given a fresh random password, locked again at the end):
#  key login and a command; pty size and window changes; exec=yes with
#  its exit status (and a signal's); bulk data both ways at once; the agent;
#  an encrypted key; password and keyboard-interactive (PAM) logins;
#  known_hosts: hashed entries, [host]:port entries, mismatch (exit 5, with
#  the SHA256 fingerprint), unknown (exit 5) then host-key=accept-new;
#  faults: wrong password (exit 5), connection refused (exit 6),
#  connect-within while sshd comes up, server killed mid-session (exit 4),
#  server frozen with keepalive= (exit 4), a stalled server that never
#  speaks (timeout= honoured, exit 3).  The lower level goes through
#  ssh-driver (public C API); the playbooks through `tether run`.
# Secrets must appear in no output.  Needs root (sshd, useradd).

: "${TETHER_BUILDDIR:=.}"
: "${TETHER_SRCDIR:=.}"
: "${TETHER:=$TETHER_BUILDDIR/tether}"
DRIVER=$TETHER_BUILDDIR/tests/integration/ssh/ssh-driver
SSHD=${SSHD:-/usr/sbin/sshd}
USER_PW=tether-test

test "$(id -u)" = 0 || { echo "skip: needs root (sshd, useradd)"; exit 77; }
test -x "$DRIVER" || { echo "skip: no $DRIVER"; exit 77; }
test -x "$SSHD" || { echo "skip: no $SSHD (openssh-server)"; exit 77; }
for p in ssh-keygen python3; do
	command -v $p >/dev/null 2>&1 || { echo "skip: no $p"; exit 77; }
done

dir=$(mktemp -d /tmp/tether-ssh.XXXXXX) || exit 1
pids=
cleanup() {
	for p in $pids; do
		kill -CONT "$p" 2>/dev/null
		kill -KILL "$p" 2>/dev/null
	done
	for p in $pids; do
		wait "$p" 2>/dev/null
	done
	if test -n "${pw_set:-}"; then
		passwd -l "$USER_PW" >/dev/null 2>&1
	fi
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# One run at a time: the test user's password is shared.
exec 9>/tmp/tether-ssh-test.lock
flock 9 2>/dev/null

failures=0
fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Every process below pid, deepest last.
descendants() {
	for c in $(pgrep -P "$1"); do
		echo "$c"
		descendants "$c"
	done
}

# Waits until file $1 exists (a driver's touch: step), at most 20 s.
await_file() {
	n=0
	while ! test -e "$1"; do
		n=$((n + 1))
		test $n -gt 400 && return 1
		sleep 0.05
	done
}

# Waits until the sshd logging to $1 listens, at most 10 s.
await_listen() {
	n=0
	while ! grep -q 'Server listening' "$1" 2>/dev/null; do
		n=$((n + 1))
		test $n -gt 200 && return 1
		sleep 0.05
	done
}

# Waits until 127.0.0.1:$1 takes connections, at most 10 s.
await_port() {
	python3 - "$1" <<'EOF'
import socket, sys, time
end = time.monotonic() + 10
while time.monotonic() < end:
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1)
EOF
}

# case NAME WANT CMD...: runs CMD with its output in $dir/NAME.out and
# $dir/NAME.err; fails unless it exits WANT.
case_run() {
	name=$1 want=$2
	shift 2
	"$@" >"$dir/$name.out" 2>"$dir/$name.err"
	got=$?
	if test "$got" -ne "$want"; then
		fail "$name: exit $got, want $want"
		sed 's/^/    | /' "$dir/$name.err" >&2
		return 1
	fi
	echo "ok: $name"
}

# Fails unless the stderr of case $1 matches extended regex $2.
case_says() {
	grep -Eq -- "$2" "$dir/$1.err" && return 0
	fail "$1: stderr does not match /$2/"
	sed 's/^/    | /' "$dir/$1.err" >&2
}

# --- the server ---
ssh-keygen -q -t ed25519 -N '' -C tether-test-host -f "$dir/host" || exit 1
ssh-keygen -q -t ed25519 -N '' -C tether-test-other -f "$dir/other" || exit 1
ssh-keygen -q -t ed25519 -N '' -C tether-test-client -f "$dir/id" || exit 1
ssh-keygen -q -t ed25519 -N '' -C tether-test-stranger -f "$dir/stranger" ||
    exit 1
passphrase="pp-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
ssh-keygen -q -t ed25519 -N "$passphrase" -C tether-test-enc \
    -f "$dir/enc" || exit 1
cat "$dir/id.pub" "$dir/enc.pub" >"$dir/authorized_keys"
fp=$(ssh-keygen -l -f "$dir/host.pub" | awk '{ print $2 }')
fp_re=$(printf "%s" "$fp" | sed "s/[+.]/\\\\&/g")	# base64 has +
mkdir -p /run/sshd

# sshd_config PORT USEPAM NAME: writes $dir/NAME.conf.
sshd_config() {
	if test "$2" = yes; then
		auth="PasswordAuthentication no
KbdInteractiveAuthentication yes
UsePAM yes"
	else
		auth="PasswordAuthentication yes
KbdInteractiveAuthentication no
UsePAM no"
	fi
	cat >"$dir/$3.conf" <<EOF
ListenAddress 127.0.0.1:$1
HostKey $dir/host
PidFile $dir/$3.pid
AuthorizedKeysFile $dir/authorized_keys
AllowUsers root $USER_PW
PermitRootLogin yes
PubkeyAuthentication yes
$auth
StrictModes no
PrintMotd no
PrintLastLog no
LogLevel VERBOSE
EOF
}

# start_sshd NAME USEPAM: starts sshd on a free port; sets port, spid.
start_sshd() {
	for try in 1 2 3; do
		port=$(free_port)
		sshd_config "$port" "$2" "$1"
		"$SSHD" -D -e -f "$dir/$1.conf" >"$dir/$1.log" 2>&1 &
		spid=$!
		pids="$pids $spid"
		await_listen "$dir/$1.log" && return 0
		kill "$spid" 2>/dev/null
	done
	echo "cannot start sshd:" >&2
	cat "$dir/$1.log" >&2
	exit 1
}

start_sshd main no
main_pid=$spid
main_port=$port
echo "[127.0.0.1]:$main_port $(cut -d' ' -f1,2 "$dir/host.pub")" \
    >"$dir/known_hosts"

# The dedicated password user.
if ! id "$USER_PW" >/dev/null 2>&1; then
	useradd -m -s /bin/sh "$USER_PW" >/dev/null 2>&1 ||
	    echo "note: cannot create user $USER_PW"
fi
password="pw-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
if id "$USER_PW" >/dev/null 2>&1 &&
    echo "$USER_PW:$password" | chpasswd 2>/dev/null; then
	pw_set=1
fi

# A clean client side: no keys, agent or known_hosts of the caller's.
HOME=$dir/home
export HOME
mkdir -p "$HOME"
unset SSH_AUTH_SOCK
TERM=vt100
export TERM

D="$DRIVER -t 15"
ROOT="ssh://root@127.0.0.1:$main_port"
KEY="identity=$dir/id known-hosts=$dir/known_hosts"

# --- logins and channels ---
case_run key-login 0 $D "$ROOT" $KEY -- \
    'sendline:echo tether-$((6*7))' 'expect:tether-42' \
    'sendline:exit 3' eof status:3
case_run pty-size 0 $D "$ROOT" $KEY rows=30 cols=90 -- \
    'sendline:stty size' 'expect:30 90' winsize:40x100 \
    'sendline:stty size' 'expect:40 100' 'sendline:exit' eof status:0
case_run exec-status 0 $D "$ROOT" $KEY exec=yes \
    'command=echo out-$((2+3)); echo err-$((3+4)) >&2; exit 7' -- \
    'expect:out-5' 'expect:err-7' eof status:7
case_run exec-signal 0 $D "$ROOT" $KEY exec=yes 'command=kill -KILL $$' -- \
    eof status:137
# Both ways at once: the server's output must all arrive even though
# writing the input keeps libssh2 reading the socket meanwhile.
python3 -c 'import sys; sys.stdout.write(("y" * 999 + "\n") * 20000)' \
    >"$dir/bulk"
for i in 1 2 3; do
	case_run exec-bulk-$i 0 $D "$ROOT" $KEY exec=yes \
	    'command=(seq 1 200000; echo fin-$((3*3))) & cat >/dev/null' -- \
	    "sendfile:$dir/bulk" 'expect:fin-9' || break
done

case_run identity-encrypted 0 $D "$ROOT" identity="$dir/enc" \
    passphrase="$passphrase" known-hosts="$dir/known_hosts" -- \
    'sendline:exit' eof
case_run identity-bad-passphrase 5 $D "$ROOT" identity="$dir/enc" \
    passphrase=not-it known-hosts="$dir/known_hosts"
case_says identity-bad-passphrase 'publickey .*enc \(cannot load the key'
case_run identity-unauthorized 5 $D "$ROOT" identity="$dir/stranger" \
    known-hosts="$dir/known_hosts"
case_says identity-unauthorized \
    'tried: publickey .*stranger \(rejected\); the server offers: publickey'

if command -v ssh-agent >/dev/null 2>&1 && command -v ssh-add >/dev/null; then
	ssh-agent -D -a "$dir/agent.sock" >/dev/null 2>&1 &
	pids="$pids $!"
	if await_file "$dir/agent.sock" &&
	    SSH_AUTH_SOCK=$dir/agent.sock ssh-add -q "$dir/id" 2>/dev/null; then
		# The stranger is rejected first, then the agent's key does.
		case_run agent 0 env SSH_AUTH_SOCK="$dir/agent.sock" $D "$ROOT" \
		    identity="$dir/stranger" known-hosts="$dir/known_hosts" \
		    -- 'sendline:exit' eof
		case_run agent-no 5 env SSH_AUTH_SOCK="$dir/agent.sock" $D \
		    "$ROOT" agent=no known-hosts="$dir/known_hosts"
		case_says agent-no 'tried: nothing'
	else
		fail "agent: cannot start ssh-agent"
	fi
else
	echo "skip: agent (no ssh-agent)"
fi

if test -n "${pw_set:-}"; then
	case_run password 0 $D "ssh://$USER_PW@127.0.0.1:$main_port" \
	    password="$password" known-hosts="$dir/known_hosts" -- \
	    'sendline:echo I am $(id -un)' "expect:I am $USER_PW" \
	    'sendline:exit' eof
	case_run password-wrong 5 $D "ssh://$USER_PW@127.0.0.1:$main_port" \
	    password="x$password" known-hosts="$dir/known_hosts"
	case_says password-wrong 'tried: password \(rejected\)'

	# keyboard-interactive needs PAM: a second sshd.
	start_sshd pam yes
	pam_pid=$spid
	echo "[127.0.0.1]:$port $(cut -d' ' -f1,2 "$dir/host.pub")" \
	    >>"$dir/known_hosts"
	case_run kbdint 0 $D "ssh://$USER_PW@127.0.0.1:$port" \
	    password="$password" known-hosts="$dir/known_hosts" -- \
	    'sendline:echo I am $(id -un)' "expect:I am $USER_PW" \
	    'sendline:exit' eof
	case_run kbdint-wrong 5 $D "ssh://$USER_PW@127.0.0.1:$port" \
	    password="x$password" known-hosts="$dir/known_hosts"
	case_says kbdint-wrong 'tried: keyboard-interactive \(rejected\)'
	kill "$pam_pid"
else
	echo "skip: password logins (no user $USER_PW)"
fi

# --- host keys ---
cp "$dir/known_hosts" "$dir/kh-hashed"
ssh-keygen -H -f "$dir/kh-hashed" >/dev/null 2>&1
grep -q '^|1|' "$dir/kh-hashed" || fail "ssh-keygen -H did not hash"
case_run known-hashed 0 $D "$ROOT" identity="$dir/id" \
    known-hosts="$dir/kh-hashed" -- 'sendline:exit' eof

echo "[127.0.0.1]:$main_port $(cut -d' ' -f1,2 "$dir/other.pub")" \
    >"$dir/kh-mismatch"
case_run hostkey-mismatch 5 $D "$ROOT" identity="$dir/id" \
    known-hosts="$dir/kh-mismatch" host-key=accept-new
case_says hostkey-mismatch "MISMATCH.*ED25519 key $fp_re"

# A plain "127.0.0.1" entry is for port 22 only: not a mismatch here.
echo "127.0.0.1 $(cut -d' ' -f1,2 "$dir/other.pub")" >"$dir/kh-port22"
case_run hostkey-port22-entry 5 $D "$ROOT" identity="$dir/id" \
    known-hosts="$dir/kh-port22"
case_says hostkey-port22-entry "is not known: ED25519 key $fp_re"

case_run hostkey-unknown 5 $D "$ROOT" identity="$dir/id" \
    known-hosts="$dir/kh-new"
case_says hostkey-unknown "is not known: ED25519 key $fp_re.*accept-new"
test -e "$dir/kh-new" && fail "hostkey-unknown: wrote $dir/kh-new"
case_run hostkey-accept-new 0 $D "$ROOT" identity="$dir/id" \
    known-hosts="$dir/kh-new" host-key=accept-new -- 'sendline:exit' eof
grep -q "^\[127.0.0.1\]:$main_port ssh-ed25519 " "$dir/kh-new" ||
    fail "hostkey-accept-new: not recorded: $(cat "$dir/kh-new")"
case_run hostkey-recorded 0 $D "$ROOT" identity="$dir/id" \
    known-hosts="$dir/kh-new" -- 'sendline:exit' eof
if command -v ssh >/dev/null 2>&1; then
	case_run hostkey-recorded-openssh 0 ssh -F /dev/null -o BatchMode=yes \
	    -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$dir/kh-new" \
	    -o GlobalKnownHostsFile=/dev/null -i "$dir/id" -p "$main_port" \
	    root@127.0.0.1 true
fi

# --- faults ---
case_run refused 6 $D "ssh://root@127.0.0.1:$(free_port)" $KEY
case_says refused 'Connection refused'

# connect-within: the server comes up after the first attempts.
late_port=$(free_port)
echo "[127.0.0.1]:$late_port $(cut -d' ' -f1,2 "$dir/host.pub")" \
    >>"$dir/known_hosts"
$D "ssh://root@127.0.0.1:$late_port" $KEY connect-within=15s -- \
    'sendline:exit' eof >"$dir/connect-within.out" \
    2>"$dir/connect-within.err" &
cw_pid=$!
sshd_config "$late_port" no late
"$SSHD" -D -e -f "$dir/late.conf" >"$dir/late.log" 2>&1 &
pids="$pids $!"
if wait "$cw_pid"; then
	echo "ok: connect-within"
else
	fail "connect-within: exit $?"
	sed 's/^/    | /' "$dir/connect-within.err" >&2
fi

# The server's processes for our connection are killed.
$D "$ROOT" $KEY -- 'sendline:echo up-$((1+1))' 'expect:up-2' \
    "touch:$dir/killed.ready" 'expect:never-printed' \
    >"$dir/killed.out" 2>"$dir/killed.err" &
k_pid=$!
if await_file "$dir/killed.ready"; then
	kill -KILL $(descendants "$main_pid") 2>/dev/null
fi
wait "$k_pid"
rc=$?
if test $rc -eq 4; then
	echo "ok: killed"
	case_says killed 'connection (closed by the server|lost) while'
else
	fail "killed: exit $rc, want 4"
	sed 's/^/    | /' "$dir/killed.err" >&2
fi

# The server's processes freeze: keepalives go unanswered.
$D -t 30 "$ROOT" $KEY keepalive=2s -- \
    'sendline:echo up-$((2+2))' 'expect:up-4' \
    "touch:$dir/frozen.ready" 'expect:never-printed' \
    >"$dir/frozen.out" 2>"$dir/frozen.err" &
f_pid=$!
frozen=
if await_file "$dir/frozen.ready"; then
	frozen=$(descendants "$main_pid")
	pids="$pids $frozen"
	kill -STOP $frozen
fi
wait "$f_pid"
rc=$?
if test $rc -eq 4; then
	echo "ok: frozen"
	case_says frozen 'did not answer 3 keepalives'
else
	fail "frozen: exit $rc, want 4"
	sed 's/^/    | /' "$dir/frozen.err" >&2
fi
test -n "$frozen" && kill -KILL $frozen 2>/dev/null

# A server that takes the connection and never says a word.
if command -v socat >/dev/null 2>&1; then
	stall_port=$(free_port)
	socat -u TCP-LISTEN:"$stall_port",bind=127.0.0.1,reuseaddr,fork \
	    OPEN:/dev/null 2>"$dir/socat.log" &
	pids="$pids $!"
	await_port "$stall_port" || fail "stalled: socat does not listen"
	t0=$(date +%s%N)
	case_run stalled 3 $D "ssh://root@127.0.0.1:$stall_port" $KEY timeout=2s
	t1=$(date +%s%N)
	ms=$(( (t1 - t0) / 1000000 ))
	test $ms -ge 1900 -a $ms -lt 6000 ||
	    fail "stalled: gave up after $ms ms, want about 2000"
	case_says stalled 'timeout=2000 ms passed while the SSH handshake'
else
	echo "skip: stalled (no socat)"
fi

# --- playbooks through tether run ---
pb=$TETHER_SRCDIR/tests/integration/ssh
if test -x "$TETHER" && "$TETHER" check "$pb/login-key.tether" >/dev/null 2>&1
then
	V="--var port=$main_port --var key=$dir/id --var known=$dir/known_hosts"
	case_run pb-key 0 "$TETHER" run "$pb/login-key.tether" $V
	if test -n "${pw_set:-}"; then
		case_run pb-password 0 env TETHER_TEST_PW="$password" \
		    "$TETHER" run "$pb/login-password.tether" $V \
		    --var user=$USER_PW --log-dir "$dir/logs" -v --json \
		    --junit "$dir/logs/junit.xml"
		case_run pb-password-wrong 5 env TETHER_TEST_PW="x$password" \
		    "$TETHER" run "$pb/login-password.tether" $V \
		    --var user=$USER_PW --log-dir "$dir/logs-wrong"
		case_says pb-password-wrong \
		    'login-password.tether:[0-9]+:[0-9]+: .*tried: password'
	fi
	case_run pb-mismatch 5 "$TETHER" run "$pb/login-key.tether" \
	    --var port=$main_port --var key=$dir/id \
	    --var known=$dir/kh-mismatch
	case_says pb-mismatch "login-key.tether:[0-9]+:[0-9]+: .*MISMATCH.*$fp_re"
	case_run pb-exec 0 "$TETHER" run "$pb/exec.tether" $V
else
	echo "skip: playbooks ($TETHER cannot check them)"
fi

# --- no secret anywhere ---
for secret in "$password" "$passphrase"; do
	if grep -rlF -- "$secret" "$dir"/*.out "$dir"/*.err \
	    "$dir"/logs* 2>/dev/null; then
		fail "a secret appears in the files above"
	fi
done

test $failures -eq 0 || { echo "$failures failure(s)"; exit 1; }
echo "all passed"
exit 0
