#!/usr/bin/env python3
"""Write dists/SUITE/Release for a test mirror: the fields apt expects and
the SHA256 list of every index file below dists/SUITE (an independent
implementation of what ward verifies).

usage: make_release.py MIRROR SUITE [ARCHS] [CODENAME]
"""
import hashlib
import os
import sys

mirror, suite = sys.argv[1], sys.argv[2]
archs = sys.argv[3] if len(sys.argv) > 3 else "amd64"
codename = sys.argv[4] if len(sys.argv) > 4 else suite
base = os.path.join(mirror, "dists", suite)
files = []
for d, _, names in os.walk(base):
    for n in names:
        p = os.path.join(d, n)
        rel = os.path.relpath(p, base)
        if rel in ("Release", "InRelease", "Release.gpg"):
            continue
        data = open(p, "rb").read()
        files.append((rel, len(data), hashlib.sha256(data).hexdigest()))
files.sort()
comps = sorted({f[0].split("/")[0] for f in files if "/" in f[0]})
with open(os.path.join(base, "Release"), "w") as out:
    out.write("Origin: ward-test\nLabel: ward-test\nSuite: %s\nCodename: %s\n" % (suite, codename))
    out.write("Date: Sat, 01 Jun 2024 00:00:00 UTC\n")
    if os.environ.get("VALID_UNTIL"):
        out.write("Valid-Until: %s\n" % os.environ["VALID_UNTIL"])
    out.write("Architectures: %s\nComponents: %s\n" % (archs, " ".join(comps)))
    out.write("Description: ward test archive\nSHA256:\n")
    for rel, size, h in files:
        out.write(" %s %16d %s\n" % (h, size, rel))
