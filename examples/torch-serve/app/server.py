"""A PyTorch inference HTTP server (stdlib http.server).

GET  /healthz  -> {"status": "ok"}
POST /predict  -> {"inputs": [[8 floats], ...]} => logits, probabilities, labels

The model directory (MODEL_DIR, default /models/mlp) is verified by ward-init
against its OpenSSF Model Signing signature before this process starts.
"""
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import model as mlp  # noqa: E402

MODEL_DIR = os.environ.get("MODEL_DIR", "/models/mlp")
PORT = int(os.environ.get("PORT", "8080"))
MAX_BODY = 1 << 20
MODEL, CONFIG = mlp.load(MODEL_DIR)


class Handler(BaseHTTPRequestHandler):
    server_version = "torch-serve/1"

    def reply(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/healthz":
            self.reply(200, {"status": "ok"})
        else:
            self.reply(404, {"error": "not found"})

    def do_POST(self):
        if self.path != "/predict":
            self.reply(404, {"error": "not found"})
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length <= 0 or length > MAX_BODY:
            self.reply(413, {"error": "body must be 1 byte to 1 MiB"})
            return
        try:
            inputs = json.loads(self.rfile.read(length))["inputs"]
            if not inputs or any(len(row) != CONFIG["layers"][0] for row in inputs):
                raise ValueError("each input needs %d features" % CONFIG["layers"][0])
            self.reply(200, mlp.predict(MODEL, CONFIG, inputs))
        except (ValueError, KeyError, TypeError) as e:
            self.reply(400, {"error": str(e)})

    def log_message(self, fmt, *args):
        sys.stderr.write(json.dumps({"event": "http", "client": self.client_address[0],
                                     "line": fmt % args}) + "\n")


if __name__ == "__main__":
    sys.stderr.write(json.dumps({"event": "listening", "port": PORT, "model": MODEL_DIR}) + "\n")
    ThreadingHTTPServer(("0.0.0.0", PORT), Handler).serve_forever()
