"""A PyTorch inference HTTP server (stdlib http.server).

GET  /healthz  -> {"status": "ok"}
POST /predict  -> {"inputs": [[8 floats], ...]} => logits, probabilities, labels
GET  /selftest/exec -> what remote code execution in this server would try
                   (a shell, another program, writing / and the model): under
                   ward-init the execs are refused and counted in /metrics,
                   the writes fail on the read-only root; one line per attempt,
                   "WARDPROBE <name> <blocked|open> <errno>" (ward test
                   --exec-probe reads them)

The model directory (MODEL_DIR, default /models/mlp) is verified by ward-init
against its OpenSSF Model Signing signature before this process starts.
"""
import errno
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


def exec_attempts():
    """Try what an attacker with code execution would: a shell and another
    program.  Each runs in a forked child, so a hole shows as "open"."""
    lines = []
    for name, argv, ok in (("exec-shell", ["/bin/sh", "-c", "id"], (errno.EPERM, errno.EACCES, errno.ENOENT)),
                           ("exec-interpreter", [sys.executable, "-c", "pass"], (errno.EPERM, errno.EACCES))):
        pid = os.fork()
        if pid == 0:
            try:
                os.execv(argv[0], argv)
            except OSError as e:
                os._exit(100 + e.errno % 100)
            os._exit(99)
        st = os.waitpid(pid, 0)[1]
        code = os.WEXITSTATUS(st) if os.WIFEXITED(st) else -1
        err = code - 100 if code >= 100 else 0
        lines.append("WARDPROBE %s %s %s" % (name, "blocked" if err in ok else "open",
                                              errno.errorcode.get(err, "status-%d" % code)))
    status = os.system("/bin/sh -c id")
    lines.append("WARDPROBE system-shell %s status-%d" % ("blocked" if status else "open", status))
    for name, path in (("write-root", "/selftest"), ("write-model-0", os.path.join(MODEL_DIR, "selftest"))):
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
            os.unlink(path)
            lines.append("WARDPROBE %s open -" % name)
        except OSError as e:
            blocked = e.errno in (errno.EROFS, errno.EACCES, errno.EPERM)
            lines.append("WARDPROBE %s %s %s" % (name, "blocked" if blocked else "open",
                                                 errno.errorcode.get(e.errno, str(e.errno))))
    return "\n".join(lines) + "\n"


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
        elif self.path == "/selftest/exec":
            body = exec_attempts().encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
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
