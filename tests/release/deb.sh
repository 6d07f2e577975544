#!/bin/sh
# SPDX-License-Identifier: ISC
# deb.sh - the Debian packages build from the dist files plus debian/, in
# a scratch directory (DEB_BUILD_OPTIONS=nocheck dpkg-buildpackage -us -uc
# -b), the symbols file matches the library, each package holds what it
# should (dpkg-deb -c), lintian reports no error, and the packages
# unpacked into a scratch root (dpkg -x) give a tether that runs and a
# libtether-dev that builds the libtether(3) example.
# Exit 0 pass, 1 fail, 77 skip (no dpkg-buildpackage, no debian/).

. "${TETHER_SRCDIR:-$(dirname "$0")/../..}/tests/release/lib.sh"

command -v dpkg-buildpackage >/dev/null 2>&1 ||
    skip "no dpkg-buildpackage (apt-get install dpkg-dev debhelper)"
command -v dh >/dev/null 2>&1 || skip "no debhelper"
test -d "$TETHER_SRCDIR/debian" || skip "no debian/ in $TETHER_SRCDIR"
test -f "$TETHER_BUILDDIR/Makefile" || skip "no Makefile in $TETHER_BUILDDIR"
dpkg-checkbuilddeps "$TETHER_SRCDIR/debian/control" >"$log" 2>&1 ||
    skip "build dependencies missing: $(cat "$log")"

ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
ver=$(dpkg-parsechangelog -l "$TETHER_SRCDIR/debian/changelog" -S Version)
upver=${ver%-*}

# The source: what make dist ships, and debian/.
src=$work/tether-$upver
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$TETHER_BUILDDIR" \
    distdir distdir="$src" >"$log" 2>&1 || fail "make distdir"
cp -R "$TETHER_SRCDIR/debian" "$src/" || fail "cp debian"
start=$(date +%s)
(cd "$src" && DEB_BUILD_OPTIONS="nocheck parallel=2" \
    dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1 ||
    { cp "$work/build.log" "$log"; fail "dpkg-buildpackage"; }
echo "dpkg-buildpackage -us -uc -b: $(($(date +%s) - start)) s"
# dpkg-gensymbols says when the library and libtether0.symbols differ.
if grep -q 'dpkg-gensymbols: warning' "$work/build.log"; then
	sed -n '/dpkg-gensymbols: warning/,/^dh_/p' "$work/build.log" >"$log"
	fail "debian/libtether0.symbols does not match the library" \
	    "(add new symbols with the version that adds them)"
fi
n=$(grep -c 'warning:' "$work/build.log")
echo "compiler and tool warnings in the package build: $n"
grep 'warning:' "$work/build.log" | head -n 20 | sed 's/^/    /'

deb() { ls "$work/$1_${ver}_"*.deb 2>/dev/null; }
for p in tether libtether0 libtether-dev; do
	[ -n "$(deb $p)" ] || fail "no $p package"
done

# contents PACKAGE PATH...: PACKAGE has every PATH
contents() {
	p=$1; shift
	dpkg-deb -c "$(deb "$p")" | awk '{ print $6 }' | sed 's|^\./|/|' \
	    >"$work/$p.files"
	echo "$p:"; sed 's/^/    /' "$work/$p.files" | grep -v '/$'
	for f in "$@"; do
		grep -qx "$f" "$work/$p.files" || fail "$p has no $f"
	done
}
lib=/usr/lib/$ma
contents tether /usr/bin/tether /usr/share/man/man1/tether.1.gz \
    /usr/share/man/man5/tether-script.5.gz \
    /usr/share/doc/tether/copyright \
    /usr/share/doc/tether/examples/local-shell.tether \
    /usr/share/bash-completion/completions/tether \
    /usr/share/vim/vimfiles/syntax/tether.vim \
    /usr/share/vim/vimfiles/ftdetect/tether.vim
contents libtether0 "$lib/libtether.so.0" "$lib/libtether.so.0.0.0" \
    /usr/share/doc/libtether0/copyright
contents libtether-dev /usr/include/tether.h "$lib/libtether.so" \
    "$lib/libtether.a" "$lib/pkgconfig/tether.pc" \
    /usr/share/man/man3/libtether.3.gz
grep -q 'libtether\.so$\|\.la$' "$work/libtether0.files" &&
    fail "libtether0 has the .so or a .la"
grep -q '\.la$' "$work/libtether-dev.files" && fail "libtether-dev has a .la"
dpkg-deb -f "$(deb libtether-dev)" Depends | grep -q "libtether0 (= $ver)" ||
    fail "libtether-dev does not depend on libtether0 (= $ver)"

if command -v lintian >/dev/null 2>&1; then
	lintian --no-cfg "$work"/tether_"${ver}"_*.changes >"$work/lintian" 2>&1
	echo "lintian:"; sed 's/^/    /' "$work/lintian"
	grep -q '^E:' "$work/lintian" && fail "lintian reports errors"
else
	echo "no lintian: not run"
fi

# Unpacked, not installed: tether runs and reports its version, and the
# example builds against libtether-dev.
root=$work/root
for p in tether libtether0 libtether-dev; do
	dpkg -x "$(deb $p)" "$root" || fail "dpkg -x $p"
done
out=$(LD_LIBRARY_PATH=$root$lib "$root/usr/bin/tether" --version) ||
    fail "the unpacked tether --version exits $?"
[ "$out" = "tether $upver" ] || fail "tether --version says '$out'"
echo "unpacked tether --version: $out"
build_external "$root" "$root$lib/pkgconfig/tether.pc"
exit 0
