#!/usr/bin/env python3
"""Differential request-smuggling fuzz of the endpoint guard.

  guard_smuggle_fuzz.py GUARD_PORT UPSTREAM_LOG SEED COUNT

COUNT messages are built from SEED out of the primitives request smuggling
is made of — Content-Length and Transfer-Encoding in every spelling and
combination, duplicated, folded, with stray whitespace or case, chunked
bodies with extensions, trailers, odd sizes and short data, bare CR/LF,
pipelined follow-up requests hidden in bodies, encoded paths — and each is
sent on its own connection.  The upstream (guard_h11_upstream.py) parses what
the guard forwards with h11.  The guard is right when:
  - h11 never reports a protocol error (the guard forwards only
    unambiguous bytes);
  - the upstream sees exactly as many requests as the guard answered with
    the upstream's reply (nothing hidden, nothing extra);
  - every forwarded target is canonical (no dot segments, no encoded
    separator, no backslash).
Prints a summary; exit 1 on any violation (the offending message shown).
"""
import json
import random
import re
import socket
import sys
import time

GP, LOG, SEED, COUNT = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
rng = random.Random(SEED)

PATHS = [b"/v1/chat/completions", b"/v1/%63hat/completions", b"/v1/chat/../models",
         b"/v1//chat/completions", b"/v1/chat%2fcompletions", b"/v1/chat/completions;x",
         b"/v1/chat/completions?a=1", b"/v1\\chat", b"/v1/chat/%2e%2e/x", b"/v1/%252e/x",
         b"http://h/v1/chat/completions", b"/v1/chat/completions#f", b"/%c0%ae%c0%ae/v1"]
TE = [b"chunked", b"Chunked", b" chunked", b"chunked ", b"chunked, chunked", b"identity",
      b"chunked;q=1", b"\tchunked", b"xchunked", b"chunked\x0b", b"gzip, chunked", b""]
TE_NAMES = [b"Transfer-Encoding", b"transfer-encoding", b"Transfer_Encoding",
            b"Transfer-Encoding ", b" Transfer-Encoding", b"Transfer-Encoding\t", b"TE"]
CL_NAMES = [b"Content-Length", b"content-length", b"Content_Length", b"Content-Length ",
            b"Content-length"]
EOL = [b"\r\n"] * 8 + [b"\n", b"\r", b"\r\r\n", b"\n\r"]
HIDDEN = b"GET /admin HTTP/1.1\r\nHost: x\r\n\r\n"


def chunked_body(payload):
    out = b""
    i = 0
    while i < len(payload):
        n = rng.choice([1, 2, 5, len(payload) - i])
        n = min(n, len(payload) - i)
        size = b"%x" % n
        style = rng.random()
        if style < 0.05:
            size = b"0" * rng.randint(1, 20) + size
        elif style < 0.08:
            size = size.upper()
        elif style < 0.1:
            size += b";ext=" + b"a" * rng.randint(1, 5)
        elif style < 0.12:
            size = b" " + size
        elif style < 0.14:
            size = b"+" + size
        data = payload[i:i + n]
        if rng.random() < 0.05:
            data = data[:-1]  # shorter than declared
        out += size + rng.choice(EOL) + data + rng.choice(EOL)
        i += n
    last = b"0" + rng.choice(EOL)
    if rng.random() < 0.1:
        last += b"X-Trailer: 1\r\n"
    return out + last + rng.choice(EOL)


def message():
    eol = b"\r\n" if rng.random() < 0.85 else rng.choice(EOL)
    method = rng.choice([b"POST"] * 6 + [b"GET", b"PUT", b"post"])
    path = rng.choice(PATHS)
    version = rng.choice([b"HTTP/1.1"] * 8 + [b"HTTP/1.0", b"HTTP/1.2", b"HTTP/1.1 "])
    payload = b'{"x":1}' + (HIDDEN if rng.random() < 0.3 else b"")
    headers = [b"Host: g"]
    if rng.random() < 0.05:
        headers.append(b"Host: h")
    framing = rng.random()
    body = payload
    if framing < 0.35:
        headers.append(rng.choice(CL_NAMES) + b": " + b"%d" % len(payload))
    elif framing < 0.7:
        headers.append(rng.choice(TE_NAMES) + b":" + rng.choice([b" ", b"", b"\t"]) +
                       rng.choice(TE))
        body = chunked_body(payload)
    else:
        headers.append(rng.choice(CL_NAMES) + b": " +
                       rng.choice([b"%d" % len(payload), b"%d" % (len(payload) - 3),
                                   b"%d, %d" % (len(payload), len(payload)), b"0"]))
        headers.append(rng.choice(TE_NAMES) + b": " + rng.choice(TE))
        body = chunked_body(payload) if rng.random() < 0.5 else payload
    if rng.random() < 0.1:
        headers.append(rng.choice(CL_NAMES) + b": " + b"%d" % len(payload))
    if rng.random() < 0.05:
        i = rng.randrange(len(headers))
        headers[i] = headers[i] + eol + rng.choice([b" ", b"\t"]) + b"folded"
    if rng.random() < 0.05:
        headers.append(b"Expect: 100-continue")
    rng.shuffle(headers)
    msg = method + b" " + path + b" " + version + eol + eol.join(headers) + eol + eol + body
    if rng.random() < 0.15:
        msg += HIDDEN  # a pipelined second request
    return msg


def send(msg):
    s = socket.create_connection(("127.0.0.1", GP), timeout=3)
    try:
        s.sendall(msg)
        s.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    data = b""
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            data += d
    except OSError:
        pass
    s.close()
    return data


upstream_replies = 0
statuses = {}
for i in range(COUNT):
    msg = message()
    resp = send(msg)
    for m in re.finditer(rb"HTTP/1\.[01] (\d{3})", resp):
        statuses[m.group(1).decode()] = statuses.get(m.group(1).decode(), 0) + 1
    upstream_replies += resp.count(b'{"seen": ')
time.sleep(0.3)
recs = [json.loads(l) for l in open(LOG)]
errors = [r for r in recs if "error" in r]
reqs = [r for r in recs if "error" not in r]
bad_targets = [r["target"] for r in reqs
               if re.search(r"(^|/)\.\.?(/|$|\?)|%2[fF]|%5[cC]|\\|//|%25|;", r["target"].split("?")[0])]
print("%d messages: guard statuses %s; upstream parsed %d requests, answered %d through the "
      "guard; h11 errors %d; non-canonical targets %d" %
      (COUNT, dict(sorted(statuses.items())), len(reqs), upstream_replies, len(errors),
       len(bad_targets)))
ok = not errors and len(reqs) == upstream_replies and not bad_targets
if errors:
    print("h11 errors:", errors[:3])
if bad_targets:
    print("targets:", bad_targets[:3])
sys.exit(0 if ok else 1)
