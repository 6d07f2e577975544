# SPDX-License-Identifier: ISC
"""hostile_peer.py - helpers for the hostile-peer suite's python3 peers.

A peer script does

    import hostile_peer as peer
    srv = peer.listen("tcp")
    conn, _ = srv.accept()
    ...misbehave...

listen() binds "tcp" (a free loopback port) or "unix:PATH" and prints
"ready ADDR" for lib.sh's peer_start; ADDR is what a playbook opens
(tcp:HOST:PORT, unix:PATH).  Do not name a peer script hostile_peer.py.
"""
import os
import socket
import sys


def listen(where, backlog=8):
    """Returns a listening socket for "tcp" or "unix:PATH"; announces it."""
    if where.startswith("unix:"):
        path = where[5:]
        if os.path.exists(path):
            os.unlink(path)
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        srv.bind(path)
        srv.listen(backlog)
        announce("unix:" + path)
    else:
        srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind(("127.0.0.1", 0))
        srv.listen(backlog)
        announce("tcp:127.0.0.1:%d" % srv.getsockname()[1])
    return srv


def announce(addr):
    """Prints the line lib.sh waits for."""
    print("ready " + addr, flush=True)


def send_all(conn, data):
    """Sends data; returns False once the other side is gone."""
    try:
        conn.sendall(data)
        return True
    except OSError:
        return False


def log(*args):
    """A note on stderr (shown when the test fails)."""
    print(*args, file=sys.stderr, flush=True)
