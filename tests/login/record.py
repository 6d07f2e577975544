#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""record.py - records a real boot of the test guest for the replay tests.

usage: record.py OUT APPEND [KERNEL INITRD PASSWORD]

Boots the guest of scripts/mkguest (build/guest by default) under TCG
with -append APPEND and its serial console on a unix socket, and drives
the console the way tether's login and run do (the same lines: user
name, password, tether's PS1 line, run lines with markers), waiting each
time until the guest has answered and gone quiet.  Writes:

  OUT.raw   every byte the guest sent, as received
  OUT.idx   one line per input: "OFFSET KIND", where the guest had sent
            OFFSET bytes when it got the input; what it sent after (up
            to the next input) is its answer.  KIND is empty, user,
            password, badpassword, ps1 or run:COMMAND.

The run lines use the nonce "f00d" (tests/login/replay.py puts tether's
own nonce in its place).  A loglevel=8 boot is long: OUT.raw keeps the
first and last KEEP bytes of the boot (the banner, the login prompt and
the kernel lines around it) with the middle cut at a line boundary.
"""
import os
import re
import select
import socket
import subprocess
import sys
import tempfile
import time

NONCE = "f00d"
SETUP = " PS1='[teth''er]# '; unset PROMPT_COMMAND 2>/dev/null"
COMMANDS = ["uname -r", "echo one; echo two", "echo hello <&>",
            "echo after"]
KEEP = 12 * 1024


def run_line(cmd):
    q = "'" + cmd.replace("'", "'\\''") + "'"
    return ("printf '\\036%%s\\037\\n' S.%s; eval %s; "
            "printf '\\036%%s.%%s\\037\\n' E.%s \"$?\"" % (NONCE, q, NONCE))


class Console:
    def __init__(self, sock):
        self.sock = sock
        self.data = b""
        self.idx = []

    def read_until(self, tail, quiet=0.5, timeout=120):
        """Reads until the answer to the last input holds tail (kernel
        messages may follow it) and nothing comes for quiet seconds."""
        end = time.monotonic() + timeout
        since = self.idx[-1][0] if self.idx else 0
        while time.monotonic() < end:
            r, _, _ = select.select([self.sock], [], [], quiet)
            if r:
                b = self.sock.recv(65536)
                if not b:
                    raise SystemExit("record: guest closed the console")
                self.data += b
                continue
            # busybox ash asks for the cursor position after its prompt
            text = re.sub(rb"\x1b\[[0-9;?]*[A-Za-z]", b"", self.data[since:])
            if tail in text:
                return
        raise SystemExit("record: no %r; last: %r" % (tail, self.data[-300:]))

    def send(self, kind, line):
        self.idx.append((len(self.data), kind))
        self.sock.sendall(line.encode() + b"\r")


def main():
    out, append = sys.argv[1], sys.argv[2]
    root = os.path.dirname(os.path.abspath(__file__)) + "/../.."
    g = root + "/build/guest"
    kernel = sys.argv[3] if len(sys.argv) > 3 else g + "/vmlinux"
    initrd = sys.argv[4] if len(sys.argv) > 4 else g + "/initrd.img"
    password = sys.argv[5] if len(sys.argv) > 5 else "tether-guest-pw"
    tmp = tempfile.mkdtemp()
    path = tmp + "/serial.sock"
    qemu = subprocess.Popen([
        "qemu-system-x86_64", "-accel", "tcg", "-m", "256", "-nographic",
        "-no-reboot", "-kernel", kernel, "-initrd", initrd,
        "-append", append, "-nic", "none", "-monitor", "none",
        "-serial", "unix:%s,server=on,wait=on" % path],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    try:
        for _ in range(100):
            if os.path.exists(path):
                break
            time.sleep(0.05)
        s = socket.socket(socket.AF_UNIX)
        s.connect(path)
        c = Console(s)
        c.read_until(b"login: ")
        boot = len(c.data)
        c.send("empty", "")
        c.read_until(b"login: ")
        c.send("user", "root")
        c.read_until(b"Password: ")
        c.send("badpassword", "not-the-password")
        c.read_until(b"login: ", quiet=1.0)
        c.send("user", "root")
        c.read_until(b"Password: ")
        c.send("password", password)
        c.read_until(b"# ")
        c.send("empty", "")
        c.read_until(b"# ")
        c.send("ps1", SETUP)
        c.read_until(b"[tether]# ")
        c.send("empty", "")
        c.read_until(b"[tether]# ")
        for cmd in COMMANDS:
            c.send("run:" + cmd, run_line(cmd))
            c.read_until(b"[tether]# ")
    finally:
        qemu.kill()
        qemu.wait()
        try:
            os.unlink(path)
        except OSError:
            pass
        os.rmdir(tmp)
    data, idx = c.data, c.idx
    if boot > 2 * KEEP:
        # cut the middle of the boot at line boundaries
        a = data.index(b"\n", KEEP) + 1
        b = data.index(b"\n", boot - KEEP) + 1
        cut = b"[  ...  ] (record.py: %d bytes of boot messages cut)\r\n" % (
            b - a)
        data = data[:a] + cut + data[b:]
        shift = (b - a) - len(cut)
        idx = [(o - shift, k) for o, k in idx]
    with open(out + ".raw", "wb") as f:
        f.write(data)
    with open(out + ".idx", "w") as f:
        for o, k in idx:
            f.write("%d %s\n" % (o, k))
    print("%s: %d bytes, %d inputs" % (out, len(data), len(idx)))


if __name__ == "__main__":
    main()
