#!/bin/sh
# A short run of every libFuzzer harness make check built with clang
# (playbook parser, HMP parsers, telnet input path), each from its seed
# corpus under ASan + UBSan.  FUZZ_RUNS sets the inputs per harness;
# skips when clang built none of them.
: "${TETHER_SRCDIR:?}" "${TETHER_BUILDDIR:?}"
runs=${FUZZ_RUNS:-3000}
ran=0
for n in fuzz-parse fuzz-monitor-parse fuzz-telnet; do
	h=$TETHER_BUILDDIR/tests/fuzz/$n
	[ -x "$h" ] || { echo "$n: not built"; continue; }
	work=$(mktemp -d "${TMPDIR:-/tmp}/$n.XXXXXX") || exit 1
	if ! (cd "$work" && "$h" -runs="$runs" -max_len=4096 \
	    -print_final_stats=0 "$work" \
	    "$TETHER_SRCDIR/tests/fuzz/corpus/$n" >log 2>&1); then
		tail -40 "$work/log"
		rm -rf "$work"
		exit 1
	fi
	rm -rf "$work"
	echo "$n: $runs runs, no crash"
	ran=$((ran + 1))
done
[ $ran -gt 0 ] || exit 77
