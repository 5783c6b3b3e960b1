#!/usr/bin/env python3
"""A small HTTP server for ward's fetch tests: serves a directory with
Range support, and misbehaves on request.

usage: http_mirror.py ROOT PORTFILE LOGFILE [--cut SUBSTR:N:BYTES]...
                      [--corrupt SUBSTR] [--slow SUBSTR:SECONDS]

--cut SUBSTR:N:BYTES  the first N GETs whose path contains SUBSTR send the
                      headers of the whole answer, then BYTES bytes of it,
                      then close the connection (a network failure mid-body)
--corrupt SUBSTR      files whose path contains SUBSTR are served with one
                      byte flipped
The port chosen is written to PORTFILE; every request is logged to LOGFILE
as "GET PATH RANGE-or-dash STATUS".
"""
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT, PORTFILE, LOGFILE = sys.argv[1:4]
CUTS = []  # [substr, remaining, bytes]
CORRUPT = []
lock = threading.Lock()
args = sys.argv[4:]
while args:
    opt, val = args[0], args[1]
    args = args[2:]
    if opt == "--cut":
        s, n, b = val.rsplit(":", 2)
        CUTS.append([s, int(n), int(b)])
    elif opt == "--corrupt":
        CORRUPT.append(val)
    else:
        sys.exit("unknown option " + opt)


def log(line):
    with lock, open(LOGFILE, "a") as f:
        f.write(line + "\n")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):
        pass

    def do_GET(self):
        path = os.path.normpath(self.path.split("?")[0]).lstrip("/")
        full = os.path.join(ROOT, path)
        rng = self.headers.get("Range") or "-"
        if ".." in path.split("/") or not os.path.isfile(full):
            log("GET /%s %s 404" % (path, rng))
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        data = open(full, "rb").read()
        if any(c in path for c in CORRUPT) and data:
            b = bytearray(data)
            b[len(b) // 2] ^= 0x01
            data = bytes(b)
        start, status = 0, 200
        if rng != "-" and rng.startswith("bytes="):
            start = int(rng[6:].split("-")[0])
            if start >= len(data):
                log("GET /%s %s 416" % (path, rng))
                self.send_response(416)
                self.send_header("Content-Range", "bytes */%d" % len(data))
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            status = 206
        body = data[start:]
        cut = None
        with lock:
            for c in CUTS:
                if c[0] in path and c[1] > 0:
                    c[1] -= 1
                    cut = c[2]
                    break
        log("GET /%s %s %d%s" % (path, rng, status, " cut" if cut is not None else ""))
        self.send_response(status)
        if status == 206:
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, len(data) - 1, len(data)))
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        if cut is not None:
            self.wfile.write(body[:cut])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # clients that hang up (ward giving up a transfer) are expected


server = Server(("127.0.0.1", 0), Handler)
with open(PORTFILE + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(PORTFILE + ".tmp", PORTFILE)
server.serve_forever()
