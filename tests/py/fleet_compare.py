#!/usr/bin/env python3
"""fleet_compare.py: `ward fleet` against `ward scan`, image by image.

  ids VULNDATA                 every CVE id named (as id or alias) by a record
                               of VULNDATA that is not withdrawn, one a line
  impact IMPACT.json SCANS     every advisory of `ward fleet impact --json` (each
                               distinct finding once, with its images) against
                               the scans: for each query and image,
                               the findings (and VEX-suppressed findings) of
                               the image's `ward scan --json` that name the
                               query must equal the fleet's, field by field
  state LS.json SCANS          `ward fleet ls --findings --json` (what the last
                               sync stored) against the scans: every image's
                               findings and suppressed findings, all of them
SCANS is a file of lines "DIGEST<TAB>scan.json".  Exit 0 when equal, else 1
with the differences.
"""
import glob
import json
import os
import sys


def canon(f):
    return json.dumps(f, sort_keys=True)


def scans(path):
    out = {}
    for line in open(path):
        line = line.rstrip("\n")
        if not line:
            continue
        digest, scan = line.split("\t")
        d = json.load(open(scan))
        out[digest] = d.get("findings", []) + d.get("suppressed", [])
    return out


def names(f):
    return {f["id"]} | set(f.get("aliases", []))


def cmd_ids(vd):
    ids = set()
    for p in glob.glob(os.path.join(vd, "*", "*.json")):
        r = json.load(open(p))
        if r.get("withdrawn"):
            continue
        for x in [r["id"]] + r.get("aliases", []):
            if x.startswith("CVE-"):
                ids.add(x)
    print("\n".join(sorted(ids)))
    return 0


def diff(where, want, got, errs):
    w, g = sorted(map(canon, want)), sorted(map(canon, got))
    if w != g:
        for x in sorted(set(w) - set(g))[:3]:
            errs.append("%s: missing %s" % (where, x[:300]))
        for x in sorted(set(g) - set(w))[:3]:
            errs.append("%s: extra %s" % (where, x[:300]))
        if w and g and set(w) == set(g):
            errs.append("%s: same findings, different counts" % where)


def cmd_impact(impact, scanlist):
    sc = scans(scanlist)
    adv = json.load(open(impact))
    errs, pairs, compared = [], 0, 0
    for a in adv:
        q = a["query"]
        # each distinct finding once, with the images that have it
        got = {}
        for f in a["findings"]:
            f = dict(f)
            imgs, status = f.pop("images"), f.pop("status")
            if (status == "suppressed") != (f.get("vex", {}).get("status") in ("not_affected", "fixed")):
                errs.append("%s: status %s of %s disagrees with its VEX" % (q, status, f["id"]))
            for d in imgs:
                got.setdefault(d, []).append(f)
        listed = {im["digest"] for im in a["images"]}
        if set(got) != listed:
            errs.append("%s: images listed %s, with findings %s" % (q, sorted(listed), sorted(got)))
        for digest in set(got) - set(sc):
            errs.append("%s: image %s is not one of the scanned images" % (q, digest))
        for digest, findings in sc.items():
            # an OSV file's query is its path: the scans were made with a
            # store of that file alone, so all their findings count
            want = findings if os.sep in q else [f for f in findings if q in names(f)]
            g = got.get(digest, [])
            if want or g:
                pairs += 1
            compared += len(want)
            diff("%s on %s" % (q, digest[:19]), want, g, errs)
    for e in errs[:40]:
        print(e)
    print("%d advisories, %d images, %d (advisory, image) pairs affected, %d findings compared, "
          "%d differences" % (len(adv), len(sc), pairs, compared, len(errs)))
    return 1 if errs else 0


def cmd_state(ls, scanlist):
    sc = scans(scanlist)
    images = {im["digest"]: im.get("exposure", []) for im in json.load(open(ls))}
    errs, compared = [], 0
    for digest, findings in sc.items():
        if digest not in images:
            errs.append("image %s is not in the inventory" % digest)
            continue
        compared += len(findings)
        diff("state of %s" % digest[:19], findings, images[digest], errs)
    for e in errs[:40]:
        print(e)
    print("%d images, %d findings compared, %d differences" % (len(sc), compared, len(errs)))
    return 1 if errs else 0


def main(argv):
    if len(argv) == 2 and argv[0] == "ids":
        return cmd_ids(argv[1])
    if len(argv) == 3 and argv[0] == "impact":
        return cmd_impact(argv[1], argv[2])
    if len(argv) == 3 and argv[0] == "state":
        return cmd_state(argv[1], argv[2])
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
