"""An ONNX Runtime inference HTTP server (stdlib http.server).

GET  /healthz  -> {"status": "ok"}
POST /predict  -> {"inputs": [[4 floats], ...]} => probabilities, labels

The model directory (MODEL_DIR, default /models/classifier) holds
model.onnx and labels.json; ward-init verifies it against its OpenSSF Model
Signing signature before this process starts.  One intra-op thread: the
answer is the same on every machine.
"""
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import onnxruntime as ort

MODEL_DIR = os.environ.get("MODEL_DIR", "/models/classifier")
PORT = int(os.environ.get("PORT", "8080"))
MAX_BODY = 1 << 20


def load(model_dir):
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(os.path.join(model_dir, "model.onnx"), opts,
                                providers=["CPUExecutionProvider"])
    with open(os.path.join(model_dir, "labels.json")) as f:
        labels = json.load(f)
    return sess, labels


def predict(sess, labels, inputs):
    x = np.asarray(inputs, dtype=np.float32)
    (probs,) = sess.run(["probabilities"], {"input": x})
    return {"probabilities": [[round(float(p), 5) for p in row] for row in probs],
            "labels": [labels[int(i)] for i in probs.argmax(axis=1)]}


class Handler(BaseHTTPRequestHandler):
    server_version = "onnx-serve/1"

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
            width = SESSION.get_inputs()[0].shape[1]
            if not inputs or any(len(row) != width for row in inputs):
                raise ValueError("each input needs %d features" % width)
            self.reply(200, predict(SESSION, LABELS, inputs))
        except (ValueError, KeyError, TypeError) as e:
            self.reply(400, {"error": str(e)})

    def log_message(self, fmt, *args):
        sys.stderr.write(json.dumps({"event": "http", "client": self.client_address[0],
                                     "line": fmt % args}) + "\n")


SESSION, LABELS = load(MODEL_DIR)

if __name__ == "__main__":
    sys.stderr.write(json.dumps({"event": "listening", "port": PORT, "model": MODEL_DIR,
                                 "onnxruntime": ort.__version__}) + "\n")
    ThreadingHTTPServer(("0.0.0.0", PORT), Handler).serve_forever()
