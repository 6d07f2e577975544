#!/bin/sh
# SPDX-License-Identifier: ISC
# attach-ssh.sh - tether attach on an SSH shell channel (a real OpenSSH
# sshd on a loopback port, key login, a pinned host key), driven through
# tmux: typing reaches the remote shell, the pty has the terminal's size
# and follows a resize (window-change), ^] quit leaves the terminal as it
# was (stty -g: the size is meant to differ).  Skipped without sshd or
# when not root (sshd must run as root).

. "${TETHER_SRCDIR:-.}/tests/integration/lib-tmux.sh"

SSHD=${SSHD:-/usr/sbin/sshd}
test -x "$SSHD" || { echo "skip: no $SSHD"; exit 77; }
test "$(id -u)" = 0 || { echo "skip: not root"; exit 77; }
command -v ssh-keygen >/dev/null 2>&1 || { echo "skip: no ssh-keygen"; exit 77; }

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
ssh-keygen -q -t ed25519 -N '' -f "$dir/hostkey" || fail "ssh-keygen"
ssh-keygen -q -t ed25519 -N '' -f "$dir/id" || fail "ssh-keygen"
cp "$dir/id.pub" "$dir/authorized_keys"
chmod 600 "$dir/authorized_keys"
echo "[127.0.0.1]:$port $(cut -d' ' -f1,2 "$dir/hostkey.pub")" >"$dir/known_hosts"
cat >"$dir/sshd_config" <<CFG
Port $port
ListenAddress 127.0.0.1
HostKey $dir/hostkey
AuthorizedKeysFile $dir/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
StrictModes no
UsePAM no
PidFile $dir/sshd.pid
CFG
mkdir -p /run/sshd
"$SSHD" -D -e -f "$dir/sshd_config" 2>"$dir/sshd.log" &
sshd_pid=$!
on_exit "kill -TERM $sshd_pid 2>/dev/null; wait $sshd_pid 2>/dev/null"

tm_start
tm_type "stty -g > $dir/before; $TETHER attach ssh://root@127.0.0.1:$port --identity $dir/id --known-hosts $dir/known_hosts --connect-within 10s; echo EXIT=\$?; stty -g > $dir/after; echo DONE"
tm_keys Enter
tm_wait 'attached to '

tm_type 'echo remote-$((6*7)); stty size'
tm_keys Enter
tm_wait '^remote-42'
tm_wait '^40 120'

# The terminal shrinks: the remote pty follows (SSH window-change).
tm resize-window -t t -x 100 -y 30 2>/dev/null ||
    tm resize-pane -t t -x 100 -y 30
tm_type 'stty size'
tm_keys Enter
tm_wait '^30 100'

tm_keys C-]
tm_wait '^tether .*> $'
tm_type 'quit'
tm_keys Enter
tm_wait '^DONE'
tm_wait '^EXIT=0'
cmp -s "$dir/before" "$dir/after" || fail "terminal settings changed"
echo "ok attach over ssh"
exit 0
