#!/usr/bin/env python3
"""The server side of bench/guard.sh: shaped like the torch-serve example
(examples/torch-serve/app/server.py, stdlib HTTP, JSON in and out) but with
HTTP/1.1 keep-alive and a pure-Python forward pass of the example's MLP size
(8 inputs, 16 hidden, 4 outputs) instead of PyTorch, so the benchmark runs on
hosts without torch.  Also /sse: Server-Sent Events, first event at once.

  guard_upstream.py PORT
"""
import json
import math
import random
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

rng = random.Random(7)
W1 = [[rng.uniform(-1, 1) for _ in range(8)] for _ in range(16)]
W2 = [[rng.uniform(-1, 1) for _ in range(16)] for _ in range(4)]


def predict(rows):
    out = []
    for x in rows:
        h = [max(0.0, sum(w * v for w, v in zip(ws, x))) for ws in W1]
        z = [sum(w * v for w, v in zip(ws, h)) for ws in W2]
        m = max(z)
        e = [math.exp(v - m) for v in z]
        s = sum(e)
        out.append({"logits": z, "probabilities": [v / s for v in e],
                    "label": max(range(4), key=lambda i: z[i])})
    return {"outputs": out, "usage": {"total_tokens": len(rows)}}


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # headers and body are separate writes: without TCP_NODELAY, Nagle and
    # the client's delayed ACK add ~40 ms to every keep-alive request
    disable_nagle_algorithm = True

    def log_message(self, *a):
        pass

    def send_json(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/sse":
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for i in range(3):
                ev = b"data: {\"n\": %d}\n\n" % i
                self.wfile.write(b"%x\r\n%s\r\n" % (len(ev), ev))
                self.wfile.flush()
                time.sleep(0.05)
            self.wfile.write(b"0\r\n\r\n")
            return
        self.send_json(200, {"status": "ok"})

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        req = json.loads(self.rfile.read(n) or b"{}")
        self.send_json(200, predict(req.get("inputs", [])))


class S(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024


if __name__ == "__main__":
    srv = S(("127.0.0.1", int(sys.argv[1])), H)
    print("ready", flush=True)
    srv.serve_forever()
