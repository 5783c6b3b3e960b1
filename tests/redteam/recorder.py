"""Listeners the red-team server tries to exfiltrate to, run by the test in
the server's network namespace but outside its sandbox: UDP on IPv4 and
IPv6 (a port and 53), a pathname unix stream and datagram socket, an
abstract unix socket.  Everything received is appended to OUT.

usage: recorder.py OUT UDP_PORT UNIX_PATH
Writes OUT.ready when listening; runs until killed.
"""
import os
import select
import socket
import sys

out, port, upath = sys.argv[1], int(sys.argv[2]), sys.argv[3]
socks = []
for fam, addr in ((socket.AF_INET, ("127.0.0.1", port)), (socket.AF_INET6, ("::1", port)),
                  (socket.AF_INET, ("127.0.0.1", 53))):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind(addr)
    socks.append(s)
for path in (upath, upath + ".dgram"):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
st = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
st.bind(upath)
st.listen(8)
ud = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
ud.bind(upath + ".dgram")
for p in (upath, upath + ".dgram"):
    os.chmod(p, 0o777)
ab = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
ab.bind("\0ward-redteam")
ab.listen(8)
listeners = [st, ab]
open(out + ".ready", "w").close()
conns = []
while True:
    r, _, _ = select.select(socks + [ud] + listeners + conns, [], [])
    for s in r:
        if s in listeners:
            c, _ = s.accept()
            conns.append(c)
            with open(out, "a") as f:
                f.write("connection\n")
            continue
        data = s.recv(65536)
        if s in conns and not data:
            conns.remove(s)
            s.close()
            continue
        with open(out, "a") as f:
            f.write(repr(data) + "\n")
