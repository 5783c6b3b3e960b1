#!/usr/bin/env python3
"""Independent oracle for `ward scan`: the findings a root filesystem or an
SBOM must produce against the OSV records in shared/vulndata, computed with
dpkg (dpkg-query for the package set, dpkg --compare-versions for order)
and Python's packaging (PEP 440), without any of ward's code.

usage:
  vuln_oracle.py packages ROOT                      package set of a root filesystem (JSON)
  vuln_oracle.py sbom PACKAGES FLAVOR               an SBOM in the style of FLAVOR
  vuln_oracle.py expect PACKAGES VULNDATA CVSS [FLAVOR]
                                                    expected findings (JSON)
  vuln_oracle.py compare EXPECTED WARD_JSON         exit 1 and show the difference

FLAVOR: cdx-ward, cdx-nested, cdx-syft, cdx-trivy, spdx-syft, spdx-trivy.
CVSS: a file of "vector<TAB>score" lines from tests/js/cvss-scores.mjs.

The rules (docs/vuln-db.md, "Matching"): Debian packages match Debian:<N>
records by source package and source version in dpkg order; Python
distributions match PyPI records by PEP 503 name and PEP 440 version; an
ECOSYSTEM range is walked over its events sorted by version; an event
version that cannot be ordered is left out; versions[] hits count.  Per
owner (the Debian package, or the distribution), matched records that share
an id or alias are one finding; a PyPI record whose vulnerability the
owner's Debian source has a record for is superseded by Debian's verdict.
"""
import functools
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

try:
    from packaging.version import InvalidVersion, Version
except ImportError:
    from pip._vendor.packaging.version import InvalidVersion, Version

SEVERITIES = ["unknown", "none", "low", "medium", "high", "critical"]


# ------------------------------------------------------------------ packages

def os_release(root):
    for rel in ("etc/os-release", "usr/lib/os-release"):
        path = os.path.join(root, rel)
        if os.path.islink(path) and os.readlink(path).startswith("/"):
            path = os.path.join(root, os.readlink(path).lstrip("/"))
        try:
            text = open(path, encoding="utf-8").read()
        except OSError:
            continue
        vals = {}
        for line in text.splitlines():
            if "=" in line:
                k, v = line.split("=", 1)
                vals[k] = v.strip().strip('"').strip("'")
        m = re.match(r"\d+", vals.get("VERSION_ID", ""))
        if vals.get("ID") == "debian" and m:
            return "Debian:" + m.group(0)
        return None
    return None


def admindir_for(root, tmp):
    """dpkg's database of root; a distroless status.d/ becomes a normal one."""
    adm = os.path.join(root, "var/lib/dpkg")
    statusd = os.path.join(adm, "status.d")
    if not os.path.isdir(statusd):
        return adm
    fake = os.path.join(tmp, "admin")
    os.makedirs(os.path.join(fake, "info"))
    paras = []
    if os.path.exists(os.path.join(adm, "status")):
        paras.append(open(os.path.join(adm, "status"), encoding="utf-8").read().strip())
    for name in sorted(os.listdir(statusd)):
        if "." in name:
            continue
        text = open(os.path.join(statusd, name), encoding="utf-8").read().strip()
        if not re.search(r"^Status:", text, re.M):
            text += "\nStatus: install ok installed"
        paras.append(text)
        md5 = os.path.join(statusd, name + ".md5sums")
        if os.path.exists(md5):
            with open(os.path.join(fake, "info", name + ".list"), "w", encoding="utf-8") as f:
                for line in open(md5, encoding="utf-8"):
                    parts = line.rstrip("\n").split("  ", 1)
                    if len(parts) == 2:
                        f.write("/" + parts[1].lstrip("/") + "\n")
    with open(os.path.join(fake, "status"), "w", encoding="utf-8") as f:
        f.write("\n\n".join(paras) + "\n")
    return fake


def packages(root):
    root = os.path.abspath(root)
    eco = os_release(root)
    tmp = tempfile.mkdtemp()
    try:
        adm = admindir_for(root, tmp)
        out = subprocess.run(
            ["dpkg-query", "--admindir=" + adm, "-W", "-f",
             "${Package}\\t${Version}\\t${Architecture}\\t${source:Package}\\t"
             "${source:Version}\\t${db:Status-Status}\\n"],
            check=True, capture_output=True, text=True).stdout
        pkgs = []
        for line in out.splitlines():
            name, ver, arch, src, srcver, status = line.split("\t")
            if status != "installed":
                continue
            pkgs.append({"ecosystem": eco, "name": name, "version": ver, "arch": arch,
                         "source": src, "source_version": srcver})
        dists = []
        for site in sorted(glob.glob(os.path.join(root, "usr/lib/python3*/*-packages")) +
                           glob.glob(os.path.join(root, "usr/local/lib/python3*/*-packages"))):
            if os.path.basename(site) not in ("dist-packages", "site-packages"):
                continue
            for entry in sorted(os.listdir(site)):
                if not entry.endswith((".dist-info", ".egg-info")):
                    continue
                path = os.path.join(site, entry)
                meta = path
                if os.path.isdir(path):
                    meta = os.path.join(path, "METADATA" if entry.endswith(".dist-info")
                                        else "PKG-INFO")
                try:
                    from email.parser import HeaderParser
                    hdr = HeaderParser().parsestr(open(meta, encoding="utf-8",
                                                       errors="replace").read())
                except OSError:
                    continue
                if not hdr.get("Name") or not hdr.get("Version"):
                    continue
                dists.append({"ecosystem": "PyPI", "name": hdr["Name"].strip(),
                              "version": hdr["Version"].strip(),
                              "path": "/" + os.path.relpath(path, root),
                              "meta": "/" + os.path.relpath(meta, root)})
        # ownership: dpkg-query -S on each distribution's metadata file (a
        # distroless md5sums list names files, not directories)
        if dists:
            r = subprocess.run(["dpkg-query", "--admindir=" + adm, "-S"] +
                               [d["meta"] for d in dists], capture_output=True, text=True)
            owners = {}
            for line in r.stdout.splitlines():
                if line.startswith("diversion"):
                    continue
                pk, path = line.split(": ", 1)
                owners[path] = pk.split(",")[0].split(":")[0].strip()
            for d in dists:
                d["owner"] = owners.get(d["meta"])
                del d["meta"]
        return {"distro": eco, "packages": pkgs + dists}
    finally:
        shutil.rmtree(tmp)


# ------------------------------------------------------------------ SBOMs

def deb_purl(p, flavor):
    from urllib.parse import quote
    q = {"arch": p["arch"], "distro": p["ecosystem"].replace("Debian:", "debian-")}
    ver = p["version"]
    if flavor.endswith("trivy"):
        if ":" in ver:
            q["epoch"], ver = ver.split(":", 1)
        q["distro"] += ".4"  # trivy writes the point release: debian-12.4
    elif p["source"] != p["name"] or p["source_version"] != p["version"]:
        up = p["source"]
        if p["source_version"] != p["version"]:
            up += "@" + p["source_version"]
        q["upstream"] = up
    enc = lambda s: quote(s, safe=".-_~:")
    return "pkg:deb/debian/%s@%s?%s" % (p["name"], enc(ver),
                                        "&".join("%s=%s" % (k, enc(v)) for k, v in sorted(q.items())))


def pep503(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def py_purl(d):
    from urllib.parse import quote
    return "pkg:pypi/%s@%s" % (pep503(d["name"]), quote(d["version"], safe=".-_~:+!"))


def trivy_src(p):
    v = p["source_version"]
    epoch = "0"
    if ":" in v:
        epoch, v = v.split(":", 1)
    rel = ""
    if "-" in v:
        v, rel = v.rsplit("-", 1)
    return epoch, v, rel


def sbom(pk, flavor):
    debs = [p for p in pk["packages"] if p["ecosystem"] != "PyPI"]
    dists = [p for p in pk["packages"] if p["ecosystem"] == "PyPI"]
    if flavor.endswith("trivy"):  # trivy leaves out what dpkg owns
        dists = [d for d in dists if not d.get("owner")]
    major = pk["distro"].split(":")[1]
    if flavor.startswith("cdx"):
        comps, by_name = [], {}
        for p in debs:
            c = {"type": "library", "bom-ref": deb_purl(p, flavor), "name": p["name"],
                 "version": p["version"], "purl": deb_purl(p, flavor)}
            if flavor == "cdx-syft":
                c["properties"] = [{"name": "syft:package:type", "value": "deb"},
                                   {"name": "syft:metadata:source", "value": p["source"]}]
                if p["source_version"] != p["version"]:
                    c["properties"].append({"name": "syft:metadata:sourceVersion",
                                            "value": p["source_version"]})
            elif flavor == "cdx-trivy":
                e, v, r = trivy_src(p)
                c["properties"] = [{"name": "aquasecurity:trivy:PkgType", "value": "debian"},
                                   {"name": "aquasecurity:trivy:SrcName", "value": p["source"]},
                                   {"name": "aquasecurity:trivy:SrcVersion", "value": v}]
                if r:
                    c["properties"].append({"name": "aquasecurity:trivy:SrcRelease", "value": r})
                if e != "0":
                    c["properties"].append({"name": "aquasecurity:trivy:SrcEpoch", "value": e})
            comps.append(c)
            by_name[p["name"]] = c
        for d in dists:
            c = {"type": "library", "bom-ref": py_purl(d) + "#" + d["path"], "name": d["name"],
                 "version": d["version"], "purl": py_purl(d)}
            if flavor == "cdx-syft":
                c["properties"] = [{"name": "syft:package:type", "value": "python"},
                                   {"name": "syft:location:0:path",
                                    "value": d["path"] + "/METADATA"}]
            if flavor == "cdx-ward" and d.get("owner"):
                c["properties"] = [{"name": "ward:owner", "value": d["owner"]}]
            if flavor == "cdx-nested" and d.get("owner") in by_name:
                by_name[d["owner"]].setdefault("components", []).append(c)
                continue
            comps.append(c)
        comps.append({"type": "operating-system", "bom-ref": "os", "name": "debian",
                      "version": major + (".4" if flavor == "cdx-trivy" else "")})
        return {"bomFormat": "CycloneDX", "specVersion": "1.6",
                "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79", "version": 1,
                "metadata": {"component": {"type": "container", "name": "oracle-rootfs",
                                           "bom-ref": "pkg:oci/oracle-rootfs@sha256%3A" +
                                           "0" * 64}},
                "components": comps}
    # SPDX 2.3
    spdx_pk, rels = [], []
    ids = {}
    for i, p in enumerate(debs + dists):
        sid = "SPDXRef-Package-%d" % i
        purl = deb_purl(p, flavor) if p in debs else py_purl(p)
        e = {"SPDXID": sid, "name": p["name"], "versionInfo": p["version"],
             "downloadLocation": "NOASSERTION", "filesAnalyzed": False,
             "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                               "referenceLocator": purl}]}
        if p in debs and flavor == "spdx-trivy":
            e["sourceInfo"] = "built package from: %s %s" % (p["source"], p["source_version"])
        spdx_pk.append(e)
        ids[id(p)] = sid
        rels.append({"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES",
                     "relatedSpdxElement": sid})
    names = {p["name"]: ids[id(p)] for p in debs}
    for d in dists:
        if d.get("owner") in names and flavor == "spdx-syft":
            rels.append({"spdxElementId": names[d["owner"]], "relationshipType": "OTHER",
                         "relatedSpdxElement": ids[id(d)],
                         "comment": "ownership-by-file-overlap: indicates that the parent "
                                    "package claims ownership of a child package"})
    spdx_pk.append({"SPDXID": "SPDXRef-OperatingSystem", "name": "debian", "versionInfo": major,
                    "downloadLocation": "NOASSERTION", "primaryPackagePurpose": "OPERATING_SYSTEM"})
    return {"spdxVersion": "SPDX-2.3", "dataLicense": "CC0-1.0", "SPDXID": "SPDXRef-DOCUMENT",
            "name": "oracle-rootfs", "documentNamespace": "https://example.invalid/oracle",
            "creationInfo": {"created": "2024-01-01T00:00:00Z", "creators": ["Tool: oracle"]},
            "packages": spdx_pk, "relationships": rels}


def effective_packages(pk, flavor):
    """The package set as the given SBOM flavor can describe it."""
    pkgs = [dict(p) for p in pk["packages"]]
    if flavor.endswith("trivy"):
        pkgs = [p for p in pkgs if p["ecosystem"] != "PyPI" or not p.get("owner")]
    if flavor == "cdx-syft":
        # syft's CycloneDX keeps no ownership: a dist-packages location below
        # /usr/lib means Debian's, and Debian names it python3-<module>
        debs = {p["name"] for p in pkgs if p["ecosystem"] != "PyPI"}
        for p in pkgs:
            if p["ecosystem"] != "PyPI":
                continue
            n = pep503(p["name"])
            cands = ["python3-" + n, "python3-" + (n[2:] if n.startswith("py") and n[2:] else n),
                     "python3-" + (n[7:] if n.startswith("python-") else n)]
            p["owner"] = None
            if p["path"].startswith("/usr/lib/python3"):
                p["owner"] = next((c for c in cands if c in debs), None)
    return pkgs


# ------------------------------------------------------------------ matching

@functools.lru_cache(maxsize=None)
def dpkg_cmp(a, b):
    if a == b:
        return 0
    if subprocess.run(["dpkg", "--compare-versions", a, "lt", b]).returncode == 0:
        return -1
    if subprocess.run(["dpkg", "--compare-versions", a, "eq", b]).returncode == 0:
        return 0
    return 1


@functools.lru_cache(maxsize=None)
def dpkg_valid(v):
    # dpkg rejects what it cannot order: compare the version with itself
    r = subprocess.run(["dpkg", "--compare-versions", v, "eq", v], capture_output=True)
    return r.returncode == 0 and not r.stderr


def parse(kind, v):
    """A sort key, or None when the ecosystem cannot order v."""
    if v == "0":
        return (0,)
    if kind == "pypi":
        try:
            return (1, Version(v))
        except InvalidVersion:
            return None
    return (1, functools.cmp_to_key(dpkg_cmp)(v)) if dpkg_valid(v) else None


def cmp(a, b):
    return (a > b) - (a < b)


def eval_record(kind, installed, affs):
    """(affected, fixed, note, urgency, kind) over a record's entries for the package."""
    iv = parse(kind, installed)
    affected, fixed, fixed_key, bad_fixed, notes, urg = False, None, None, None, [], {}
    for aff in affs:
        hit = False
        for v in aff.get("versions", []):
            if v == installed or (iv is not None and parse(kind, v) is not None and
                                  parse(kind, v) == iv):
                hit = True
        for rng in aff.get("ranges", []):
            if rng.get("type") != "ECOSYSTEM" or iv is None:
                continue
            events, first_bad = [], None
            for order, ev in enumerate(rng["events"]):
                (t, v), = ev.items()
                k = parse(kind, v)
                if k is None:
                    n = 'advisory version "%s" cannot be ordered and was left out of the range' % v
                    if n not in notes:
                        notes.append(n)
                    if t == "fixed" and first_bad is None:
                        first_bad = v
                    continue
                events.append((k, order, t, v))
            events.sort(key=lambda e: (e[0], e[1]))
            state = False
            for k, _, t, v in events:
                if t == "introduced" and (v == "0" or iv >= k):
                    state = True
                elif t in ("fixed", "limit") and iv >= k:
                    state = False
                elif t == "last_affected" and iv > k:
                    state = False
            if state:
                hit = True
                for k, _, t, v in events:
                    if t == "fixed" and k > iv and (fixed_key is None or k < fixed_key):
                        fixed, fixed_key = v, k
                if first_bad is not None and fixed is None and bad_fixed is None:
                    bad_fixed = first_bad
        if hit:
            affected = True
            es = aff.get("ecosystem_specific") or {}
            for key in ("urgency", "kind"):
                if key in es and key not in urg:
                    urg[key] = es[key]
    if fixed is None:
        fixed = bad_fixed
    return affected, fixed, "; ".join(notes) or None, urg.get("urgency"), urg.get("kind")


def load_records(vulndata):
    recs = {}
    for path in sorted(glob.glob(os.path.join(vulndata, "**", "*.json"), recursive=True)):
        with open(path, encoding="utf-8") as f:
            r = json.load(f)
        if r.get("withdrawn"):
            continue
        recs[r["id"]] = r
    index = {}
    for r in recs.values():
        for aff in r.get("affected", []):
            pkg = aff.get("package")
            if not pkg:
                continue
            eco = pkg["ecosystem"]
            name = pep503(pkg["name"]) if eco == "PyPI" else pkg["name"].lower()
            index.setdefault((eco, name), {}).setdefault(r["id"], []).append(aff)
    return recs, index


def cvss_score(scores, r):
    best = None
    sev = list(r.get("severity", []))
    for a in r.get("affected", []):
        sev += a.get("severity", [])
    for s in sev:
        if s.get("type") == "CVSS_V3" and scores.get(s["score"]) not in (None, "invalid"):
            v = float(scores[s["score"]])
            if best is None or v > best[0]:
                best = (v, s["score"])
    return best


def rating(score):
    if score <= 0:
        return "none"
    return "low" if score < 4 else "medium" if score < 7 else "high" if score < 9 else "critical"


def urgency_severity(u):
    if u is None:
        return "unknown"
    u = u.lower()
    for prefix, sev in (("unimportant", "low"), ("low", "low"), ("minor issue", "low"),
                        ("medium", "medium"), ("high", "high")):
        if u.startswith(prefix):
            return sev
    return "unknown"


def ids_of(r):
    return {r["id"]} | set(a for a in r.get("aliases", []) if a != r["id"])


def expect(pk, vulndata, cvss_file, flavor=None):
    scores = {}
    for line in open(cvss_file, encoding="utf-8"):
        if "\t" in line:
            v, s = line.rstrip("\n").split("\t")
            scores[v] = s
    recs, index = load_records(vulndata)
    pkgs = effective_packages(pk, flavor) if flavor else [dict(p) for p in pk["packages"]]
    # one entry per distinct package, as a scanner sees the list
    seen, uniq = set(), []
    for p in pkgs:
        key = (p["ecosystem"], p["name"], p["version"], p.get("owner"))
        if key not in seen:
            seen.add(key)
            uniq.append(p)
    debs = {p["name"]: p for p in uniq if p["ecosystem"] and p["ecosystem"].startswith("Debian:")}
    cands = []
    for p in uniq:
        if not p["ecosystem"]:
            continue
        if p["ecosystem"].startswith("Debian:"):
            kind, name, ver = "deb", p["source"].lower(), p["source_version"]
        elif p["ecosystem"] == "PyPI":
            kind, name, ver = "pypi", pep503(p["name"]), p["version"]
        else:
            continue
        owner = debs.get(p.get("owner")) if kind == "pypi" else p
        if owner is None:
            owner = p
        for rid, affs in sorted(index.get((p["ecosystem"], name), {}).items()):
            affected, fixed, note, urg, knd = eval_record(kind, ver, affs)
            if affected:
                cands.append({"pkg": p, "owner": owner, "kind": kind, "name": name,
                              "version": ver, "rec": recs[rid], "fixed": fixed, "note": note,
                              "urgency": urg, "vkind": knd})
    # Debian's verdict first for distributions a Debian package ships
    for c in cands:
        c["superseded"] = False
        o = c["owner"]
        if c["kind"] == "pypi" and o is not c["pkg"]:
            deb_ids = set()
            for rid in index.get((o["ecosystem"], o["source"].lower()), {}):
                deb_ids |= ids_of(recs[rid])
            c["superseded"] = bool(ids_of(c["rec"]) & deb_ids)
    findings = []
    owners = {}
    for c in cands:
        owners.setdefault(id(c["owner"]), []).append(c)
    for group_cands in owners.values():
        groups = []
        for c in sorted(group_cands, key=lambda c: c["rec"]["id"]):
            ids = ids_of(c["rec"])
            joined = [g for g in groups if g["ids"] & ids]
            g = {"ids": set(ids), "c": [c]}
            for j in joined:
                g["ids"] |= j["ids"]
                g["c"] += j["c"]
                groups.remove(j)
            groups.append(g)
        for g in groups:
            live = sorted((c for c in g["c"] if not c["superseded"]),
                          key=lambda c: (c["kind"] != "deb", c["rec"]["id"]))
            if not live:
                continue
            prim = live[0]
            allids = sorted(g["ids"])
            cves = [i for i in allids if i.startswith("CVE-")]
            ghsas = [i for i in allids if i.startswith("GHSA-")]
            rid = cves[0] if cves else ghsas[0] if ghsas else min(c["rec"]["id"] for c in g["c"])
            best = None
            for c in g["c"]:
                s = cvss_score(scores, c["rec"])
                if s and (best is None or s[0] > best[0]):
                    best = s
            sev = rating(best[0]) if best else urgency_severity(prim["urgency"])
            findings.append({"id": rid, "aliases": [i for i in allids if i != rid],
                             "ecosystem": prim["pkg"]["ecosystem"], "package": prim["name"],
                             "version": prim["version"], "fixed": prim["fixed"],
                             "severity": sev, "owner": prim["owner"]["name"]})
    findings.sort(key=lambda f: (-SEVERITIES.index(f["severity"]), f["id"], f["owner"],
                                 f["package"]))
    return {"findings": findings}


KEYS = ("id", "aliases", "ecosystem", "package", "version", "fixed", "severity", "owner")


def compare(expected, actual):
    key = lambda f: json.dumps([f[k] for k in KEYS])
    e = sorted(key(f) for f in expected["findings"])
    a = sorted(key({k: f[k] for k in KEYS}) for f in actual["findings"])
    if e == a:
        print("equal: %d findings" % len(e))
        return 0
    se, sa = set(e), set(a)
    for x in sorted(se - sa):
        print("only expected: " + x)
    for x in sorted(sa - se):
        print("only ward:     " + x)
    print("expected %d findings, ward %d" % (len(e), len(a)))
    return 1


def main():
    a = sys.argv[1:]
    if len(a) == 2 and a[0] == "packages":
        json.dump(packages(a[1]), sys.stdout, indent=1)
    elif len(a) == 3 and a[0] == "sbom":
        json.dump(sbom(json.load(open(a[1])), a[2]), sys.stdout, indent=1)
    elif len(a) in (4, 5) and a[0] == "expect":
        json.dump(expect(json.load(open(a[1])), a[2], a[3], a[4] if len(a) == 5 else None),
                  sys.stdout, indent=1)
    elif len(a) == 3 and a[0] == "compare":
        sys.exit(compare(json.load(open(a[1])), json.load(open(a[2]))))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
