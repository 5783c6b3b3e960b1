#!/usr/bin/env python3
"""A Docker/OCI token server for tests: checks HTTP basic credentials and
issues RS256 JWTs (signed by `openssl dgst -sign`, certificate chain in x5c)
that Debian's docker-registry accepts with `auth: token:`.

usage: token_server.py PORTFILE KEY.pem CERT.pem ISSUER USER PASSWORD
Writes the port it listens on (127.0.0.1) to PORTFILE, serves GET /token.
"""
import base64
import json
import subprocess
import sys
import time
import uuid
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlparse


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def main():
    portfile, key, cert, issuer, user, password = sys.argv[1:7]
    with open(cert) as f:
        pem = f.read()
    der = base64.b64decode("".join(l for l in pem.splitlines() if "-----" not in l))

    def token(service, scopes):
        access = []
        for s in scopes:
            parts = s.split(":")
            if len(parts) == 3 and parts[0] == "repository":
                access.append({"type": "repository", "name": parts[1],
                               "actions": parts[2].split(",")})
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "x5c": [base64.b64encode(der).decode()]}
        claims = {"iss": issuer, "sub": user, "aud": service, "exp": now + 600,
                  "nbf": now - 60, "iat": now, "jti": str(uuid.uuid4()), "access": access}
        signing_input = b64url(json.dumps(header).encode()) + "." + \
            b64url(json.dumps(claims).encode())
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key],
                             input=signing_input.encode(), capture_output=True,
                             check=True).stdout
        return signing_input + "." + b64url(sig)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_GET(self):
            u = urlparse(self.path)
            want = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
            if u.path != "/token":
                self.send_response(404)
                self.end_headers()
                return
            if self.headers.get("Authorization") != want:
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="token"')
                self.end_headers()
                return
            q = parse_qs(u.query)
            body = json.dumps({"token": token(q.get("service", [""])[0],
                                              q.get("scope", []))}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    srv = HTTPServer(("127.0.0.1", 0), Handler)
    with open(portfile + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    import os
    os.rename(portfile + ".tmp", portfile)
    srv.serve_forever()


if __name__ == "__main__":
    main()
