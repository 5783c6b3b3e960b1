#!/usr/bin/env python3
"""A stand-in inference server for the endpoint guard's tests.

It behaves like the vulnerable servers the guard must shield (every route
answers, management included: Ollama's /api/create and /api/push, vLLM's
/invocations and /tokenize, TorchServe's /models) and records every byte it
receives, so a test can prove a refused request never reached it.

  guard_upstream.py (--port N | --unix PATH) --record FILE [--sse-delay S]

Responses: JSON {"method","path","body_bytes","headers"} with an OpenAI-style
usage block ({"usage":{"total_tokens":N}}, N from the X-Test-Tokens request
header, default 7); /sse streams three Server-Sent Events (chunked, one
--sse-delay apart, the first at once); /chunked answers chunked; /slow waits
2 s before answering; /close answers without a length and closes; /drop
answers normally (keep-alive) and then closes the connection anyway.
"""
import argparse
import json
import os
import socket
import socketserver
import sys
import threading
import time

LOCK = threading.Lock()


def record(path, data):
    with LOCK:
        with open(path, "ab") as f:
            f.write(data)


class Handler(socketserver.BaseRequestHandler):
    def setup(self):
        self.buf = b""

    def read_more(self):
        data = self.request.recv(65536)
        if data:
            record(self.server.record, data)
        return data

    def read_until(self, sep):
        while sep not in self.buf:
            d = self.read_more()
            if not d:
                return None
            self.buf += d
        i = self.buf.index(sep) + len(sep)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def read_n(self, n):
        while len(self.buf) < n:
            d = self.read_more()
            if not d:
                return None
            self.buf += d
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def handle(self):
        while True:
            head = self.read_until(b"\r\n\r\n")
            if head is None:
                return
            lines = head.decode("latin-1").split("\r\n")
            method, target, version = lines[0].split(" ", 2)
            headers = {}
            for l in lines[1:]:
                if l:
                    k, v = l.split(":", 1)
                    headers[k.strip().lower()] = v.strip()
            body = b""
            if headers.get("transfer-encoding", "").lower() == "chunked":
                while True:
                    size = int(self.read_until(b"\r\n").strip(), 16)
                    if size == 0:
                        self.read_until(b"\r\n")
                        break
                    body += self.read_n(size)
                    self.read_n(2)
            elif "content-length" in headers:
                body = self.read_n(int(headers["content-length"]))
            path = target.split("?")[0]
            keep = version == "HTTP/1.1" and headers.get("connection", "").lower() != "close"
            self.version = version
            if not self.respond(method, path, headers, body, keep):
                return
            if path == "/drop":  # a server that drops kept-alive connections
                time.sleep(0.05)
                return
            if not keep:
                return

    def send(self, data):
        self.request.sendall(data)

    def respond(self, method, path, headers, body, keep):
        tokens = int(headers.get("x-test-tokens", "7"))
        if path == "/slow":
            time.sleep(2)
        if path == "/sse" and self.version == "HTTP/1.1":
            self.send(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                      b"Cache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n\r\n")
            for i in range(3):
                ev = b"data: {\"n\": %d}\n\n" % i
                if i == 2:
                    ev = (b"data: {\"usage\": {\"prompt_tokens\": 1, \"total_tokens\": %d}}\n\n"
                          % tokens)
                self.send(b"%x\r\n%s\r\n" % (len(ev), ev))
                if i < 2:
                    time.sleep(self.server.sse_delay)
            self.send(b"0\r\n\r\n")
            return True
        doc = {"method": method, "path": path, "body_bytes": len(body),
               "headers": headers, "usage": {"prompt_tokens": 1,
                                             "completion_tokens": tokens - 1,
                                             "total_tokens": tokens}}
        payload = json.dumps(doc).encode() + b"\n"
        if path == "/close":
            self.send(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                      b"Connection: close\r\n\r\n" + payload)
            return False
        if path == "/chunked" and self.version == "HTTP/1.1":
            half = len(payload) // 2
            self.send(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                      b"Transfer-Encoding: chunked\r\n\r\n")
            self.send(b"%x\r\n%s\r\n" % (half, payload[:half]))
            self.send(b"%x\r\n%s\r\n0\r\n\r\n" % (len(payload) - half, payload[half:]))
            return True
        head = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                b"Content-Length: %d\r\n" % len(payload))
        if not keep:
            head += b"Connection: close\r\n"
        self.send(head + b"\r\n" + (b"" if method == "HEAD" else payload))
        return True


class TCP(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256


class Unix(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--unix")
    ap.add_argument("--record", required=True)
    ap.add_argument("--sse-delay", type=float, default=0.3)
    a = ap.parse_args()
    open(a.record, "wb").close()
    if a.unix:
        if os.path.exists(a.unix):
            os.unlink(a.unix)
        srv = Unix(a.unix, Handler)
    else:
        srv = TCP((a.host, a.port), Handler)
    srv.record = a.record
    srv.sse_delay = a.sse_delay
    print("ready", flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
