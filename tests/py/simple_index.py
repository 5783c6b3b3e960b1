#!/usr/bin/env python3
"""A throwaway simple repository (PEP 503 HTML and PEP 691 JSON, by the
Accept header) on 127.0.0.1 for ward's wheel tests.

usage: simple_index.py WHEELDIR PORTFILE LOGFILE [--html-only] [--no-hashes]

Serves /simple/<normalized-name>/ for every wheel (and sdist) in WHEELDIR,
links pointing at /files/<filename> (relative, as PyPI's pages do), with
#sha256= fragments (HTML) or hashes (JSON) unless --no-hashes, and the
files themselves.  The chosen port goes to PORTFILE; requests are logged
to LOGFILE as "GET PATH ACCEPT-KIND STATUS".
"""
import hashlib
import html
import json
import os
import re
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

WHEELS, PORTFILE, LOGFILE = sys.argv[1:4]
HTML_ONLY = "--html-only" in sys.argv
NO_HASHES = "--no-hashes" in sys.argv


def norm(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def projects():
    out = {}
    for f in sorted(os.listdir(WHEELS)):
        if f.endswith(".whl") or f.endswith(".tar.gz"):
            name = norm(f.split("-")[0])
            path = os.path.join(WHEELS, f)
            with open(path, "rb") as fh:
                digest = hashlib.sha256(fh.read()).hexdigest()
            out.setdefault(name, []).append((f, digest, os.path.getsize(path)))
    return out


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def send(self, code, body, ctype):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        accept = self.headers.get("Accept", "")
        want_json = "application/vnd.pypi.simple.v1+json" in accept and not HTML_ONLY
        code = 200
        m = re.fullmatch(r"/simple/([^/]+)/", self.path)
        if m:
            files = projects().get(m.group(1))
            if files is None:
                code = 404
                self.send(404, b"not found", "text/plain")
            elif want_json:
                body = {"meta": {"api-version": "1.1"}, "name": m.group(1), "files": [
                    {"filename": f, "url": "../../files/" + f, "size": size,
                     "hashes": {} if NO_HASHES else {"sha256": d}}
                    for f, d, size in files]}
                self.send(200, json.dumps(body).encode(), "application/vnd.pypi.simple.v1+json")
            else:
                links = "".join(
                    '<a href="../../files/%s%s">%s</a><br/>\n'
                    % (html.escape(f), "" if NO_HASHES else "#sha256=" + d, html.escape(f))
                    for f, d, size in files)
                body = "<!DOCTYPE html><html><body>\n%s</body></html>\n" % links
                self.send(200, body.encode(), "text/html")
        elif self.path.startswith("/files/") and "/" not in self.path[7:] and \
                os.path.isfile(os.path.join(WHEELS, self.path[7:])):
            with open(os.path.join(WHEELS, self.path[7:]), "rb") as fh:
                self.send(200, fh.read(), "application/octet-stream")
        else:
            code = 404
            self.send(404, b"not found", "text/plain")
        with open(LOGFILE, "a") as log:
            log.write("GET %s %s %d\n" % (self.path, "json" if want_json else "html", code))


srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(PORTFILE + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(PORTFILE + ".tmp", PORTFILE)
srv.serve_forever()
