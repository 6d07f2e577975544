#!/bin/sh
# SPDX-License-Identifier: ISC
# record.sh - tether record in tmux against spawn:/bin/sh: a short session
# typed by hand (an echo, a prompt that holds a pid, a password read with
# echo off, ^C, a command at the escape key's prompt, exit); the playbook
# written holds the open, the expects, the sendlines, send "\x03" and
# sendline -secret with ${env("SH_PASSWORD")}, never the password typed;
# tether run replays it (exit 0, the transcript shows the same results),
# and without SH_PASSWORD it fails saying so.

. "${TETHER_SRCDIR:-.}/tests/integration/lib-tmux.sh"

secret=hunter2-sEcReT
out=$dir/session.tether

# A prompt that holds a number that changes run to run (the pid).
cat >"$dir/code.sh" <<'EOF'
printf 'code %d? ' $$
read c
echo "code-ok $c"
EOF
# A password read with echo off.
cat >"$dir/pw.sh" <<'EOF'
printf 'Password: '
stty -echo
read pw
stty echo
echo
echo "got ${#pw}"
EOF

tm_start
tm_type "PS1='rec> ' $TETHER record $out sh=spawn:/bin/sh; echo EXIT=\$?"
tm_keys Enter
tm_wait 'recording to '
tm_wait '^rec> $'

tm_type 'echo hello-$((6*7))'
tm_keys Enter
tm_wait '^hello-42'
tm_wait_count 2 '^rec> '

tm_type "sh $dir/code.sh"
tm_keys Enter
tm_wait '^code [0-9]+\? $'
tm_type 'abc'
tm_keys Enter
tm_wait '^code-ok abc'
tm_wait_count 3 '^rec> '

tm_type "sh $dir/pw.sh"
tm_keys Enter
tm_wait '^Password: $'
tm_type "$secret"
tm_keys Enter
tm_wait '^got 14'
tm_wait_count 4 '^rec> '

# ^C ends a command.
tm_type 'sleep 30'
tm_keys Enter
tm_wait '^rec> sleep 30$'
tm_keys C-c
tm_wait_count 5 '^rec> '

# A playbook statement at the prompt is recorded as itself.
tm_keys C-]
tm_wait '^tether sh> $'
tm_type 'sendline "echo from-prompt-$((2+3))"'
tm_keys Enter
tm_type 'help'
tm_keys Enter
tm_wait '^  quit'
tm_keys Enter
tm_wait '^from-prompt-5'
tm_wait_count 6 '^rec> '

tm_type 'exit'
tm_keys Enter
tm_wait '^EXIT=0'
tm_wait 'recorded [0-9]+ statements to .*SH_PASSWORD'

test -s "$out" || fail "no playbook written"
has() {
	grep -qF -- "$1" "$out" || {
		cat "$out" >&2
		fail "the playbook lacks: $1"
	}
}
has 'open sh "spawn:/bin/sh"'
has 'expect sh /rec> /'
has 'sendline sh "echo hello-\$((6*7))"'
has 'expect sh /code \d+\? /'
has 'sendline sh "abc"'
has 'expect sh /Password: /'
has 'sendline -secret sh ${env("SH_PASSWORD")}'
has 'send sh "\x03"'
grep -qE '^sendline +sh "echo from-prompt-\$\(\(2\+3\)\)"$' "$out" ||
    fail "the prompt's sendline is not recorded as it ran"
has 'sendline sh "exit"'
grep -q 'help' "$out" && fail "the prompt's help was recorded"
# The password typed is nowhere: not in the playbook, not in the history.
for f in "$out" "$dir/history"; do
	test -f "$f" || continue
	grep -q "$secret" "$f" && fail "the password typed is in $f"
done

# The replay: the same session, from the environment's password.
SH_PASSWORD=$secret PS1='rec> ' "$TETHER" run --log-dir "$dir/replay" \
    "$out" >"$dir/run.out" 2>&1 ||
    { cat "$out" "$dir/run.out" >&2; fail "replay exit $?"; }
for w in hello-42 'code-ok abc' 'got 14' from-prompt-5; do
	grep -q "$w" "$dir/replay/sh.log" ||
	    fail "the replay's transcript lacks $w"
done
grep -q "$secret" "$dir/replay/sh.log" "$dir/run.out" &&
    fail "the password is in the replay's output"
# Without the password: a clear failure, before anything is typed.
PS1='rec> ' "$TETHER" run "$out" >"$dir/run2.out" 2>&1
st=$?
test "$st" = 1 || fail "replay without SH_PASSWORD: exit $st"
grep -q 'set SH_PASSWORD' "$dir/run2.out" ||
    fail "replay without SH_PASSWORD: $(cat "$dir/run2.out")"
lines=$(wc -l <"$out")
echo "ok: recorded $lines lines, replayed"
exit 0
