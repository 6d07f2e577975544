#!/bin/sh
# SPDX-License-Identifier: ISC
# layers.sh - the layering holds and is enforced:
#  1. scripts/check-layers passes on the source tree (no include of a
#     layer above, no module cycle inside a layer);
#  2. it catches what it must: a copy of the tree with an upward include
#     (src/lib including the interpreter's header) and one with a module
#     cycle (loop.c including session.h) both fail it;
#  3. the compiler refuses an upward include too: a src/lib file that
#     includes "interp.h" does not compile with the library's include
#     path (LIB_CPPFLAGS, passed by make check), while the same file with
#     a src/lib include does.
# Exit 0 pass, 1 fail, 77 skip.

. "${TETHER_SRCDIR:-$(dirname "$0")/../..}/tests/release/lib.sh"

command -v python3 >/dev/null 2>&1 || skip "no python3"
check=$TETHER_SRCDIR/scripts/check-layers

python3 "$check" "$TETHER_SRCDIR" >"$log" 2>&1 ||
    fail "check-layers on the source tree"
cat "$log"

for d in include src/lib src/script src/cli; do
	mkdir -p "$work/tree/$d"
	cp "$TETHER_SRCDIR/$d"/*.[ch] "$work/tree/$d/"
done
cp -r "$work/tree" "$work/up"
printf '#include "interp.h"\n' >>"$work/up/src/lib/buf.c"
python3 "$check" "$work/up" >"$log" 2>&1 &&
    fail "an upward include (src/lib/buf.c -> interp.h) passed"
grep -q 'buf.c:.*"interp.h" of src/script, a layer above' "$log" ||
    fail "the upward include is not named"
cp -r "$work/tree" "$work/cycle"
printf '#include "session.h"\n' >>"$work/cycle/src/lib/loop.c"
printf '#include "loop.h"\n' >>"$work/cycle/src/lib/session.c"
python3 "$check" "$work/cycle" >"$log" 2>&1 &&
    fail "a module cycle (loop <-> session) passed"
grep -q 'module cycle: .*loop.*session' "$log" ||
    fail "the cycle is not named"
echo "check-layers refuses an upward include and a cycle"

# The compiler's side: only when make check passes the library's flags.
if [ -z "${LIB_CPPFLAGS:-}" ]; then
	echo "no LIB_CPPFLAGS: compile check not run"
	exit 0
fi
printf '#include "interp.h"\nint layers_probe;\n' >"$work/up.c"
printf '#include "buf.h"\nint layers_probe;\n' >"$work/ok.c"
# shellcheck disable=SC2086
${CC} $LIB_CPPFLAGS -c "$work/ok.c" -o "$work/ok.o" >"$log" 2>&1 ||
    fail "a src/lib include does not compile with LIB_CPPFLAGS"
# shellcheck disable=SC2086
${CC} $LIB_CPPFLAGS -c "$work/up.c" -o "$work/up.o" >"$log" 2>&1 &&
    fail "src/lib code including interp.h compiled"
grep -q 'interp.h' "$log" || fail "the compiler did not name interp.h"
echo "the compiler refuses interp.h on the library's include path"
exit 0
