#!/usr/bin/env python3
"""Independent checks of `ward sbom` output against the root filesystem.

usage:
  sbom_oracle.py packages CDX ROOTFS
      Debian packages equal `dpkg-query -W` run on ROOTFS's database
      (status "ii"), or on status.d when there is no status file; Python
      distributions equal every *.dist-info / *.egg-info found, read with
      importlib.metadata (name, version, location).
  sbom_oracle.py owners OWNERS_TSV CDX ROOTFS
      Every regular file `dpkg-query -L PKG` lists is owned by PKG (paths
      resolved through directory symlinks inside ROOTFS); no listed file
      is reported unowned.
  sbom_oracle.py manifest MANIFEST ROOTFS
      Every entry of files.manifest matches lstat() and hashlib.sha256 of
      the tree, and the manifest lists every entry of the tree.
Exit 0 when all holds, 1 otherwise (the differences are printed).
"""
import hashlib
import importlib.metadata
import json
import os
import re
import stat
import subprocess
import sys
import urllib.parse

PROBLEMS = []


def problem(msg):
    PROBLEMS.append(msg)


def unescape(s):
    out, i = bytearray(), 0
    b = s.encode("utf-8", "surrogateescape")
    while i < len(b):
        if b[i:i + 1] == b"\\":
            c = b[i + 1:i + 2]
            if c == b"\\":
                out += b"\\"; i += 2
            elif c == b"t":
                out += b"\t"; i += 2
            elif c == b"n":
                out += b"\n"; i += 2
            elif c == b"x":
                out.append(int(b[i + 2:i + 4], 16)); i += 4
            else:
                raise ValueError(f"bad escape in {s!r}")
        else:
            out.append(b[i]); i += 1
    return os.fsdecode(bytes(out))


def components(cdx_path):
    return json.load(open(cdx_path, encoding="utf-8"))["components"]


def prop(c, name):
    for p in c.get("properties", []):
        if p["name"] == name:
            return p["value"]
    return None


def dpkg_admindir(root):
    return os.path.join(root, "var/lib/dpkg")


def status_d_packages(root):
    """Package/Version/Architecture of every status.d entry, parsed here."""
    d = os.path.join(root, "var/lib/dpkg/status.d")
    out = set()
    for name in sorted(os.listdir(d)):
        if name.endswith(".md5sums"):
            continue
        fields = {}
        for line in open(os.path.join(d, name), encoding="utf-8"):
            m = re.match(r"^([A-Za-z-]+):\s*(.*)$", line)
            if m:
                fields[m.group(1)] = m.group(2).strip()
        out.add((fields["Package"], fields["Version"], fields.get("Architecture")))
    return out


def cmd_packages(cdx_path, root):
    comps = components(cdx_path)
    got = set()
    for c in comps:
        if (c.get("purl") or "").startswith("pkg:deb/"):
            q = urllib.parse.parse_qs(c["purl"].split("?", 1)[1])
            got.add((c["name"], c["version"], q["arch"][0]))
    if os.path.exists(os.path.join(root, "var/lib/dpkg/status")):
        text = subprocess.run(
            ["dpkg-query", "--admindir=" + dpkg_admindir(root), "-W",
             "-f=${db:Status-Abbrev}\t${Package}\t${Version}\t${Architecture}\n"],
            check=True, capture_output=True, text=True).stdout
        want = {tuple(l.split("\t")[1:]) for l in text.splitlines() if l.startswith("ii")}
    else:
        want = status_d_packages(root)
    for x in sorted(want - got):
        problem(f"deb {x} installed but not in the SBOM")
    for x in sorted(got - want):
        problem(f"deb {x} in the SBOM but not installed")

    # Python: every metadata directory, read by importlib.metadata.
    want_py = set()
    for dirpath, dirnames, filenames in os.walk(root):
        for n in dirnames + filenames:
            if n.endswith((".dist-info", ".egg-info")):
                full = os.path.join(dirpath, n)
                d = importlib.metadata.PathDistribution(__import__("pathlib").Path(full))
                if d.metadata["Name"] is None:
                    continue
                want_py.add((d.metadata["Name"], d.version, "/" + os.path.relpath(full, root)))
    got_py = {(c["name"], c["version"], prop(c, "ward:location")) for c in comps
              if (c.get("purl") or "").startswith("pkg:pypi/")}
    for x in sorted(want_py - got_py):
        problem(f"python {x} present but not in the SBOM")
    for x in sorted(got_py - want_py):
        problem(f"python {x} in the SBOM but not present")
    print(f"packages: {len(want)} deb, {len(want_py)} python")


def resolve(root, path):
    """path inside root with directory symlinks resolved (relative links)."""
    real = os.path.realpath(os.path.join(root, path.lstrip("/")))
    rootreal = os.path.realpath(root)
    if real != rootreal and not real.startswith(rootreal + "/"):
        return None
    return "/" + os.path.relpath(real, rootreal)


def cmd_owners(tsv, cdx_path, root):
    owner = {}
    for line in open(tsv, encoding="utf-8", errors="surrogateescape"):
        p, ref = line.rstrip("\n").split("\t")
        owner[unescape(p)] = ref
    refs = {}
    for c in components(cdx_path):
        if (c.get("purl") or "").startswith("pkg:deb/"):
            q = urllib.parse.parse_qs(c["purl"].split("?", 1)[1])
            refs[(c["name"], q["arch"][0])] = c["bom-ref"]
    text = subprocess.run(["dpkg-query", "--admindir=" + dpkg_admindir(root), "-W",
                           "-f=${db:Status-Abbrev}\t${Package}\t${Architecture}\n"],
                          check=True, capture_output=True, text=True).stdout
    checked = 0
    for line in text.splitlines():
        st, pkg, arch = line.split("\t")
        if not st.startswith("ii"):
            continue
        listing = subprocess.run(["dpkg-query", "--admindir=" + dpkg_admindir(root), "-L",
                                  f"{pkg}:{arch}"], check=True, capture_output=True,
                                 text=True).stdout
        for path in listing.splitlines():
            if not path.startswith("/"):
                continue  # "package diverts others to: …" lines
            parent = resolve(root, os.path.dirname(path))
            if parent is None:
                continue
            real = os.path.join(parent, os.path.basename(path))
            full = os.path.join(root, real.lstrip("/"))
            if not os.path.lexists(full) or not stat.S_ISREG(os.lstat(full).st_mode):
                continue
            checked += 1
            if owner.get(real) != refs[(pkg, arch)]:
                problem(f"{real}: listed by {pkg}:{arch}, owner in owners.tsv is "
                        f"{owner.get(real)}")
    print(f"owners: {checked} files listed by dpkg checked")


TYPES = {stat.S_IFREG: "f", stat.S_IFDIR: "d", stat.S_IFLNK: "l", stat.S_IFCHR: "c",
         stat.S_IFBLK: "b", stat.S_IFIFO: "p", stat.S_IFSOCK: "s"}


def cmd_manifest(manifest, root):
    lines = open(manifest, encoding="utf-8", errors="surrogateescape").read().split("\n")
    if lines[0] != "ward-files-manifest 1" or not lines[1].startswith("image "):
        problem("bad header")
    n = int(lines[2].split()[1])
    entries = [l for l in lines[3:] if l]
    if len(entries) != n:
        problem(f"{len(entries)} entries, header says {n}")
    listed = []
    for l in entries:
        f = l.split("\t")
        if len(f) != 8:
            problem(f"not 8 fields: {l!r}")
            continue
        path = unescape(f[0])
        listed.append(path)
        full = os.path.join(root, path.lstrip("/"))
        try:
            st = os.lstat(full)
        except FileNotFoundError:
            problem(f"{path}: in the manifest, not on disk")
            continue
        want = [TYPES[stat.S_IFMT(st.st_mode)], f"{stat.S_IMODE(st.st_mode):04o}",
                str(st.st_uid), str(st.st_gid)]
        if f[1:5] != want:
            problem(f"{path}: manifest {f[1:5]}, disk {want}")
        if want[0] == "f":
            h = hashlib.sha256(open(full, "rb").read()).hexdigest()
            if f[5] != str(st.st_size) or f[6] != h:
                problem(f"{path}: manifest size/sha256 {f[5]} {f[6]}, disk {st.st_size} {h}")
        elif want[0] == "l":
            if unescape(f[7]) != os.readlink(full):
                problem(f"{path}: link target differs")
        elif want[0] in "cb":
            if f[5] != f"{os.major(st.st_rdev)},{os.minor(st.st_rdev)}":
                problem(f"{path}: device numbers differ")
    if listed != sorted(listed, key=lambda p: os.fsencode(p)):
        problem("manifest not sorted bytewise")
    on_disk = set()
    for dirpath, dirnames, filenames in os.walk(root):
        for n in dirnames + filenames:
            on_disk.add("/" + os.path.relpath(os.path.join(dirpath, n), root))
    for p in sorted(on_disk - set(listed))[:10]:
        problem(f"{p}: on disk, not in the manifest")
    print(f"manifest: {len(listed)} entries checked")


def main():
    cmd = sys.argv[1]
    if cmd == "packages":
        cmd_packages(sys.argv[2], sys.argv[3])
    elif cmd == "owners":
        cmd_owners(sys.argv[2], sys.argv[3], sys.argv[4])
    elif cmd == "manifest":
        cmd_manifest(sys.argv[2], sys.argv[3])
    else:
        raise SystemExit(__doc__)
    for p in PROBLEMS[:25]:
        print(p)
    if len(PROBLEMS) > 25:
        print(f"... {len(PROBLEMS) - 25} more")
    return 1 if PROBLEMS else 0


if __name__ == "__main__":
    sys.exit(main())
