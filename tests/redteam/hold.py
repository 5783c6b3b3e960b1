"""Starve ward-init's /healthz: open IDLE connections that never send a
byte and SLOW ones that drip a request a byte at a time, keep them open,
and time GET /healthz on fresh connections meanwhile.

usage: hold.py HOST PORT IDLE SLOW SAMPLES
Prints one JSON line: {"held": n, "samples_ms": [...], "max_ms": x, "ok": k,
"retaken_ms": [...]}: a sample over 100 ms is taken again once (its first
time listed in retaken_ms), so a loaded machine's scheduling alone does
not fail the run, while a starved helper does.
Bounded: connections are closed when it finishes (at most ~20 s).
"""
import json
import resource
import socket
import sys
import time

host, port, idle, slow, samples = sys.argv[1], int(sys.argv[2]), *map(int, sys.argv[3:6])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, idle + slow + 256)), hard))
held = []
for i in range(idle + slow):
    s = socket.socket()
    s.setblocking(False)
    try:
        s.connect((host, port))
    except BlockingIOError:
        pass
    held.append(s)
time.sleep(0.5)
req = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
lat, ok, retaken = [], 0, []
RETAKE_MS = 100


def probe():
    t0 = time.perf_counter()
    good = False
    try:
        c = socket.create_connection((host, port), timeout=2)
        c.sendall(req)
        data = b""
        while b"\r\n\r\n" not in data or not data.endswith(b"ok\n"):
            chunk = c.recv(4096)
            if not chunk:
                break
            data += chunk
        c.close()
        good = data.startswith(b"HTTP/1.1 200") and data.endswith(b"ok\n")
    except OSError:
        pass
    return (time.perf_counter() - t0) * 1e3, good


deadline = time.time() + 15
for k in range(samples):
    # the slow ones drip one more byte each round
    for j, s in enumerate(held[idle:]):
        try:
            s.send(req[k % len(req):k % len(req) + 1])
        except OSError:
            pass
    ms, good = probe()
    if good and ms >= RETAKE_MS:
        # Once: a loaded machine can deschedule either side for that long;
        # starvation (the helper not serving) stays, and is what fails.
        time.sleep(0.05)
        retaken.append(round(ms, 2))
        ms, good = probe()
    ok += good
    lat.append(ms)
    if time.time() > deadline:
        break
    time.sleep(0.1)
alive = 0
for s in held:
    try:
        s.send(b"")
        alive += 1
    except OSError:
        pass
    s.close()
print(json.dumps({"held": len(held), "samples_ms": [round(x, 2) for x in lat],
                  "max_ms": round(max(lat), 2) if lat else None, "ok": ok,
                  "samples": samples, "retaken_ms": retaken}))
