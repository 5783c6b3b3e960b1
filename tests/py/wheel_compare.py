#!/usr/bin/env python3
"""Oracle for tests/unit/test_wheel.c: ward's installation of a wheel
against pip's.

usage: wheel_compare.py WHEEL WARD_ROOT

Installs WHEEL with Debian's pip (/usr/bin/python3 -m pip install --root R
--prefix /usr --no-deps --no-compile: Debian maps that to /usr/local) into
a temporary root, then compares every file: the same paths, the same
bytes, the same executable bits, except what is the installer's own
record (INSTALLER, REQUESTED, direct_url.json, RECORD: compared as path
sets below) and the first line of generated scripts (the interpreter).
RECORD must list the same paths (pip's set plus nothing but ward's own).
Prints the differences; exit 1 when there are any.
"""
import csv
import os
import stat
import subprocess
import sys
import tempfile

OWN = {"INSTALLER", "REQUESTED", "direct_url.json", "RECORD"}


def tree(root):
    out = {}
    for d, _, files in os.walk(root):
        for f in files:
            p = os.path.join(d, f)
            out[os.path.relpath(p, root)] = p
    return out


def main():
    wheel, ward_root = sys.argv[1:3]
    diffs = []
    with tempfile.TemporaryDirectory() as pip_root:
        env = {"PATH": "/usr/bin:/bin", "HOME": pip_root}
        subprocess.run(["/usr/bin/python3", "-m", "pip", "install", "-q", "--no-deps", "--no-compile",
                        "--no-index", "--ignore-installed", "--isolated", "--break-system-packages",
                        "--disable-pip-version-check", "--root", pip_root, "--prefix", "/usr", wheel],
                       check=True, env=env, stderr=subprocess.DEVNULL)
        a, b = tree(pip_root), tree(ward_root)
        for p in sorted(set(a) | set(b)):
            base = os.path.basename(p)
            if base in OWN and ".dist-info" in p:
                continue
            if p not in b:
                diffs.append("only pip installed " + p)
                continue
            if p not in a:
                diffs.append("only ward installed " + p)
                continue
            x, y = open(a[p], "rb").read(), open(b[p], "rb").read()
            if "/bin/" in "/" + p:
                x, y = x.split(b"\n", 1)[-1], y.split(b"\n", 1)[-1]
            if x != y:
                diffs.append("contents differ: " + p)
            if bool(os.stat(a[p]).st_mode & stat.S_IXUSR) != bool(os.stat(b[p]).st_mode & stat.S_IXUSR):
                diffs.append("executable bit differs: " + p)
        recs = [p for p in a if p.endswith(".dist-info/RECORD")]
        for r in recs:
            pa = {row[0] for row in csv.reader(open(a[r]))} - {"REQUESTED"}
            pb = {row[0] for row in csv.reader(open(b[r]))} if r in b else set()
            strip = lambda s: {x for x in s if os.path.basename(x) not in ("REQUESTED", "direct_url.json")}
            if strip(pa) != strip(pb):
                diffs.append("RECORD paths differ: pip only %s, ward only %s" % (
                    sorted(strip(pa) - strip(pb))[:5], sorted(strip(pb) - strip(pa))[:5]))
    for d in diffs:
        print(d)
    print("%d differences" % len(diffs))
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
