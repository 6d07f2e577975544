#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""echo-peer.py MODE SOCKET [READY] - a console that echoes what it is
typed, badly, for the secret-redaction tests.

It serves a unix socket; every client's input is echoed to every client
(so two sessions on it see each other's echo, like two sessions on one
console or a monitor mirroring input).  After each line it answers
"ok" and a new "$ " prompt.  MODE says how the echo misbehaves:
  plain  echo as received
  slow   one byte per 50 ms
  esc    each byte followed by ESC [ K (a line editor redrawing)
  wrap   a CR CR LF after the 9th byte of each line (busybox ash wrap)
  cut    echo the first 8 bytes of the first line, then go silent
  close  echo the first 8 bytes of the first line, then close
When READY is given, the file is created once the first echo is sent.
"""
import os
import select
import socket
import sys
import time

mode, path = sys.argv[1], sys.argv[2]
ready = sys.argv[3] if len(sys.argv) > 3 else None
try:
    os.unlink(path)
except FileNotFoundError:
    pass
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(4)
clients = []
col = 0
silent = False


def send_all(data):
    for c in list(clients):
        try:
            c.sendall(data)
        except OSError:
            clients.remove(c)


def echo(data):
    global col, silent
    if silent:
        return
    out = b""
    for i in range(len(data)):
        b = data[i:i + 1]
        if b in (b"\r", b"\n"):
            if mode in ("cut", "close"):
                continue
            send_all(out + b"\r\nok\r\n$ ")
            out = b""
            col = 0
            continue
        col += 1
        if mode in ("cut", "close") and col > 8:
            send_all(out)
            out = b""
            silent = True
            if ready:
                open(ready, "w").close()
            if mode == "close":
                for c in clients:
                    c.close()
                sys.exit(0)
            return
        if mode == "slow":
            send_all(b)
            time.sleep(0.05)
            continue
        out += b
        if mode == "esc":
            out += b"\x1b[K"
        if mode == "wrap" and col == 9:
            out += b"\r\r\n"
    send_all(out)
    if ready and not silent:
        open(ready, "w").close()


while True:
    rl = select.select([srv] + clients, [], [], 60)[0]
    if not rl:
        break
    for s in rl:
        if s is srv:
            c, _ = srv.accept()
            clients.append(c)
            c.sendall(b"$ ")
            continue
        try:
            data = s.recv(4096)
        except OSError:
            data = b""
        if not data:
            clients.remove(s)
            s.close()
            continue
        echo(data)
