#!/usr/bin/python3
# SPDX-License-Identifier: ISC
# pexpect-bench.py - the benchmark scenarios through pexpect (Debian's
# python3-pexpect, run with /usr/bin/python3), one scenario per run,
# printing one line of key=value results.
#
# usage: pexpect-bench.py s1 SIZE FLOOD   spawn FLOOD SIZE, expect "READY> "
#        pexpect-bench.py s1u PATH        unix socket PATH (fdspawn)
#        pexpect-bench.py s2 N            N send/expect round trips with cat
#        pexpect-bench.py s3 N            N cat sessions, one round trip each
#        pexpect-bench.py s4 N PATH       N "echo i" / prompt round trips
#
# pexpect is tuned as far as its API allows: expect_exact (searches only
# the new bytes plus a lookback), maxread 65536 for floods,
# delaybeforesend=None and delayafterread=None (no sleeps around reads
# and writes), use_poll=True (select() cannot see fds above 1023).
# PEXPECT_MAXREAD overrides maxread (2000 is pexpect's default).
import os
import resource
import signal
import socket
import sys
import time

import pexpect
import pexpect.fdpexpect

MAXREAD = int(os.environ.get("PEXPECT_MAXREAD", "65536"))
TIMEOUT = 600


def vm(field):
    """Returns a status field of this process (VmRSS, VmHWM) in KiB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def cpu():
    """Returns the CPU time (user + system) of this process in seconds."""
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def report(t, c, count, **extra):
    fields = ["secs=%.6f" % t, "cpu=%.6f" % c, "count=%d" % count,
              "maxrss_kb=%d" % vm("VmHWM")]
    fields += ["%s=%s" % kv for kv in extra.items()]
    print(" ".join(fields), flush=True)


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def tune(p):
    p.delaybeforesend = None
    p.delayafterread = None
    return p


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s


def s1(size, flood):
    t0, c0 = time.monotonic(), cpu()
    p = tune(pexpect.spawn(flood, [size], maxread=MAXREAD, timeout=TIMEOUT,
                           echo=False, use_poll=True))
    p.expect_exact(b"READY> ")
    report(time.monotonic() - t0, cpu() - c0, 0)
    p.close(force=True)


def s1u(path):
    t0, c0 = time.monotonic(), cpu()
    s = connect(path)
    p = tune(pexpect.fdpexpect.fdspawn(s.fileno(), maxread=MAXREAD,
                                       timeout=TIMEOUT, use_poll=True))
    p.expect_exact(b"READY> ")
    report(time.monotonic() - t0, cpu() - c0, 0)
    s.close()


def s2(n):
    p = tune(pexpect.spawn("cat", echo=False, timeout=TIMEOUT,
                           use_poll=True))
    t0, c0 = time.monotonic(), cpu()
    for i in range(n):
        p.send(b"%d\n" % i)
        p.expect_exact(b"%d\r\n" % i)
    report(time.monotonic() - t0, cpu() - c0, n)
    p.close(force=True)


def s3(n):
    raise_nofile()
    rss0 = vm("VmRSS")
    t0, c0 = time.monotonic(), cpu()
    ps = []
    for i in range(n):
        ps.append(tune(pexpect.spawn("cat", echo=False, timeout=TIMEOUT,
                                     use_poll=True)))
    for i, p in enumerate(ps):
        p.send(b"hello %d\n" % i)
    for i, p in enumerate(ps):
        p.expect_exact(b"hello %d\r\n" % i)
    t, c = time.monotonic() - t0, cpu() - c0
    rss1 = vm("VmRSS")
    report(t, c, n, per_session_kb="%.1f" % ((rss1 - rss0) / n))
    # close() sleeps 0.1 s per session: kill and reap them directly.
    for p in ps:
        os.kill(p.pid, signal.SIGKILL)
    for p in ps:
        os.waitpid(p.pid, 0)
        p.ptyproc.terminated = True
    os._exit(0)


def s4(n, path):
    s = connect(path)
    p = tune(pexpect.fdpexpect.fdspawn(s.fileno(), timeout=TIMEOUT,
                                       use_poll=True))
    p.expect_exact(b"PROMPT> ")
    t0, c0 = time.monotonic(), cpu()
    for i in range(n):
        p.send(b"echo %d\r" % i)
        p.expect_exact(b"%d\r\nPROMPT> " % i)
    report(time.monotonic() - t0, cpu() - c0, n)
    s.close()


def main(argv):
    try:
        if len(argv) == 3 and argv[0] == "s1":
            s1(argv[1], argv[2])
        elif len(argv) == 2 and argv[0] == "s1u":
            s1u(argv[1])
        elif len(argv) == 2 and argv[0] == "s2":
            s2(int(argv[1]))
        elif len(argv) == 2 and argv[0] == "s3":
            s3(int(argv[1]))
        elif len(argv) == 3 and argv[0] == "s4":
            s4(int(argv[1]), argv[2])
        else:
            sys.stderr.write("usage: pexpect-bench.py s1 SIZE FLOOD | "
                             "s1u PATH | s2 N | s3 N | s4 N PATH\n")
            return 2
    except (pexpect.EOF, pexpect.TIMEOUT) as e:
        sys.stderr.write("pexpect-bench: %s\n" % type(e).__name__)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
