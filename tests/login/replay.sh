#!/bin/sh
# SPDX-License-Identifier: ISC
# replay.sh - recorded real boots of the test guest (tests/login/data:
# quiet, and loglevel=8 without quiet) replayed adversarially into login
# and run: a pause at every split point around the banner's "#", the
# prompt characters of the boot and every prompt's end (a 2 s one at the
# banner, like a real boot); one byte per write; random chunks and delays
# (seeded).  Every replay must log in and run its commands correctly,
# "echo hello <&>" included (busybox ash gives the line up: run fails at
# once with the shell's message).  Exit 0 pass, 1 fail, 77 skip.
: "${TETHER_SRCDIR:=.}" "${TETHER_BUILDDIR:=.}"
drv=$TETHER_BUILDDIR/tests/login/login-driver
here=$TETHER_SRCDIR/tests/login
test -x "$drv" || { echo "skip: no $drv"; exit 77; }
# the system's python3 starts in 30 ms, a pyenv shim in 300
for py in /usr/bin/python3 python3; do
	command -v "$py" >/dev/null 2>&1 && break
done
command -v "$py" >/dev/null 2>&1 || { echo "skip: no python3"; exit 77; }
out=$(mktemp "${TMPDIR:-/tmp}/tether-replay.XXXXXX") || exit 1
trap 'rm -f "$out"' EXIT

rc=0
for data in "$here"/data/boot-*.raw; do
	data=${data%.raw}
	name=${data##*/}
	set --
	for off in $("$py" "$here/replay.py" "$data" --list-splits); do
		set -- "$@" "spawn:$py $here/replay.py $data --chunk split:$off"
	done
	banner=$("$py" - "$data.raw" <<'PY'
import re, sys
m = re.search(rb"Linux version [^\r\n]*?\) #", open(sys.argv[1], "rb").read())
print(m.end() if m else "")
PY
)
	if [ -n "$banner" ]; then
		set -- "$@" \
		    "spawn:$py $here/replay.py $data --chunk split:$banner:2000"
	fi
	set -- "$@" "spawn:$py $here/replay.py $data --chunk bytes"
	for seed in 1 2 3 4; do
		set -- "$@" \
		    "spawn:$py $here/replay.py $data --chunk random:$seed"
	done
	n=$#
	start=$(date +%s%3N)
	"$drv" -k 6.1.0-57-amd64 -t 30000 "$@" >"$out" 2>&1
	st=$?
	ms=$(( $(date +%s%3N) - start ))
	if [ $st -ne 0 ]; then
		grep -v '^  syntax error after' "$out" | grep -v '^ok ' | head -60
		echo "FAIL $name: $(tail -1 "$out")"
		rc=1
	else
		echo "ok $name: $n replays logged in and ran, $ms ms"
	fi
done
exit $rc
