#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""leakcheck.py SECRET FILE... - exit 1 if any FILE shows more than 3
consecutive bytes of SECRET, once asciicast events are joined, JSON and
XML escapes decoded and CR, LF, NUL and terminal escape sequences (which
a replay would render away) removed.  Names each leaking file."""
import html
import json
import re
import sys

secret = sys.argv[1].encode()
parts = {secret[i:i + 4] for i in range(len(secret) - 3)}
esc = re.compile(rb"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|"
                 rb"[ -/]*[0-~])")
bad = 0
for path in sys.argv[2:]:
    try:
        data = open(path, "rb").read()
    except OSError as e:
        print(f"leakcheck: {path}: {e}")
        bad = 1
        continue
    views = [data]
    if path.endswith(".cast"):
        out = b""
        for line in data.splitlines()[1:]:
            ev = json.loads(line)
            if ev[1] == "o":
                out += ev[2].encode("utf-8", "surrogateescape")
        views.append(out)
    if path.endswith(".xml"):
        views.append(html.unescape(data.decode("utf-8", "replace"))
                     .encode())
    if data.lstrip().startswith(b"{"):
        for line in data.splitlines():
            try:
                views.append(json.dumps(json.loads(line),
                                        ensure_ascii=False).encode())
            except ValueError:
                pass
    for v in views:
        flat = re.sub(rb"[\r\n\x00]", b"", esc.sub(b"", v))
        hit = [p for p in parts if p in flat]
        if hit:
            print(f"leakcheck: {path} shows {hit[0]!r} of the secret")
            bad = 1
            break
sys.exit(bad)
