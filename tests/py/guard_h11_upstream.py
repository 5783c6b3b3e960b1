#!/usr/bin/python3
"""A stand-in upstream that reads what the endpoint guard forwards with h11,
a strict independent HTTP/1.1 parser (Debian's python3-h11), and records
every request it sees — or the protocol error — as a JSON line.

  guard_h11_upstream.py PORT LOG

Each request is answered 200 with {"seen": N} (N counts requests on the
connection) and kept alive.  Used by tests/py/guard_smuggle_fuzz.py.
"""
import json
import socket
import socketserver
import sys
import threading

import h11

LOCK = threading.Lock()


class H(socketserver.BaseRequestHandler):
    def log(self, rec):
        with LOCK:
            with open(self.server.log, "a") as f:
                f.write(json.dumps(rec) + "\n")

    def handle(self):
        conn = h11.Connection(h11.SERVER)
        seen = 0
        while True:
            try:
                ev = conn.next_event()
                if ev is h11.NEED_DATA:
                    data = self.request.recv(65536)
                    conn.receive_data(data)
                    if not data:
                        return
                    continue
                if isinstance(ev, h11.Request):
                    req = {"method": ev.method.decode("latin-1"),
                           "target": ev.target.decode("latin-1"),
                           "headers": [[k.decode("latin-1"), v.decode("latin-1")]
                                       for k, v in ev.headers],
                           "body": 0}
                    while True:
                        e2 = conn.next_event()
                        if e2 is h11.NEED_DATA:
                            d = self.request.recv(65536)
                            conn.receive_data(d)
                            if not d:
                                self.log({"error": "eof inside a body"})
                                return
                            continue
                        if isinstance(e2, h11.Data):
                            req["body"] += len(e2.data)
                        elif isinstance(e2, h11.EndOfMessage):
                            break
                    seen += 1
                    self.log(req)
                    body = json.dumps({"seen": seen}).encode()
                    self.request.sendall(conn.send(h11.Response(
                        status_code=200, headers=[("Content-Type", "application/json"),
                                                  ("Content-Length", str(len(body)))])))
                    self.request.sendall(conn.send(h11.Data(data=body)))
                    self.request.sendall(conn.send(h11.EndOfMessage()))
                    if conn.our_state is h11.MUST_CLOSE:
                        return
                    conn.start_next_cycle()
                elif isinstance(ev, h11.ConnectionClosed):
                    return
            except h11.RemoteProtocolError as e:
                self.log({"error": str(e)})
                return
            except (ConnectionResetError, BrokenPipeError):
                return


class S(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


if __name__ == "__main__":
    srv = S(("127.0.0.1", int(sys.argv[1])), H)
    srv.log = sys.argv[2]
    open(srv.log, "w").close()
    print("ready", flush=True)
    srv.serve_forever()
