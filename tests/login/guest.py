#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""guest.py - a fake serial console guest for the login tests.

Run as a spawn: peer (its stdin/stdout are the console).  It plays a
booting kernel, then getty and login, then a real shell (/bin/sh in a
pty of its own, like the guest's tty), and back to getty when the shell
exits.  The console is put in raw mode: echo and line endings are done
here, the way a guest's tty does them.

  --boot banner      "Linux version 6.1.0-57-amd64 (gcc-12) #", 0.3 s,
                     the rest of the line, 2 s, then getty (the repro of
                     issue 10: the banner ends in a prompt character)
  --boot none        getty at once
  --kmsg SEED        kernel messages interleave everything (login prompt,
                     user echo, password prompt, shell prompt, command
                     output), split in pieces right after '#', '$', '%' or
                     '>' so that a piece looks like a shell prompt
  --password PW      root's password (default tether-guest-pw)
  --fail-text TEXT   what login says for a wrong password
                     (default "Login incorrect")
  --deny-ps1 TEXT    the shell answers tether's PS1 line with TEXT (a
                     failure text after the prompt was typed)

Input typed while the kernel boots is echoed and then thrown away when
getty starts (busybox getty flushes the tty).  Everything typed is logged
to $GUEST_INPUT_LOG when set (one repr() per line).
"""
import argparse
import os
import pty
import random
import select
import signal
import sys
import termios
import time
import tty

IN, OUT = 0, 1
KMSG = [
    b"[    0.000000] Linux version 6.1.0-57-amd64 (debian-kernel@lists."
    b"debian.org) (gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0, GNU ld (GNU "
    b"Binutils for Debian) 2.40) #1 SMP PREEMPT_DYNAMIC Debian 6.1.158-1 "
    b"(2025-11-08)",
    b"[    2.915120] sched_clock: Marking stable (2893381561, 21660139)->"
    b"(2921560291, -6518591)",
    b"[    3.101822] e1000 0000:00:03.0 eth0: (PCI:33MHz:32-bit) "
    b"52:54:00:12:34:56",
    b"[    3.231234] EXT4-fs (vda1): 93% full, mounted filesystem",
    b"[    3.402311] audit: type=1400 audit(1700000000.123:2): apparmor="
    b"\"STATUS\" operation=\"profile_load\" name=\"$HOME/bin\"",
    b"[    4.001234] random: crng init done",
    b"[    4.511002] e1000: eth0 NIC Link is Up 1000 Mbps Full Duplex, "
    b"Flow Control: RX",
    b"[    4.612345] IPv6: ADDRCONF(NETDEV_CHANGE): eth0: link becomes "
    b"ready #",
]


class Guest:
    def __init__(self, a):
        self.a = a
        self.rng = random.Random(a.kmsg) if a.kmsg is not None else None
        self.inlog = None
        if os.environ.get("GUEST_INPUT_LOG"):
            self.inlog = open(os.environ["GUEST_INPUT_LOG"], "a")
        self.pending = b""      # typed, not yet taken as a line
        self.kq = []            # (time, bytes) kernel pieces to print

    def write(self, b):
        while b:
            n = os.write(OUT, b)
            b = b[n:]

    def log(self, what):
        if self.inlog:
            self.inlog.write(repr(what) + "\n")
            self.inlog.flush()

    def kmsg(self, soon=0.0):
        """Queues one kernel message, in pieces, starting soon."""
        if self.rng is None:
            return
        line = self.rng.choice(KMSG)
        cuts = [i + 1 for i, c in enumerate(line) if c in b"#$%>"]
        t = time.monotonic() + soon + self.rng.uniform(0, 0.05)
        pieces = []
        start = 0
        for c in cuts:
            if self.rng.random() < 0.7:
                pieces.append(line[start:c])
                start = c
        pieces.append(line[start:] + b"\r\n")
        self.kq.append((t, b"\r\n" + pieces[0]))
        for p in pieces[1:]:
            t += self.rng.choice([0.01, 0.08, 0.3])
            self.kq.append((t, p))
        self.kq.sort()

    def flush_kq(self):
        now = time.monotonic()
        while self.kq and self.kq[0][0] <= now:
            self.write(self.kq.pop(0)[1])

    def wait(self, fds, until):
        """select() on fds until `until` or the next kernel piece."""
        t = until
        if self.kq and (t is None or self.kq[0][0] < t):
            t = self.kq[0][0]
        timeout = None if t is None else max(0.0, t - time.monotonic())
        r, _, _ = select.select(fds, [], [], timeout)
        self.flush_kq()
        return r

    def sleep(self, secs, echo=True):
        """Sleeps; what is typed meanwhile is echoed (when echo) and kept
        as type-ahead, the way a tty in canonical mode does it."""
        until = time.monotonic() + secs
        while time.monotonic() < until or (self.kq and self.kq[0][0] <=
                                           until + 0.5):
            if IN in self.wait([IN], until):
                b = os.read(IN, 4096)
                if not b:
                    sys.exit(0)
                self.log(b)
                if echo:
                    self.write(b.replace(b"\r", b"\r\n"))
                self.pending += b

    def pause(self, echo):
        """A kernel message in pieces, and time for tether to react."""
        if self.rng is None:
            return
        self.kmsg()
        self.sleep(self.rng.choice([0.02, 0.4]), echo)

    def readline(self, echo):
        """Reads one line (CR or LF ends it) like a tty in canonical mode."""
        while True:
            for i, c in enumerate(self.pending):
                if c in b"\r\n":
                    line = self.pending[:i]
                    rest = self.pending[i + 1:]
                    if c == 13 and rest[:1] == b"\n":
                        rest = rest[1:]
                    self.pending = rest
                    if echo:
                        self.write(b"\r\n")
                    return line.decode("latin-1")
            self.wait([IN], None)
            b = os.read(IN, 4096)
            if not b:
                sys.exit(0)
            self.log(b)
            if echo:
                self.write(b.replace(b"\r", b"").replace(b"\n", b""))
            self.pending += b

    def boot(self):
        if self.a.boot == "banner":
            self.write(b"Linux version 6.1.0-57-amd64 (gcc-12) #")
            self.sleep(0.3)
            self.write(b"1 SMP PREEMPT_DYNAMIC Debian 6.1.158-1 "
                       b"(2025-11-08)\r\n")
            self.write(b"Command line: console=ttyS0 loglevel=8\r\n")
            self.sleep(2.0)
        self.pause(echo=True)
        self.pending = b""      # getty flushes what was typed ahead

    def login(self):
        """getty + login; returns when the password was right."""
        while True:
            self.pause(echo=True)
            self.write(b"\r\n\r\ntether login: ")
            self.kmsg()
            user = self.readline(echo=True)
            if user == "":
                continue
            self.pause(echo=False)
            self.write(b"Password: ")
            self.kmsg(0.1)
            pw = self.readline(echo=False)
            self.write(b"\r\n")
            self.pause(echo=False)
            if user == "root" and pw == self.a.password:
                return
            self.sleep(1.0, echo=False)
            self.write(self.a.fail_text.encode() + b"\r\n")

    def shell(self):
        pid, fd = pty.fork()
        if pid == 0:
            os.environ["PS1"] = "root@tether:~# "
            os.environ["ENV"] = "/dev/null"
            os.execvp(self.a.shell, [self.a.shell, "-i"])
        self.write(b"\r\n")
        # the guest's tty: pending type-ahead goes to the shell
        if self.pending:
            os.write(fd, self.pending)
            self.pending = b""
        self.kmsg(0.05)
        while True:
            r = self.wait([IN, fd], None)
            if IN in r:
                b = os.read(IN, 4096)
                if not b:
                    break
                self.log(b)
                if b"PS1=" in b and self.rng is not None:
                    # no kernel message in the middle of a command's
                    # output from here on: the tests compare it
                    for _, piece in self.kq:
                        self.write(piece)
                    self.kq = []
                    self.rng = None
                if b"PS1=" in b and self.a.deny_ps1:
                    # an account whose shell refuses it
                    self.write(b + b"\r\n" + self.a.deny_ps1.encode() +
                               b"\r\n")
                    continue
                os.write(fd, b)
                if b.strip(b"\r\n") == b"" and self.rng is not None and \
                        self.rng.random() < 0.5:
                    self.kmsg(0.01)
            if fd in r:
                try:
                    b = os.read(fd, 4096)
                except OSError:
                    b = b""
                if not b:
                    break
                self.write(b)
        os.close(fd)
        os.waitpid(pid, 0)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--boot", default="none", choices=["none", "banner"])
    p.add_argument("--kmsg", type=int, default=None)
    p.add_argument("--password", default="tether-guest-pw")
    p.add_argument("--fail-text", default="Login incorrect")
    p.add_argument("--shell", default="/bin/sh")
    p.add_argument("--deny-ps1", default="")
    a = p.parse_args()
    signal.signal(signal.SIGHUP, lambda *_: sys.exit(0))
    if os.isatty(IN):
        tty.setraw(IN)
    g = Guest(a)
    g.boot()
    while True:
        g.login()
        g.shell()


if __name__ == "__main__":
    main()
