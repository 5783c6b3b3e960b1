#!/usr/bin/env python3
"""fleet_gen.py: a synthetic fleet for bench/fleet.sh, drawn from real data.

usage: fleet_gen.py OUT N SEED VULNDATA PACKAGES...

Writes OUT/img-NNNNN.cdx.json, N CycloneDX 1.6 SBOMs in ward's own style
(purl pkg:deb/debian/NAME@VERSION?arch=…&distro=debian-12, properties
ward:deb:source and ward:deb:source-version; Python distributions as
pkg:pypi with ward:owner naming the Debian package that ships them), each
naming its image by a pkg:oci purl with a digest.  PACKAGES are Debian 12
Packages files (plain text): bookworm main and bookworm-security, so that
packages updated by a DSA come in two real versions.

Each image: the Priority: required packages, then random packages with
their Depends/Pre-Depends closure (first alternative) until about 200
components; each package whose security update exists takes the old or
the new version at random.  python3-* packages ship the distribution
Debian names them after (dpkg-owned); one image in five also carries
distributions installed by pip, drawn from the PyPI advisories of VULNDATA
with versions from their own ranges.  Seeded: the same arguments give the
same fleet, byte for byte.
"""
import glob
import hashlib
import json
import os
import random
import re
import sys


def stanzas(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        cur = {}
        key = None
        for line in f:
            line = line.rstrip("\n")
            if not line:
                if cur:
                    yield cur
                cur, key = {}, None
                continue
            if line[0] in " \t":
                if key:
                    cur[key] += "\n" + line
                continue
            k, _, v = line.partition(":")
            key = k
            cur[k] = v.strip()
        if cur:
            yield cur


def deps(s):
    out = []
    for field in ("Pre-Depends", "Depends"):
        for group in s.get(field, "").split(","):
            alt = group.split("|")[0].strip()
            if alt:
                out.append(re.split(r"[\s(:]", alt, 1)[0])
    return out


def load(paths):
    pkgs = {}  # name -> [stanza, ...] (main first, then security)
    for p in paths:
        for s in stanzas(p):
            if "Package" not in s or "Version" not in s:
                continue
            pkgs.setdefault(s["Package"], []).append(s)
    return pkgs


def source_of(s):
    src = s.get("Source", s["Package"])
    m = re.match(r"(\S+)\s*\((\S+)\)", src)
    if m:
        return m.group(1), m.group(2)
    return src.strip(), s["Version"]


def upstream(v):
    v = v.split(":", 1)[-1]
    return v.rsplit("-", 1)[0] if "-" in v else v


def pypi_pool(vd):
    """(name, version) pairs inside the affected ranges of PyPA records."""
    pool = []
    for p in sorted(glob.glob(os.path.join(vd, "pypi", "*.json"))):
        r = json.load(open(p))
        if r.get("withdrawn"):
            continue
        for a in r["affected"]:
            vs = [v for v in a.get("versions", []) if re.fullmatch(r"[0-9][0-9.]*", v)]
            if vs:
                pool.append((a["package"]["name"], vs[len(vs) // 2]))
    return pool


def main(argv):
    out, n, seed, vd = argv[0], int(argv[1]), int(argv[2]), argv[3]
    pkgs = load(argv[4:])
    rnd = random.Random(seed)
    names = sorted(pkgs)
    required = sorted(k for k, v in pkgs.items() if v[0].get("Priority") == "required"
                      and v[0].get("Architecture") in ("amd64", "all"))
    pool = pypi_pool(vd)
    os.makedirs(out, exist_ok=True)
    rows = 0
    for i in range(n):
        want = rnd.randint(180, 220)
        chosen = set()

        def closure(name):
            new, stack = set(), [name]
            while stack:
                x = stack.pop()
                if x in chosen or x in new or x not in pkgs:
                    continue
                new.add(x)
                stack.extend(deps(pkgs[x][0]))
            return new

        for r in required:
            chosen |= closure(r)
        misses = 0
        while len(chosen) < want and misses < 200:
            c = closure(rnd.choice(names))
            if len(chosen) + len(c) > want + 5:
                misses += 1
                continue
            chosen |= c
        comps = []
        for name in sorted(chosen):
            s = rnd.choice(pkgs[name])  # main or security version
            src, srcver = source_of(s)
            arch = s.get("Architecture", "amd64")
            ref = "deb:%s" % name
            comps.append({
                "type": "library", "bom-ref": ref, "name": name, "version": s["Version"],
                "purl": "pkg:deb/debian/%s@%s?arch=%s&distro=debian-12" % (name, s["Version"], arch),
                "properties": [{"name": "ward:deb:source", "value": src},
                               {"name": "ward:deb:source-version", "value": srcver}]})
            if name.startswith("python3-") and len(name) > 8:
                dist = name[8:]
                comps.append({
                    "type": "library", "bom-ref": "pypi:%s" % dist, "name": dist,
                    "version": upstream(s["Version"]),
                    "purl": "pkg:pypi/%s@%s" % (dist, upstream(s["Version"])),
                    "properties": [{"name": "ward:owner", "value": ref}]})
        if pool and rnd.random() < 0.2:
            for dist, ver in rnd.sample(pool, min(8, len(pool))):
                if any(c["name"] == dist for c in comps):
                    continue
                comps.append({"type": "library", "bom-ref": "pip:%s" % dist, "name": dist,
                              "version": ver, "purl": "pkg:pypi/%s@%s" % (dist.lower(), ver)})
        digest = hashlib.sha256(("ward-fleet-bench %d %d" % (seed, i)).encode()).hexdigest()
        doc = {
            "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
            "serialNumber": "urn:uuid:00000000-0000-4000-8000-%012d" % i,
            "metadata": {"component": {
                "type": "container", "bom-ref": "image", "name": "fleet/img-%05d" % i,
                "version": "1", "purl": "pkg:oci/img-%05d@sha256:%s" % (i, digest)}},
            "components": comps}
        with open(os.path.join(out, "img-%05d.cdx.json" % i), "w") as f:
            json.dump(doc, f, separators=(",", ":"))
        rows += len(comps)
    print("%d images, %d component rows" % (n, rows))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
