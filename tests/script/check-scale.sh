#!/bin/sh
# SPDX-License-Identifier: ISC
# `tether check` is linear in playbook size: for each shape of playbook
# (many statements, unused variables, defs and calls, one expect with many
# branches, one long list, one long string, many statements on one line,
# one long command, many parameters, many sessions, many includes), the
# CPU time for 200k lines must stay under 8 times that for 50k lines
# (linear: 4 times; quadratic: 16 times).  CPU time (user + system) of the
# child, the best of up to 3 runs (a ratio over 16 is not retried), with a
# floor of 50 ms under the small run so that timer granularity cannot fail
# it; a run over 60 s is killed and fails.  CHECK_SCALE_VERBOSE=1 prints
# the figures.  Needs python3 (skips without it).
: "${TETHER:?set TETHER to the tether binary}"
command -v python3 >/dev/null 2>&1 || { echo "SKIP: no python3"; exit 77; }
exec python3 - "$TETHER" <<'EOF'
import os, resource, shutil, subprocess, sys, tempfile

tether = sys.argv[1]
work = tempfile.mkdtemp(prefix="tether-scale.")
verbose = os.environ.get("CHECK_SCALE_VERBOSE") == "1"


def mixed(n):
    out = ['open c "spawn:cat"']
    k = 0
    while len(out) < n:
        k += 1
        out += ['set v%d = "value %d ${1 + 2}"' % (k, k),
                'sendline c "line $v%d"' % k,
                'expect c /line value %d/ timeout 2s' % k,
                'if $v%d == "x" {' % k, '    log "never %d"' % k, '}',
                'print "done %d"' % k]
    return out[:n]


def unused(n):
    return ['set u%d = %d' % (k, k) for k in range(n)]


def defs(n):
    out = []
    for k in range(n // 2):
        out += ['def f%d(a) { return $a }' % k, 'print f%d(%d)' % (k, k)]
    return out


def branches(n):
    return (['open c "spawn:cat"', 'expect c {'] +
            ['    /p%d/ { }' % k for k in range(n)] + ['}'])


def longlist(n):
    return ['set l = ['] + ['    %d,' % k for k in range(n)] + [']',
            'print $l']


def longstring(n):
    return (['print "start'] + ['\\t$x line %d\\n' % k for k in range(n)] +
            ['end"'])


def oneline(n):
    return [' '.join('print %d;' % k for k in range(n))]


def longcommand(n):
    return (['open c "spawn:cat"', 'run c "true" \\'] +
            ['    w%d \\' % k for k in range(n)] + ['    -> out',
            'print $out'])


def params(n):
    return (['def f(a0, \\'] + ['    a%d, \\' % k for k in range(1, n)] +
            ['    z) { return 1 }'])


def sessions(n):
    out = []
    for k in range(n // 2):
        out += ['open c%d "spawn:cat"' % k, 'close c%d' % k]
    return out


def includes(n):
    with open(os.path.join(work, "inc.tether"), "w") as f:
        f.write('close nosuch\n')
    return ['include "inc.tether"'] * n


shapes = [mixed, unused, defs, branches, longlist, longstring, oneline,
          longcommand, params, sessions, includes]


def cpu(path):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        subprocess.run([tether, "check", path], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, cwd=work, timeout=60)
    except subprocess.TimeoutExpired:
        return float("inf")     # killed: at least 60 s of wall time
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime +
            after.ru_stime - before.ru_stime)


failed = 0
try:
    for shape in shapes:
        paths = {}
        for n in (50000, 200000):
            paths[n] = os.path.join(work, "%s-%d.tether" % (shape.__name__,
                                                           n))
            with open(paths[n], "w") as f:
                f.write("\n".join(shape(n)) + "\n")
        small = big = None
        for attempt in range(3):
            s = cpu(paths[50000])
            b = cpu(paths[200000])
            small = s if small is None else min(small, s)
            big = b if big is None else min(big, b)
            if big < 8 * max(small, 0.05) or big > 16 * max(small, 0.05):
                break
        ok = big < 8 * max(small, 0.05) and small != float("inf")
        if verbose or not ok:
            print("%s %-12s 50k %.3fs  200k %.3fs  ratio %.1f" %
                  ("ok  " if ok else "FAIL", shape.__name__, small, big,
                   big / max(small, 1e-3)))
        failed += not ok
finally:
    shutil.rmtree(work)
sys.exit(1 if failed else 0)
EOF
