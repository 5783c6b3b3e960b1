#!/usr/bin/env python3
"""deb_craft.py IN.deb OUT.deb MEMBERS.json: a .deb that dpkg-deb built,
with data.tar members added that dpkg-deb would never write (absolute
names, "..", hard links to paths outside the package, device nodes in
any order).  MEMBERS.json is a list of
  {"name": ..., "type": "file"|"dir"|"symlink"|"hardlink"|"char"|"fifo",
   "data": text, "link": target, "mode": int, "major": int, "minor": int}
appended after the package's own members, in order.  The control member
is kept byte for byte; data.tar is rewritten uncompressed (.tar), which
dpkg-deb and ward both read.  `dpkg-deb -c OUT.deb` lists the result (the
oracle for what the package holds)."""
import io
import json
import lzma
import gzip
import sys
import tarfile


def read_ar(blob):
    assert blob[:8] == b"!<arch>\n", "not an ar archive"
    off, out = 8, []
    while off < len(blob):
        hdr = blob[off:off + 60]
        name = hdr[:16].decode().strip().rstrip("/")
        size = int(hdr[48:58].decode().strip())
        out.append((name, blob[off + 60:off + 60 + size]))
        off += 60 + size + (size & 1)
    return out


def write_ar(members):
    out = bytearray(b"!<arch>\n")
    for name, data in members:
        hdr = "%-16s%-12s%-6s%-6s%-8s%-10s`\n" % (name, "0", "0", "0", "100644", len(data))
        out += hdr.encode()
        out += data
        if len(data) & 1:
            out += b"\n"
    return bytes(out)


def decompress(name, data):
    if name.endswith(".xz"):
        return lzma.decompress(data)
    if name.endswith(".gz"):
        return gzip.decompress(data)
    if name.endswith(".tar"):
        return data
    raise SystemExit("unsupported data member " + name)


def main():
    src, dst, spec = sys.argv[1:4]
    members = read_ar(open(src, "rb").read())
    extra = json.load(open(spec))
    out = []
    for name, data in members:
        if not name.startswith("data.tar"):
            out.append((name, data))
            continue
        old = tarfile.open(fileobj=io.BytesIO(decompress(name, data)), mode="r:")
        buf = io.BytesIO()
        new = tarfile.open(fileobj=buf, mode="w:", format=tarfile.GNU_FORMAT)
        for m in old.getmembers():
            new.addfile(m, old.extractfile(m) if m.isfile() else None)
        for e in extra:
            ti = tarfile.TarInfo(e["name"])
            ti.mode = e.get("mode", 0o644)
            ti.uname = ti.gname = "root"
            t = e["type"]
            payload = None
            if t == "file":
                payload = e.get("data", "").encode()
                ti.size = len(payload)
            elif t == "dir":
                ti.type = tarfile.DIRTYPE
                ti.mode = e.get("mode", 0o755)
            elif t == "symlink":
                ti.type = tarfile.SYMTYPE
                ti.linkname = e["link"]
            elif t == "hardlink":
                ti.type = tarfile.LNKTYPE
                ti.linkname = e["link"]
            elif t == "char":
                ti.type = tarfile.CHRTYPE
                ti.devmajor, ti.devminor = e.get("major", 1), e.get("minor", 3)
            elif t == "fifo":
                ti.type = tarfile.FIFOTYPE
            new.addfile(ti, io.BytesIO(payload) if payload is not None else None)
        new.close()
        out.append(("data.tar", buf.getvalue()))
    open(dst, "wb").write(write_ar(out))


main()
