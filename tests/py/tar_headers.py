#!/usr/bin/env python3
"""Check a layer tar written by ward with Python's own tarfile reader.

usage: tar_headers.py LAYER EPOCH UID GID UNAME FILES_JSON

LAYER is a layer blob (gzip, zstd via the zstd tool, or plain tar).
Every member must carry mtime EPOCH, owner UID/GID and names UNAME, no
atime/ctime, and only the PAX records USTAR cannot hold (a long or
non-ASCII name or link, a long owner name).  The members must come in
ward's order (bytewise, '/' before every other byte, i.e. a depth-first
walk) with no duplicates, and agree one by one (path, type, mode, size,
link target) with FILES_JSON, the output of `ward image files --json` for a
one-layer image.  Exit 0 when all agree, 1 with the first difference.
"""
import gzip
import io
import json
import subprocess
import sys
import tarfile

TYPES = {tarfile.REGTYPE: "file", tarfile.AREGTYPE: "file", tarfile.DIRTYPE: "dir",
         tarfile.SYMTYPE: "symlink", tarfile.LNKTYPE: "hardlink"}


def fail(msg):
    print("tar_headers: " + msg, file=sys.stderr)
    sys.exit(1)


def tar_key(name):
    # '/' ranks below every other byte
    return [1 if b == 0x2F else b + 1 for b in name.encode("utf-8", "surrogateescape")]


def needs_pax(m):
    name = m.name + ("/" if m.isdir() else "")
    raw = name.encode("utf-8", "surrogateescape")
    link = m.linkname.encode("utf-8", "surrogateescape")
    long_name = len(raw) > 100 and not any(
        len(raw[:i]) <= 155 and 0 < len(raw) - i - 1 <= 100
        for i in range(len(raw)) if raw[i:i + 1] == b"/")
    return (long_name or any(b >= 0x80 for b in raw) or len(link) > 100
            or any(b >= 0x80 for b in link) or len(m.uname) > 31 or len(m.gname) > 31
            or m.uid > 0o7777777 or m.gid > 0o7777777)


def main():
    layer, epoch, uid, gid, uname, files_json = sys.argv[1:7]
    epoch, uid, gid = int(epoch), int(uid), int(gid)
    data = open(layer, "rb").read()
    if data[:2] == b"\x1f\x8b":
        if data[:10] != b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff":
            fail("gzip header is not 1f8b 0800 00000000 00 ff: %s" % data[:10].hex())
        data = gzip.decompress(data)
    elif data[:4] == b"\x28\xb5\x2f\xfd":
        data = subprocess.run(["zstd", "-dc"], input=data, stdout=subprocess.PIPE,
                              check=True).stdout
    tf = tarfile.open(fileobj=io.BytesIO(data), mode="r:", encoding="utf-8",
                      errors="surrogateescape")
    members = tf.getmembers()
    names = [m.name for m in members]
    if len(set(names)) != len(names):
        fail("duplicate members")
    if [tar_key(n) for n in names] != sorted(tar_key(n) for n in names):
        fail("members are not in ward's order: %r" % names)
    for m in members:
        if m.mtime != epoch:
            fail("%s: mtime %d, expected %d" % (m.name, m.mtime, epoch))
        if (m.uid, m.gid, m.uname, m.gname) != (uid, gid, uname, uname):
            fail("%s: owner %d:%d %s:%s" % (m.name, m.uid, m.gid, m.uname, m.gname))
        for key in ("atime", "ctime", "mtime"):
            if key in m.pax_headers:
                fail("%s: PAX record %s" % (m.name, key))
        if m.pax_headers and not needs_pax(m):
            fail("%s: PAX header %r although USTAR can hold it" % (m.name, m.pax_headers))
        if not m.pax_headers and needs_pax(m):
            fail("%s: needs a PAX header and has none" % m.name)
        if m.type not in TYPES:
            fail("%s: unexpected type %r" % (m.name, m.type))
    files = json.load(open(files_json))
    listed = [f for f in files if not f["implicit"]]
    if len(listed) != len(members):
        fail("%d members, ward lists %d" % (len(members), len(listed)))
    for m, f in zip(members, listed):
        want = {"path": m.name, "type": TYPES[m.type], "mode": "%04o" % m.mode,
                "size": m.size if m.isreg() else 0,
                "link": m.linkname if (m.issym() or m.islnk()) else None}
        got = {k: f.get(k) for k in want}
        if got != want:
            fail("python says %r, ward says %r" % (want, got))
    print("tar_headers: %d members agree" % len(members))


main()
