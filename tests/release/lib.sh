# SPDX-License-Identifier: ISC
# lib.sh - shared by the tests/release tests (source it): a private work
# directory and the programs built against an installed libtether.
#   $work                    private directory, removed on exit
#   fail MSG                 says MSG (and the log, if any) and exits 1
#   skip MSG                 says MSG and exits 77
#   man_example MANPAGE OUT  writes the C program of MANPAGE's EXAMPLE
#   build_external ROOT PC   builds and runs, against the tree installed
#                            in ROOT whose tether.pc is PC, the libtether(3)
#                            example, a program that defines the library's
#                            internal names itself (shared and static) and
#                            a version check; the PC's pkg-config version
#                            must agree with tether.h and tether_version()

: "${TETHER_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${TETHER_BUILDDIR:=.}"
CC=${CC:-cc}

work=$(mktemp -d "${TMPDIR:-/tmp}/tether-release.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
log=$work/log

fail() {
	echo "FAIL: $*" >&2
	if [ -s "$log" ]; then echo "--- $log" >&2; tail -n 40 "$log" >&2; fi
	exit 1
}
skip() { echo "skip: $*"; exit 77; }

# The lines between .nf and .fi of the EXAMPLE section, groff escapes
# undone.
man_example() {
	sed -n '/^\.SH EXAMPLE/,/^\.SH /p' "$1" | sed -n '/^\.nf/,/^\.fi/p' |
	    sed -e '1d' -e '$d' -e 's/\\e/\\/g' -e 's/\\-/-/g' \
	    -e "s/\\\\(aq/'/g" -e 's/\\&//g' >"$2"
	grep -q 'main(' "$2"
}

build_external() {
	root=$1 pc=$2
	libdir=$(cd "$(dirname "$pc")/.." && pwd)
	pcenv="env PKG_CONFIG_PATH=$(dirname "$pc") PKG_CONFIG_SYSROOT_DIR=$root"
	# Requires: jansson (tether.h includes jansson.h); the others private.
	$pcenv pkg-config --print-requires tether >"$work/req" ||
	    fail "pkg-config --print-requires tether"
	grep -qx jansson "$work/req" ||
	    fail "tether.pc: Requires is not jansson: $(cat "$work/req")"
	ver=$($pcenv pkg-config --modversion tether) ||
	    fail "pkg-config --modversion tether"
	flags=$($pcenv pkg-config --cflags --libs tether) ||
	    fail "pkg-config --cflags --libs tether"
	echo "pkg-config --cflags --libs tether: $flags"
	case $flags in
	*"-I$root/"*"-L$root/"*) ;;
	*) fail "pkg-config does not point into $root: $flags" ;;
	esac

	# 1. The libtether(3) example, warning-free, against the shared
	# library of ROOT.
	man=$(find "$root" -name 'libtether.3*' | head -n 1)
	[ -n "$man" ] || fail "libtether.3 is not installed in $root"
	case $man in *.gz) gzip -dc "$man" >"$work/libtether.3" ;;
	*) cp "$man" "$work/libtether.3" ;; esac
	man_example "$work/libtether.3" "$work/example.c" ||
	    fail "no program in the EXAMPLE of $man"
	# shellcheck disable=SC2086
	$CC -Wall -Wextra -Werror -o "$work/example" "$work/example.c" \
	    $flags >"$log" 2>&1 || fail "the libtether(3) example does not build"
	readelf -d "$work/example" | grep -q 'NEEDED.*\[libtether\.so\.0\]' ||
	    fail "the example is not linked with libtether.so.0"
	LD_LIBRARY_PATH=$libdir ldd "$work/example" >"$log" 2>&1
	grep -q "libtether\.so\.0 => $libdir/libtether\.so\.0 " "$log" ||
	    fail "libtether.so.0 is not found in $libdir"
	LD_LIBRARY_PATH=$libdir "$work/example" >"$work/out" 2>"$log" ||
	    fail "the example exits $?"
	[ "$(cat "$work/out")" = 42 ] ||
	    fail "the example printed '$(cat "$work/out")', not 42"
	echo "libtether(3) example: built with -Wall -Wextra -Werror, printed 42"

	# 2. A program that defines every global name of the library that is
	# not tether_* (buf_init, session_handle...): it links, shared and
	# static, and the library calls none of them (each aborts).
	nm -g --defined-only "$TETHER_BUILDDIR/.libs/libtether-internal.a" |
	    awk 'NF == 3 && $3 !~ /^tether_/ { print $3 }' | sort -u \
	    >"$work/internal"
	grep -qx buf_init "$work/internal" ||
	    fail "buf_init is not in libtether-internal.a (renamed?)"
	{
		grep '^#include' "$work/example.c"
		echo '#include <stdlib.h>'
		sed 's/.*/void &(void); void &(void) { abort(); }/' \
		    "$work/internal"
		sed -n '/^main(void)/,/^}/p' "$work/example.c" |
		    sed '1s/^/int /'
	} >"$work/own.c"
	n=$(wc -l <"$work/internal")
	# shellcheck disable=SC2086
	$CC -o "$work/own" "$work/own.c" $flags >"$log" 2>&1 ||
	    fail "a program defining $n internal names does not link"
	LD_LIBRARY_PATH=$libdir "$work/own" >"$work/out" 2>"$log" ||
	    fail "the program defining $n internal names exits $?"
	[ "$(cat "$work/out")" = 42 ] || fail "own.c printed $(cat "$work/out")"
	deps=$($pcenv pkg-config --static --libs jansson libpcre2-8 \
	    libtelnet libssh2)
	# shellcheck disable=SC2086
	$CC -o "$work/own-static" "$work/own.c" \
	    $($pcenv pkg-config --cflags tether) "$libdir/libtether.a" \
	    $deps >"$log" 2>&1 ||
	    fail "the program defining $n internal names does not link" \
	    "with libtether.a"
	readelf -d "$work/own-static" | grep -q 'NEEDED.*libtether' &&
	    fail "own-static is linked with libtether.so"
	"$work/own-static" >"$work/out" 2>"$log" ||
	    fail "the static program defining $n internal names exits $?"
	[ "$(cat "$work/out")" = 42 ] || fail "own-static printed $(cat "$work/out")"
	echo "a program defining $n internal names (buf_init...) links" \
	    "and runs, shared and static"

	# 3. The version: tether.pc (configure.ac), tether.h's macros and
	# tether_version() agree.
	cat >"$work/version.c" <<-'EOC'
	#include <stdio.h>
	#include <tether.h>

	int
	main(void)
	{
		printf("%d.%d.%d %d %s\n", TETHER_VERSION_MAJOR,
		    TETHER_VERSION_MINOR, TETHER_VERSION_PATCH,
		    TETHER_VERSION_NUM, tether_version());
		return TETHER_VERSION_NUM != (TETHER_VERSION_MAJOR << 16 |
		    TETHER_VERSION_MINOR << 8 | TETHER_VERSION_PATCH);
	}
	EOC
	# shellcheck disable=SC2086
	$CC -Wall -Werror -o "$work/version" "$work/version.c" $flags \
	    >"$log" 2>&1 || fail "version.c does not build"
	LD_LIBRARY_PATH=$libdir "$work/version" >"$work/out" 2>"$log" ||
	    fail "TETHER_VERSION_NUM is not 0xMMmmpp: $(cat "$work/out")"
	read -r hver num lver <"$work/out"
	[ "$hver" = "$ver" ] && [ "$lver" = "$ver" ] ||
	    fail "versions differ: tether.pc $ver, tether.h $hver," \
	    "tether_version() $lver"
	echo "version $ver: tether.pc, tether.h (TETHER_VERSION_NUM $num)" \
	    "and tether_version() agree"
}
