#!/bin/sh
# SPDX-License-Identifier: ISC
# install.sh - make install into a scratch DESTDIR installs the library
# (libtether.so.0 with its soname, libtether.a), tether.h, tether.pc, the
# man pages and the examples; programs built there with
# `cc $(pkg-config --cflags --libs tether)` run (lib.sh: build_external),
# and make uninstall leaves no file behind.
# Exit 0 pass, 1 fail, 77 skip.

. "${TETHER_SRCDIR:-$(dirname "$0")/../..}/tests/release/lib.sh"

command -v pkg-config >/dev/null 2>&1 || skip "no pkg-config"
command -v readelf >/dev/null 2>&1 || skip "no readelf (binutils)"
command -v make >/dev/null 2>&1 || skip "no make"
test -f "$TETHER_BUILDDIR/Makefile" || skip "no Makefile in $TETHER_BUILDDIR"

# Not the jobserver or the variables of the make check that runs us.
mk() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$TETHER_BUILDDIR" "$@"
}

dest=$work/dest
mk install DESTDIR="$dest" >"$log" 2>&1 || fail "make install"
pc=$(find "$dest" -name tether.pc)
[ -n "$pc" ] || fail "tether.pc is not installed"
libdir=$(cd "$(dirname "$pc")/.." && pwd)
(cd "$dest" && find . ! -type d | sort) >"$work/files"
echo "installed (DESTDIR=$dest):"
sed 's/^\./    /' "$work/files"
for f in libtether.so.0 libtether.so libtether.a; do
	test -e "$libdir/$f" || fail "$f is not installed in $libdir"
done
for f in bin/tether include/tether.h man/man1/tether.1 \
    man/man3/libtether.3 man/man5/tether-script.5 \
    doc/tether/examples/local-shell.tether; do
	grep -q "/$f\$" "$work/files" || fail "$f is not installed"
done
soname=$(readelf -d "$libdir/libtether.so.0" |
    sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
[ "$soname" = libtether.so.0 ] ||
    fail "the installed libtether.so.0 has the soname '$soname'"
# The installed libtether.a: no global symbol but tether_*.
nm -g --defined-only "$libdir/libtether.a" |
    awk 'NF == 3 && $3 !~ /^tether_/ { print $3 }' >"$work/static"
[ -s "$work/static" ] &&
    fail "libtether.a has global symbols not tether_*:" \
	"$(head -n 5 "$work/static" | tr '\n' ' ')..."

build_external "$dest" "$pc"

mk uninstall DESTDIR="$dest" >"$log" 2>&1 || fail "make uninstall"
left=$(cd "$dest" && find . ! -type d)
[ -z "$left" ] || fail "make uninstall leaves: $left"
echo "make uninstall: no file left"
exit 0
