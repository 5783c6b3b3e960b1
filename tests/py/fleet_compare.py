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
  changes SYNC.json OLD NEW WITHDRAWN
                               the changes `ward fleet sync --json` reports
                               against those the scans before (OLD) and after
                               (NEW) the feed update imply, image by image;
                               WITHDRAWN lists the withdrawn record ids
SCANS, OLD and NEW are files of lines "DIGEST<TAB>scan.json".  Exit 0 when
equal, else 1 with the differences.
"""
import glob
import json
import os
import sys


def canon(f):
    return json.dumps(f, sort_keys=True)


def scans(path, lists=("findings", "suppressed"), tag=False):
    """digest -> the findings of its scan in the given lists of the report
    (with tag, each marked with its list as fleet impact marks it)."""
    out = {}
    for line in open(path):
        line = line.rstrip("\n")
        if not line:
            continue
        digest, scan = line.split("\t")
        d = json.load(open(scan))
        out[digest] = [dict(f, list=l) if tag else f for l in lists for f in d.get(l, [])]
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
        miss, extra = sorted(set(w) - set(g)), sorted(set(g) - set(w))
        for x in miss[:3]:
            # the fields that differ from the extra finding of the same id and owner
            a = json.loads(x)
            for y in extra:
                b = json.loads(y)
                if (a.get("id"), a.get("owner")) == (b.get("id"), b.get("owner")):
                    d = {k: (a.get(k), b.get(k)) for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)}
                    errs.append("%s: %s of %s: scan != fleet in %s" % (where, a.get("id"), a.get("owner"),
                                                                      json.dumps(d)[:600]))
                    break
            else:
                errs.append("%s: missing %s" % (where, x[:300]))
        for x in extra[:3]:
            b = json.loads(x)
            if not any((json.loads(y).get("id"), json.loads(y).get("owner")) == (b.get("id"), b.get("owner"))
                       for y in miss):
                errs.append("%s: extra %s" % (where, x[:300]))
        if w and g and set(w) == set(g):
            errs.append("%s: same findings, different counts" % where)


def cmd_impact(impact, scanlist):
    # every list of the scan report: open findings, those the scan resolved
    # itself (changelog backport, Debian's verdict), those the image's VEX
    # suppresses
    sc = scans(scanlist, ("findings", "resolved", "suppressed"), tag=True)
    adv = json.load(open(impact))
    errs, pairs, compared = [], 0, 0
    for a in adv:
        q = a["query"]
        # each distinct finding once, with the images that have it
        got = {}
        for f in a["findings"]:
            f = dict(f)
            imgs, lst = f.pop("images"), f.get("list")
            if lst != "resolved" and \
                    (lst == "suppressed") != (f.get("vex", {}).get("status") in ("not_affected", "fixed")):
                errs.append("%s: list %s of %s disagrees with its VEX" % (q, lst, f["id"]))
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


def lists_of(d):
    """(owner, id) -> (finding, suppressed) over every list of a scan."""
    out = {}
    for l in ("findings", "resolved", "suppressed"):
        for f in d.get(l, []):
            out[(f["owner"], f["id"])] = (f, l != "findings")
    return out


def cmd_changes(sync, old, new, withdrawn):
    """What `ward fleet sync` must report, derived from the scans of every
    image before and after the feed update (independent of ward's diff):
    a finding that appears unsuppressed is newly affected; one that goes away
    while unsuppressed is withdrawn when all its records are withdrawn, else
    newly fixed; one that turns suppressed/resolved is newly fixed, the other
    way newly affected; an unsuppressed one that changes gets fix_available
    when a fixed version appears, else changed."""
    gone = set(l.strip() for l in open(withdrawn) if l.strip())
    olds = {d: json.load(open(p)) for d, p in (l.rstrip("\n").split("\t") for l in open(old) if l.strip())}
    news = {d: json.load(open(p)) for d, p in (l.rstrip("\n").split("\t") for l in open(new) if l.strip())}
    want = set()
    for digest in news:
        a, b = lists_of(olds.get(digest, {})), lists_of(news[digest])
        for k in set(a) | set(b):
            kind = None
            if k not in a:
                kind = None if b[k][1] else "newly_affected"
            elif k not in b:
                if not a[k][1]:
                    kind = "withdrawn" if set(a[k][0]["records"]) <= gone else "newly_fixed"
            else:
                (fa, sa), (fb, sb) = a[k], b[k]
                if not sa and sb:
                    kind = "newly_fixed"
                elif sa and not sb:
                    kind = "newly_affected"
                elif not sb and canon(fa) != canon(fb):
                    kind = "fix_available" if fa.get("fixed") is None and fb.get("fixed") is not None else "changed"
            if kind:
                want.add((kind, digest, k[0], k[1]))
    d = json.load(open(sync))
    got = set()
    for c in d["changes"]:
        for digest in c["images"]:
            got.add((c["change"], digest, c["finding"]["owner"], c["finding"]["id"]))
    for x in sorted(want - got)[:20]:
        print("missing", x)
    for x in sorted(got - want)[:20]:
        print("extra", x)
    kinds = {}
    for x in want:
        kinds[x[0]] = kinds.get(x[0], 0) + 1
    print("%d changes expected (%s), %d reported, %d differences" % (
        len(want), ", ".join("%s %d" % kv for kv in sorted(kinds.items())), len(got), len(want ^ got)))
    return 1 if want != got else 0


def main(argv):
    if len(argv) == 2 and argv[0] == "ids":
        return cmd_ids(argv[1])
    if len(argv) == 3 and argv[0] == "impact":
        return cmd_impact(argv[1], argv[2])
    if len(argv) == 3 and argv[0] == "state":
        return cmd_state(argv[1], argv[2])
    if len(argv) == 5 and argv[0] == "changes":
        return cmd_changes(*argv[1:])
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
