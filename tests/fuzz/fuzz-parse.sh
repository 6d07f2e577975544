#!/bin/sh
# A short run of the playbook parser fuzzer (built with clang by make
# check) from its seed corpus; skips when the harness was not built.
: "${TETHER_SRCDIR:?}" "${TETHER_BUILDDIR:?}"
h=$TETHER_BUILDDIR/tests/fuzz/fuzz-parse
[ -x "$h" ] || { echo "fuzz-parse not built (no clang)"; exit 77; }
work=$(mktemp -d "${TMPDIR:-/tmp}/fuzz-parse.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
"$h" -runs="${FUZZ_RUNS:-3000}" -max_len=4096 -print_final_stats=0 \
    "$work" "$TETHER_SRCDIR/tests/fuzz/corpus/fuzz-parse" >log 2>&1 ||
    { tail -40 log; exit 1; }
echo "fuzz-parse: ${FUZZ_RUNS:-3000} runs, no crash"
