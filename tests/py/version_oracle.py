#!/usr/bin/env python3
"""dpkg --compare-versions as the oracle for ward's version order.

usage: version_oracle.py WARD PAIRS SEED [LISTS_DIR]

Collects every Version (and Source version) string of the Packages indices
in LISTS_DIR (default /var/lib/apt/lists; plain, .gz, .xz, .lz4), adds edge
cases (epochs, tildes, long digit runs, revisions with hyphens), and builds
PAIRS pairs with a fixed SEED: every version at least once (as long as
PAIRS allows), its neighbours in sorted order (near-identical strings), and
random pairs.  ward answers all of them in one `ward deb vercmp --batch`;
each answer is then checked with one `dpkg --compare-versions A lt|eq|gt B`
call (the three are exclusive, so one call confirms or refutes it).
Prints "pairs N versions V disagreements D" and the first disagreements;
exits 1 if there is any.
"""
import glob
import gzip
import lzma
import os
import random
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

ward, npairs, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
lists = sys.argv[4] if len(sys.argv) > 4 else "/var/lib/apt/lists"

EDGE = [
    "0", "1", "1.0", "1.0.0", "01", "1.00", "0:1.0", "1:0", "1:1.0", "2:0.1", "10:1", "1:9.9",
    "1.0~rc1", "1.0~rc2", "1.0~", "1.0~~", "1.0~~a", "1.0~a", "1.0a", "1.0+", "1.0+b1", "1.0.1",
    "1.0-1", "1.0-1-2", "1.0-1-1", "1.0-1.1", "1.0-0", "1:1.0-0", "1.0-1~bpo1",
    "1.0-1+deb12u1", "1.0-1+deb12u10", "1.0-1+deb12u2", "2.36-9+deb12u14", "2.36-9+deb12u4",
    "99999999999999999999999999", "100000000000000000000000000", "1.000000000000000000000000000001",
    "1.1", "0.0000000000000000000009", "0.9", "1.2.3.4.5.6.7.8.9.10", "1.2.3.4.5.6.7.8.9.9",
    "1:2.3~rc1+dfsg-4~exp1", "1:2.3+dfsg-4", "7.88.1-10+deb12u14", "1.0.0~alpha+git20240101",
    "1.0.0~alpha+git20231231", "a", "A", "1.0A", "1.0Z", "1.0z", "1.0.", "1..0",
    "3:1.0-1:2", "1.0~~~", "0~", "0~~",
]


def read_index(path):
    data = open(path, "rb").read()
    if path.endswith(".gz"):
        data = gzip.decompress(data)
    elif path.endswith(".xz"):
        data = lzma.decompress(data)
    elif path.endswith(".lz4"):
        data = subprocess.run(["lz4", "-dc", path], check=True, capture_output=True).stdout
    return data.decode("utf-8", "replace")


versions = set()
for path in sorted(glob.glob(os.path.join(lists, "*_Packages*"))):
    if path.endswith(".diff") or "Packages.diff" in path:
        continue
    for line in read_index(path).splitlines():
        if line.startswith("Version: "):
            versions.add(line[9:].strip())
        m = re.match(r"Source: \S+ \((.*)\)$", line)
        if m:
            versions.add(m.group(1).strip())
real = sorted(versions)
allv = sorted(set(real) | set(EDGE))
rng = random.Random(seed)
pairs = []
for a in EDGE:  # every edge case against every other one
    for b in EDGE:
        pairs.append((a, b))
order = list(allv)
rng.shuffle(order)
for i, v in enumerate(order):  # every version once, against a random one
    pairs.append((v, order[(i * 7919 + 1) % len(order)]))
for i in range(len(real) - 1):  # lexicographic neighbours differ only a little
    pairs.append((real[i], real[i + 1]))
rng.shuffle(pairs)
pairs = pairs[:npairs] if npairs <= len(pairs) else pairs
while len(pairs) < npairs:
    pairs.append((rng.choice(allv), rng.choice(allv)))

text = "".join("%s %s\n" % p for p in pairs)
out = subprocess.run([ward, "deb", "vercmp", "--batch"], input=text, capture_output=True,
                     text=True, check=True).stdout.split()
assert len(out) == len(pairs), (len(out), len(pairs))
OP = {"<": "lt", "=": "eq", ">": "gt"}


def confirm(i):
    a, b = pairs[i]
    r = subprocess.run(["dpkg", "--compare-versions", a, OP[out[i]], b],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return None if r.returncode == 0 else (a, b, out[i])


with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as ex:
    bad = [r for r in ex.map(confirm, range(len(pairs))) if r is not None]
print("pairs %d versions %d (from indices %d) disagreements %d" % (len(pairs), len(allv), len(real),
                                                                    len(bad)))
for a, b, w in bad[:20]:
    print("  ward says %s %s %s; dpkg disagrees" % (a, w, b))
sys.exit(1 if bad or not real else 0)
