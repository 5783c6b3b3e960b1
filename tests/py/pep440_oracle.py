#!/usr/bin/env python3
"""PEP 440 oracle for tests/unit/test_pep440.c: Python's packaging.version.

usage: pep440_oracle.py VULNDATA_PYPI_DIR

Prints one line per version string (every version in the PyPA records'
versions[] lists and ECOSYSTEM range events, plus edge cases), sorted by
packaging's order with invalid strings first:

    RANK <TAB> NORMALIZED <TAB> VERSION-AS-JSON

RANK is -1 for an invalid version (NORMALIZED is then "-"), else the index
of its equality class in ascending order, so two lines with the same rank
are equal versions.  The version is JSON-encoded so that whitespace and
odd bytes survive.

Why the C parser may try keywords longest first: after a shorter keyword
("a" of "alpha", "b" of "beta", "pre" of "preview", "r" of "rev") the rest
of the longer one starts with a letter no later part of the grammar can
start with, so the regular expression's backtracking can never prefer it.
"""
import glob
import json
import os
import sys

try:
    from packaging.version import InvalidVersion, Version
except ImportError:  # pip's vendored copy
    from pip._vendor.packaging.version import InvalidVersion, Version

EDGE = [
    "", " ", "0", "00", "0.0", "1", "1.0", "1.0.0", "1.0.0.0.0", "01.02.003", "v1.0", "V1.0",
    " 1.0 ", "\t1.0\n", "1.0\u00a0", "\u20001.0", "1!1.0", "0!1.0", "01!1.0", "1!", "!1.0",
    "1.0a", "1.0a-", "1.0a.", "1.0a_1", "1.0a.1", "1.0-a1", "1.0_a1", "1.0.a1", "1.0A1",
    "1.0alpha1", "1.0ALPHA", "1.0beta2", "1.0b", "1.0c1", "1.0rc1", "1.0RC1", "1.0pre1",
    "1.0preview1", "1.0-preview-1", "1.0post", "1.0.post", "1.0.post.", "1.0-post1", "1.0_post1",
    "1.0post-1", "1.0-1", "1.0-01", "1.0-r1", "1.0r", "1.0rev1", "1.0-rev", "1.0.post-1",
    "1.0dev", "1.0.dev", "1.0-dev", "1.0-dev-", "1.0_dev_1", "1.0.dev0", "1.0.dev01",
    "1.0a1.dev1", "1.0a1.post1", "1.0a1.post1.dev1", "1.0.post1.dev1", "1.0rc1.post2.dev3+l.7",
    "1.0+abc", "1.0+ABC", "1.0+abc.5", "1.0+5", "1.0+05", "1.0+5.abc", "1.0+abc-def_ghi.1",
    "1.0+0", "1.0+00", "1.0+a.0", "1.0+", "1.0+a..b", "1.0+a.", "1.0++", "1.0+-a", "1.0.",
    ".1", "1..0", "a1", "1.0-", "1.0--1", "1.0a--1", "1.0 1", "1.0\x00", "\u0661.\u0660",
    "1.0\u212a", "1.99999999999999999999999999999999", "99999999999999999999999999999999999",
    "1.0.dev456", "1.0a1", "1.0a2.dev456", "1.0a12.dev456", "1.0a12", "1.0b1.dev456", "1.0b2",
    "1.0b2.post345.dev456", "1.0b2.post345", "1.0b2-346", "1.0c1.dev456", "1.0rc2", "1.0c3",
    "1.0", "1.0.post456.dev34", "1.0.post456", "1.1.dev1", "2012.15", "1.2.3.4.5.6.7.8.9",
    "1.0.0-rc.1", "1.0.0-beta.2", "2.0.0-custom", "1.0.dev-1", "1.0a-dev", "1.0-dev.1",
    "1.0.0.post0", "1.0.0.0", "1.0.0.0+0", "3.0.0b3-", "0.7.11p3", "2019-09-12", "0.2.0-n653",
]


def versions(pypi_dir):
    seen = set(EDGE)
    for path in glob.glob(os.path.join(pypi_dir, "*.json")):
        with open(path, encoding="utf-8") as f:
            rec = json.load(f)
        for aff in rec.get("affected", []):
            seen.update(aff.get("versions", []))
            for rng in aff.get("ranges", []):
                if rng.get("type") == "ECOSYSTEM":
                    for ev in rng.get("events", []):
                        seen.update(v for v in ev.values() if isinstance(v, str))
    return seen


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    valid, invalid = [], []
    for s in versions(sys.argv[1]):
        try:
            valid.append((Version(s), s))
        except InvalidVersion:
            invalid.append(s)
    out = sys.stdout
    for s in sorted(invalid):
        out.write("-1\t-\t%s\n" % json.dumps(s))
    valid.sort(key=lambda x: (x[0], x[1]))
    rank, prev = -1, None
    for v, s in valid:
        if prev is None or v != prev:
            rank += 1
            prev = v
        out.write("%d\t%s\t%s\n" % (rank, str(v), json.dumps(s)))


if __name__ == "__main__":
    main()
