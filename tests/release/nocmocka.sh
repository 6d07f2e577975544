#!/bin/sh
# SPDX-License-Identifier: ISC
# nocmocka.sh - without cmocka (a test-only dependency) the unit tests
# still build, against tests/release/nocmocka/cmocka.h, and skip: every
# test source that includes <cmocka.h> compiles with it warning-free, and
# test-buf built with it exits 77.
# Exit 0 pass, 1 fail, 77 skip.

. "${TETHER_SRCDIR:-$(dirname "$0")/../..}/tests/release/lib.sh"

command -v pkg-config >/dev/null 2>&1 || skip "no pkg-config"
lib=$TETHER_BUILDDIR/.libs/libtether-internal.a
test -f "$lib" || skip "no $lib"
s=$TETHER_SRCDIR
deps="libpcre2-8 libtelnet libssh2 jansson"
# The flags of Makefile.am's AM_CPPFLAGS, AM_CFLAGS and --enable-werror.
cflags="-std=gnu11 -D_GNU_SOURCE -I$s/tests/release/nocmocka -I$s/include
    -I$s/src/lib -I$s/src/script -I$s/src/cli -DTETHER_VERSION=\"0\"
    -DTEST_DATADIR=\"$s/tests/unit/data\" -Wall -Wextra -Werror
    -Wno-unused-parameter -Wshadow -Wpointer-arith -Wstrict-prototypes
    -Wmissing-prototypes $(pkg-config --cflags $deps)"
n=0
for f in $(grep -l '^#include <cmocka.h>' "$s"/tests/*/*.c \
    "$s"/tests/*/*/*.c 2>/dev/null); do
	# shellcheck disable=SC2086
	$CC $cflags -c -o "$work/t.o" "$f" >"$log" 2>&1 ||
	    fail "${f#"$s"/} does not compile without cmocka"
	n=$((n + 1))
done
[ $n -gt 0 ] || fail "no test source includes <cmocka.h>"
echo "$n cmocka test sources compile against tests/release/nocmocka"

# shellcheck disable=SC2086
$CC $cflags -o "$work/test-buf" "$s/tests/unit/test-buf.c" "$lib" \
    $(pkg-config --libs $deps) >"$log" 2>&1 ||
    fail "test-buf does not link without cmocka"
"$work/test-buf" >"$work/out" 2>&1
rc=$?
[ $rc = 77 ] || fail "test-buf without cmocka exits $rc, not 77"
grep -q 'skip: .*without cmocka' "$work/out" ||
    fail "test-buf without cmocka says: $(cat "$work/out")"
echo "test-buf without cmocka: $(cat "$work/out") (exit 77)"
exit 0
