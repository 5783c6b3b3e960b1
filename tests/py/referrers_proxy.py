#!/usr/bin/env python3
"""An OCI 1.1 referrers API in front of a registry that lacks one (Debian's
docker-registry is distribution 2.8), for tests of ward's referrers-API
path.  Everything is forwarded; in addition, per the distribution spec 1.1:
  - a PUT of a manifest with a "subject" that the registry accepts is
    remembered and answered with an "OCI-Subject" header;
  - GET /v2/<name>/referrers/<digest> returns an image index of the
    remembered referrers of <digest> (filtered by ?artifactType=).

usage: referrers_proxy.py PORTFILE BACKEND_PORT
"""
import http.client
import json
import os
import re
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

REFERRERS = re.compile(r"^/v2/(.+)/referrers/(sha256:[0-9a-f]{64})$")
MANIFEST = re.compile(r"^/v2/(.+)/manifests/([^/]+)$")


def main():
    portfile, backend = sys.argv[1], int(sys.argv[2])
    known = {}  # (repo, subject digest) -> [descriptor]

    class Proxy(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def forward(self, method):
            n = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(n) if n else None
            conn = http.client.HTTPConnection("127.0.0.1", backend)
            headers = {k: v for k, v in self.headers.items()
                       if k.lower() not in ("connection", "content-length")}
            conn.request(method, self.path, body=body, headers=headers)
            r = conn.getresponse()
            data = r.read()
            extra = {}
            m = MANIFEST.match(urlparse(self.path).path)
            if method == "PUT" and m and r.status == 201 and body:
                doc = json.loads(body)
                if "subject" in doc:
                    desc = {"mediaType": doc.get("mediaType", ""),
                            "digest": r.getheader("Docker-Content-Digest"), "size": len(body)}
                    at = doc.get("artifactType") or doc.get("config", {}).get("mediaType")
                    if at:
                        desc["artifactType"] = at
                    if doc.get("annotations"):
                        desc["annotations"] = doc["annotations"]
                    lst = known.setdefault((m.group(1), doc["subject"]["digest"]), [])
                    if desc["digest"] not in [d["digest"] for d in lst]:
                        lst.append(desc)
                    extra["OCI-Subject"] = doc["subject"]["digest"]
            self.send_response(r.status)
            for k, v in r.getheaders():
                if k.lower() not in ("connection", "transfer-encoding", "content-length"):
                    self.send_header(k, v)
            for k, v in extra.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if method != "HEAD":
                self.wfile.write(data)

        def referrers(self, repo, digest, query):
            want = parse_qs(query).get("artifactType", [None])[0]
            lst = [d for d in known.get((repo, digest), [])
                   if want is None or d.get("artifactType") == want]
            body = json.dumps({"schemaVersion": 2,
                               "mediaType": "application/vnd.oci.image.index.v1+json",
                               "manifests": lst}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/vnd.oci.image.index.v1+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            u = urlparse(self.path)
            m = REFERRERS.match(u.path)
            if m:
                self.referrers(m.group(1), m.group(2), u.query)
            else:
                self.forward("GET")

        def do_HEAD(self):
            self.forward("HEAD")

        def do_POST(self):
            self.forward("POST")

        def do_PUT(self):
            self.forward("PUT")

        def do_PATCH(self):
            self.forward("PATCH")

        def do_DELETE(self):
            self.forward("DELETE")

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    with open(portfile + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(portfile + ".tmp", portfile)
    srv.serve_forever()


if __name__ == "__main__":
    main()
