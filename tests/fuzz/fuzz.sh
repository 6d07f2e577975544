#!/bin/sh
# SPDX-License-Identifier: ISC
# fuzz.sh - runs the libFuzzer harnesses: each one listed in FUZZ_HARNESSES
# (Makefile.am passes the list; without it, every tests/fuzz/fuzz-* program
# of the build tree), from its seed corpus tests/fuzz/corpus/NAME.
#
#   fuzz.sh [NAME...]                a short run of each, as make check does:
#                                    FUZZ_RUNS inputs (default 3000), at most
#                                    20 s, in a scratch corpus
#   fuzz.sh -t SECONDS [-j JOBS] [-c DIR] [NAME...]
#                                    each for SECONDS, JOBS at a time, growing
#                                    its corpus in DIR/NAME (default: the
#                                    build tree's tests/fuzz/corpus-run)
#   -a DIR                           where crashing inputs are kept, in
#                                    DIR/NAME (tests/fuzz/crashes)
#
# One line per harness: executions, coverage (cov: and ft: from libFuzzer's
# final status line), corpus size and crashes.  Exit 0 when no harness
# crashed, 1 when one did, 77 when none was built.
: "${TETHER_SRCDIR:?}" "${TETHER_BUILDDIR:?}"

secs=
jobs=1
corpus=
crashes=
while getopts t:j:c:a: opt; do
	case $opt in
	t) secs=$OPTARG ;;
	j) jobs=$OPTARG ;;
	c) corpus=$OPTARG ;;
	a) crashes=$OPTARG ;;
	*) echo "usage: fuzz.sh [-t SECONDS [-j JOBS] [-c DIR] [-a DIR]]" \
	    "[NAME...]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
runs=${FUZZ_RUNS:-3000}
: "${corpus:=$TETHER_BUILDDIR/tests/fuzz/corpus-run}"
: "${crashes:=$TETHER_BUILDDIR/tests/fuzz/crashes}"

if [ $# -gt 0 ]; then
	names="$*"
elif [ -n "${FUZZ_HARNESSES:-}" ]; then
	names=
	for h in $FUZZ_HARNESSES; do names="$names ${h##*/}"; done
else
	names=
	for h in "$TETHER_BUILDDIR"/tests/fuzz/fuzz-*; do
		[ -x "$h" ] && [ -f "$h" ] && names="$names ${h##*/}"
	done
fi

out=$(mktemp -d "${TMPDIR:-/tmp}/tether-fuzz.XXXXXX") || exit 1
trap 'rm -rf "$out"' EXIT
trap 'exit 1' INT TERM

# run_one NAME: fuzzes NAME, writes its summary line to $out/NAME.sum and
# "crash" to $out/NAME.crash when it found one.
run_one() {
	n=$1
	h=$TETHER_BUILDDIR/tests/fuzz/$n
	seeds=$TETHER_SRCDIR/tests/fuzz/corpus/$n
	log=$out/$n.log
	if [ ! -x "$h" ]; then
		echo "$n: not built" >"$out/$n.sum"
		return
	fi
	[ -d "$seeds" ] || seeds=
	art=$crashes/$n
	if [ -n "$secs" ]; then
		work=$corpus/$n
		limit="-max_total_time=$secs"
	else
		work=$out/$n.corpus
		limit="-runs=$runs -max_total_time=20"
	fi
	mkdir -p "$work" "$art" || return
	: >"$out/$n.stamp"
	# libFuzzer writes new inputs to the first directory only.
	(cd "$out" && exec "$h" $limit -max_len=4096 -timeout=30 \
	    -print_final_stats=1 -artifact_prefix="$art/" "$work" $seeds \
	    >"$log" 2>&1)
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" |
	    tail -1)
	status=$(grep -E '^#[0-9]+.* cov: ' "$log" | tail -1)
	cov=$(echo "$status" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$status" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
	ncorp=$(ls "$work" | wc -l)
	ncrash=$(find "$art" -type f -newer "$out/$n.stamp" | wc -l)
	if [ $rc -ne 0 ] && [ "$ncrash" -eq 0 ]; then
		ncrash=1	# died without an artifact (e.g. out of memory)
	fi
	echo "$n: ${execs:-?} executions, cov: ${cov:-?} ft: ${ft:-?}," \
	    "corpus $ncorp, crashes: $ncrash" >"$out/$n.sum"
	if [ "$ncrash" -gt 0 ] || [ $rc -ne 0 ]; then
		echo crash >"$out/$n.crash"
		{
			echo "$n: exit $rc; the end of its log:"
			tail -40 "$log" | sed 's/^/    /'
			echo "    (the input that crashed it is in $art)"
		} >>"$out/$n.sum"
	fi
}

running=0
for n in $names; do
	run_one "$n" &
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		wait
		running=0
	fi
done
wait

ran=0
failed=0
for n in $names; do
	cat "$out/$n.sum"
	grep -q ': not built$' "$out/$n.sum" || ran=$((ran + 1))
	[ -f "$out/$n.crash" ] && failed=1
done
[ $failed -eq 0 ] || exit 1
[ $ran -gt 0 ] || exit 77
exit 0
