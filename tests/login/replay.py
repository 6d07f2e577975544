#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""replay.py - plays a recorded boot of the test guest back to tether.

usage: replay.py DATA [--chunk MODE] [--password PW]
       replay.py DATA --list-splits

DATA names tests/login/data/NAME (NAME.raw, NAME.idx: see record.py).
Run as a spawn: peer (its stdin/stdout are the console, put in raw mode).
It sends the recorded boot up to the login prompt, then answers what
tether types the way the guest did, keyed on what it is:

  state LOGIN    empty line: the prompt again; "root": the password prompt
                 (another name: its echo and the password prompt)
  state PASSWORD the password: the shell; anything else: Login incorrect
  state SHELL    empty line: the prompt again; tether's PS1 line: its
                 prompt (state TSHELL)
  state TSHELL   empty line, PS1 line, or a run line (its nonce put in
                 place of the recorded one) for a recorded command

What is typed before getty's first login prompt is thrown away (getty
flushes the tty); what is typed while the rest of the boot or an answer
is being sent waits for it (type-ahead).  Anything else is reported as "replay: unexpected ...".

--chunk MODE, how the bytes are written:
  whole          each answer in one write (default)
  split:OFF[:MS] one pause of MS ms (default 400) at byte OFF of DATA.raw
  bytes[:US]     one byte per write, US microseconds apart (default 30)
  random:SEED    random chunks and delays (seeded)
--list-splits prints the offsets worth splitting at: around the banner's
"#", every prompt character in the boot, and around every prompt end.
"""
import argparse
import os
import random
import re
import select
import signal
import sys
import time
import tty

NONCE = b"f00d"
RUN_RE = re.compile(rb"^printf '\\036%s\\037\\n' S\.([0-9a-f]+); eval (.*); "
                    rb"printf '\\036%s\.%s\\037\\n' E\.([0-9a-f]+) \"\$\?\"$")
SETUP = b" PS1='[teth''er]# '; unset PROMPT_COMMAND 2>/dev/null"


def load(data):
    raw = open(data + ".raw", "rb").read()
    idx = []
    for line in open(data + ".idx"):
        off, kind = line.rstrip("\n").split(" ", 1)
        idx.append((int(off), kind))
    answers = {}
    state = "LOGIN"
    after = {"user": "PASSWORD", "badpassword": "LOGIN",
             "password": "SHELL", "ps1": "TSHELL"}
    for i, (off, kind) in enumerate(idx):
        end = idx[i + 1][0] if i + 1 < len(idx) else len(raw)
        answers.setdefault((state, kind), (off, end))
        state = after.get(kind, state)
    return raw, idx, answers


def unquote(q):
    """Undoes tether's single quoting of a run command (run_quote)."""
    if not (q.startswith(b"'") and q.endswith(b"'")):
        return None
    return q[1:-1].replace(b"'\\''", b"'")


def splits(raw, idx, answers):
    """Offsets worth a pause, in what a login and the runs replay: around
    the banner's "#", after every prompt character of the boot, around
    every prompt's end."""
    boot = idx[0][0]
    used = [(0, boot)] + [v for k, v in answers.items()
                          if k[1] != "badpassword"]
    out = set()
    m = re.search(rb"Linux version [^\r\n]*?\) #", raw[:boot])
    if m:
        for d in range(-3, 4):
            out.add(m.end() + d)
    for i, c in enumerate(raw[:boot]):
        if c in b"#$%>":
            out.add(i + 1)
    for m in re.finditer(rb"login: |Password: |# (\x1b\[6n)?", raw):
        for d in range(-2, 3):
            out.add(m.end() + d)
    return sorted(o for o in out
                  if any(a < o < b for a, b in used))


class Replay:
    def __init__(self, a):
        self.a = a
        self.raw, self.idx, self.answers = load(a.data)
        self.state = "LOGIN"
        self.user_ok = False
        self.typed = b""
        self.rng = None
        self.split = None
        self.pause = 0.4
        self.us = 30
        mode = a.chunk.split(":")
        if mode[0] == "split":
            self.split = int(mode[1])
            if len(mode) > 2:
                self.pause = int(mode[2]) / 1000.0
        elif mode[0] == "bytes" and len(mode) > 1:
            self.us = int(mode[1])
        elif mode[0] == "random":
            self.rng = random.Random(int(mode[1]))
        self.mode = mode[0]

    def write(self, b):
        while b:
            n = os.write(1, b)
            b = b[n:]

    def take_input(self, keep):
        """Reads what tether typed without waiting; keeps it or not."""
        while select.select([0], [], [], 0)[0]:
            b = os.read(0, 4096)
            if not b:
                sys.exit(0)
            if keep:
                self.typed += b

    def nap(self, secs, keep):
        end = time.monotonic() + secs
        while True:
            left = end - time.monotonic()
            if left <= 0:
                break
            if select.select([0], [], [], left)[0]:
                self.take_input(keep)

    def send(self, start, end, nonce=None, keep=True):
        """Writes raw[start:end] (the recorded nonce replaced) in the
        chunks the mode asks for."""
        seg = self.raw[start:end]
        cut = None
        if self.split is not None and start < self.split < end:
            cut = self.split - start
        if nonce is not None:
            # map the cut past the nonces replaced before it
            if cut is not None:
                head = seg[:cut]
                n = head.count(NONCE)
                k = head.rfind(NONCE[:1], max(0, cut - len(NONCE) + 1))
                if k >= 0 and seg[k:k + len(NONCE)] == NONCE and \
                        k + len(NONCE) > cut:
                    cut = k
                cut += n * (len(nonce) - len(NONCE))
            seg = seg.replace(NONCE, nonce)
        if self.mode == "bytes":
            for i in range(len(seg)):
                self.write(seg[i:i + 1])
                self.nap(self.us / 1e6, keep)
            return
        if self.mode == "random":
            i = 0
            while i < len(seg):
                n = self.rng.choice([1, 1, 2, 3, 5, 8, 16, 64, 200])
                self.write(seg[i:i + n])
                i += n
                r = self.rng.random()
                if r < 0.004:
                    self.nap(0.4, keep)
                elif r < 0.2:
                    self.nap(self.rng.choice([0.001, 0.005, 0.02]), keep)
            return
        if cut is not None:
            self.write(seg[:cut])
            self.nap(self.pause, keep)
            seg = seg[cut:]
        self.write(seg)

    def answer(self, state, kind, nonce=None):
        a = self.answers.get((state, kind))
        if a is None:
            self.unexpected("no recorded answer to %s in %s" % (kind, state))
            return
        self.send(a[0], a[1], nonce)

    def unexpected(self, what):
        self.write(b"\r\nreplay: unexpected: " +
                   what.encode("ascii", "backslashreplace") + b"\r\n")

    def line(self, ln):
        st = self.state
        if os.environ.get("REPLAY_TRACE"):
            with open(os.environ["REPLAY_TRACE"], "a") as f:
                f.write("%.3f %s %r\n" % (time.monotonic(), st, ln[:40]))
        if st == "LOGIN":
            if ln == b"":
                self.answer(st, "empty")
            elif ln == b"root":
                self.user_ok = True
                self.answer(st, "user")
                self.state = "PASSWORD"
            else:
                self.user_ok = False
                self.write(ln + b"\r\nPassword: ")
                self.state = "PASSWORD"
        elif st == "PASSWORD":
            if self.user_ok and ln == self.a.password.encode():
                self.answer(st, "password")
                self.state = "SHELL"
            else:
                self.answer(st, "badpassword")
                self.state = "LOGIN"
        elif ln == b"":
            self.answer(st, "empty")
        elif ln == SETUP:
            self.answer("SHELL", "ps1")
            self.state = "TSHELL"
        else:
            m = RUN_RE.match(ln)
            cmd = unquote(m.group(2)) if m else None
            if st != "TSHELL" or m is None or cmd is None or \
                    m.group(1) != m.group(3):
                self.unexpected("%r in %s" % (ln, st))
                return
            self.answer(st, "run:" + cmd.decode("latin-1"), m.group(1))

    def main(self):
        # What is typed before getty's first prompt is lost (getty
        # flushes the tty); after it, getty reads it once the boot
        # messages printed meanwhile are out.
        boot = self.idx[0][0]
        m = re.search(rb"[^\r\n]*login: ", self.raw[:boot])
        first = m.start() if m else boot
        self.send(0, first, keep=False)
        self.typed = b""
        self.send(first, boot)
        while True:
            while True:
                m = re.search(rb"\r\n|\r|\n", self.typed)
                if m is None:
                    break
                ln = self.typed[:m.start()]
                self.typed = self.typed[m.end():]
                self.line(ln)
            select.select([0], [], [])
            self.take_input(True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("data")
    p.add_argument("--chunk", default="whole")
    p.add_argument("--password", default="tether-guest-pw")
    p.add_argument("--list-splits", action="store_true")
    a = p.parse_args()
    if a.list_splits:
        raw, idx, answers = load(a.data)
        print(" ".join(str(o) for o in splits(raw, idx, answers)))
        return
    signal.signal(signal.SIGHUP, lambda *_: sys.exit(0))
    if os.isatty(0):
        tty.setraw(0)
    Replay(a).main()


if __name__ == "__main__":
    main()
