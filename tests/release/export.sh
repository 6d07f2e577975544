#!/bin/sh
# SPDX-License-Identifier: ISC
# export.sh - the built libtether.so.0 has the soname libtether.so.0 and
# exports (nm -D --defined-only) exactly the functions tether.h declares:
# no internal name (buf_init, session_handle...) and none missing.
# Exit 0 pass, 1 fail, 77 skip.

. "${TETHER_SRCDIR:-$(dirname "$0")/../..}/tests/release/lib.sh"

command -v nm >/dev/null 2>&1 || skip "no nm (binutils)"
command -v readelf >/dev/null 2>&1 || skip "no readelf (binutils)"
so=$TETHER_BUILDDIR/.libs/libtether.so.0
test -f "$so" || skip "no $so (configured with --disable-shared?)"

soname=$(readelf -d "$so" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
[ "$soname" = libtether.so.0 ] || fail "$so has the soname '$soname'"
nm -D --defined-only "$so" | awk '{ print $NF }' | sort -u >"$work/exported"
grep -v '^tether_' "$work/exported" >"$work/other"
[ -s "$work/other" ] &&
    fail "exported but not tether_*: $(tr '\n' ' ' <"$work/other")"
# The functions tether.h declares: a tether_* name followed by "(" outside
# comments, at the start of a declarator.
sed -e 's|/\*.*\*/||g' -e '/\/\*/,/\*\//d' "$TETHER_SRCDIR/include/tether.h" |
    grep -o '\*\{0,1\}tether_[a-z0-9_]*(' | tr -d '*(' | sort -u \
    >"$work/declared"
comm -23 "$work/declared" "$work/exported" >"$work/missing"
[ -s "$work/missing" ] &&
    fail "declared in tether.h, not exported: $(tr '\n' ' ' <"$work/missing")"
comm -13 "$work/declared" "$work/exported" >"$work/extra"
[ -s "$work/extra" ] &&
    fail "exported, not declared in tether.h: $(tr '\n' ' ' <"$work/extra")"
echo "libtether.so.0: $(wc -l <"$work/exported") symbols exported," \
    "all tether_* and declared in tether.h"
exit 0
