#!/bin/sh
# SPDX-License-Identifier: ISC
# attach-console.sh - tether attach on two real peers at once: a shell
# console served by socat on a unix socket and a QEMU human monitor.
# Switching between them, hmp from the prompt with tab completion of HMP
# commands, log start/stop, a file pasted slowly, --log-dir transcripts,
# and the terminal as it was after quit.

. "${TETHER_SRCDIR:-.}/tests/integration/lib-tmux.sh"

QEMU=${QEMU:-qemu-system-x86_64}
command -v socat >/dev/null 2>&1 || { echo "skip: no socat"; exit 77; }
command -v "$QEMU" >/dev/null 2>&1 || { echo "skip: no $QEMU"; exit 77; }

# The console: an interactive shell with prompt "con$ " on a pty.
cat >"$dir/console" <<CONSOLE
#!/bin/sh
exec env -i PATH=/usr/bin:/bin PS1='con\$ ' /bin/sh -i
CONSOLE
chmod +x "$dir/console"
socat UNIX-LISTEN:"$dir/con.sock" \
    EXEC:"$dir/console",pty,stderr,setsid,ctty >"$dir/socat.log" 2>&1 &
spid=$!
on_exit "kill -TERM $spid 2>/dev/null; wait $spid 2>/dev/null"
"$QEMU" -M none -nodefaults -display none -S \
    -monitor unix:"$dir/mon.sock",server=on,wait=off \
    >"$dir/qemu.log" 2>&1 &
qpid=$!
on_exit "kill -KILL $qpid 2>/dev/null; wait $qpid 2>/dev/null"

printf 'echo pasted-$((7*6))\n' >"$dir/paste.txt"

tm_start
tm_type "stty -a > $dir/before; $TETHER attach con=unix:$dir/con.sock mon=hmp:unix:$dir/mon.sock --connect-within 20s --log-dir $dir/logs; echo EXIT=\$?; stty -a > $dir/after; echo DONE"
tm_keys Enter
tm_wait 'attached to con \(unix:'

tm_keys Enter
tm_wait '^con\$ '
tm_type 'echo con-$((3*4))'
tm_keys Enter
tm_wait '^con-12'

# hmp from the prompt, with HMP commands completed from the monitor's help.
tm_keys C-]
tm_wait '^tether con> $'
tm_type 'hmp info statu'
tm_keys Tab
tm_wait '^tether con> hmp info status $'
tm_keys Enter
tm_wait '^VM status: paused'
tm_type 'hmp mon info vers'
tm_keys Tab
tm_wait '^tether con> hmp mon info version $'
tm_keys Enter
tm_wait '^[0-9]+\.[0-9]+\.[0-9]+'

# Switch to the monitor and type to it directly.
tm_type 'switch mon'
tm_keys Enter
tm_wait 'on mon \(hmp:unix:'
tm_type 'info status'
tm_keys Enter
tm_wait_count 2 '^VM status: paused'

# Back to the console: start a transcript, type, stop it.
tm_keys C-]
tm_wait '^tether mon> $'
tm_type 'switch con'
tm_keys Enter
tm_wait 'on con \(unix:'
tm_keys C-]
tm_type "log start $dir/manual.log"
tm_keys Enter
tm_wait "con: transcript to $dir/manual.log"
tm_keys Enter
tm_type 'echo logged-$((5*5))'
tm_keys Enter
tm_wait '^logged-25'
tm_keys C-]
tm_type 'log stop'
tm_keys Enter
tm_wait 'con: transcript stopped'
grep -q 'logged-25' "$dir/manual.log" ||
    fail "manual.log lacks the output: $(cat "$dir/manual.log")"

# Paste a file slowly; the console runs it.
tm_type "paste -pace 5ms $dir/paste.txt"
tm_keys Enter
tm_wait '^pasted 21 bytes to con'
tm_wait '^pasted-42'
tm_keys C-]

tm_type 'quit'
tm_keys Enter
tm_wait '^EXIT=0'
tm_wait '^DONE'
cmp -s "$dir/before" "$dir/after" ||
    fail "terminal modes changed: $(diff "$dir/before" "$dir/after")"
grep -q 'con-12' "$dir/logs/con.log" ||
    fail "--log-dir transcript lacks the output"
test -s "$dir/logs/con.cast" || fail "no asciicast in --log-dir"
test -s "$dir/logs/mon.log" || fail "no monitor transcript in --log-dir"
exit 0
