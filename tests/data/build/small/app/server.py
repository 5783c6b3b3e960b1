"""A tiny HTTP server on the socket module alone (python3-minimal has
neither http nor json): GET /healthz, /model (the signed model file),
/certs (CA certificates OpenSSL loads), /timezone."""
import os
import socket

MODEL = os.environ.get("MODEL_DIR", "/models/tiny")
PORT = int(os.environ.get("PORT", "8080"))


def answer(path):
    if path == "/healthz":
        return 200, b'{"status": "ok"}'
    if path == "/certs":  # the CA bundle ward generated, as OpenSSL loads it
        import ssl
        n = ssl.create_default_context().cert_store_stats()["x509_ca"]
        return 200, b'{"ca_certificates": %d}' % n
    if path == "/timezone":
        import time
        return 200, b'{"timezone": "%s"}' % time.strftime("%Z").encode()
    if path == "/model":
        with open(os.path.join(MODEL, "weights.json"), "rb") as f:
            return 200, f.read().strip()
    return 404, b'{"error": "not found"}'


srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("0.0.0.0", PORT))
srv.listen(16)
while True:
    conn, _ = srv.accept()
    with conn:
        parts = conn.recv(65536).split(b" ")
        code, body = answer(parts[1].decode() if len(parts) > 1 else "/")
        conn.sendall(b"HTTP/1.0 %d %s\r\nContent-Type: application/json\r\n"
                     b"Content-Length: %d\r\n\r\n%s"
                     % (code, b"OK" if code == 200 else b"Not Found", len(body), body))
