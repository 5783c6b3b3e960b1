#!/usr/bin/env python3
"""Independent oracle for `ward scan`: the findings a root filesystem or an
SBOM must produce against OSV records and Debian tracker exports, computed
with dpkg (dpkg-query for the package set, dpkg --compare-versions for
order, dpkg-deb for .debs in ward's cache), Python's gzip and packaging
(PEP 440), without any of ward's code.

usage:
  vuln_oracle.py packages ROOT                      package set of a root filesystem (JSON),
                                                    with each Debian package's changelog CVEs
  vuln_oracle.py sbom PACKAGES FLAVOR               an SBOM in the style of FLAVOR
  vuln_oracle.py expect PACKAGES DATA CVSS [FLAVOR] [--naive]
                                                    expected findings (JSON)
  vuln_oracle.py compare EXPECTED WARD_JSON         exit 1 and show the difference
  vuln_oracle.py changelog FILE [UPTO]              CVE ids a Debian changelog names (JSON)
  vuln_oracle.py changelogs LIST                    the same for each file LIST names

DATA: directories or files of OSV records, or Debian tracker exports,
separated by ':'.  FLAVOR: cdx-ward, cdx-nested, cdx-syft, cdx-trivy,
spdx-syft, spdx-trivy (an SBOM carries no changelog: only ward's cache,
WARD_CACHE, gives backport evidence then).  CVSS: a file of
"vector<TAB>score" lines from tests/js/cvss-scores.mjs.

The rules (docs/vuln-db.md, "Matching"):
1. Debian packages match Debian:<N> records by source package and source
   version in dpkg order; a Python distribution no Debian package ships
   matches PyPI records (PEP 503 name, PEP 440 version).  A Python advisory
   about a module a Debian package ships is judged through that package:
2. Debian's records of its source decide: a record whose fix is at or below
   the installed version makes it "fixed" (not_affected for the tracker's
   "never affected"); else a matching record with a fixed version above the
   installed one is "affected" (it wins over a changelog mention); a
   matching open record (no-dsa, postponed, ...) is
3. "fixed" when the package's changelog names the id in an entry at or
   below the installed version (applied oldest first; an item saying
   "revert" undoes it), else "affected" ("under_investigation" when the
   tracker says undetermined).
   A Python advisory with no Debian record: changelog -> "fixed"; the
   upstream version Debian packaged outside the advisory's range ->
   "not_affected"; else "under_investigation".
An ECOSYSTEM range is walked over its events sorted by version; an event
version that cannot be ordered is left out; versions[] hits count.  Per
owner, records that share an id or alias are one finding; a record naming
several CVEs (a DSA) counts once per CVE.  --naive: the rules before
(Python advisories against dist-info versions, superseded by any Debian
record of the owner's source naming the same vulnerability; no changelog).
"""
import functools
import glob
import gzip
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
        if name.endswith(".md5sums"):  # package names may hold dots (python3.11)
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


# ------------------------------------------------------------------ changelogs

CL_HEADER = re.compile(r"^([a-z0-9][a-z0-9+.\-]*) \(([^()\s]+)\)")
CVE_RE = re.compile(r"(?<![A-Za-z0-9])CVE-\d{4}-\d{4,12}(?!\d)", re.I)


def changelog_items(text):
    """[(entry version, item text)] for every item of every entry."""
    out, version, item = [], None, None

    def end():
        nonlocal item
        if item is not None and version is not None:
            out.append((version, " ".join(item)))
        item = None

    for line in text.split("\n"):
        line = line.rstrip("\r")
        if line and line[0] not in " \t":
            end()
            m = CL_HEADER.match(line)
            if m:
                version = m.group(2)
            elif line.lower().startswith(("local variables:", "old changelog:")):
                break
            continue
        if version is None:
            continue
        st = line.strip()
        if not st or (line.startswith((" -- ", "-- ")) and st.startswith("-- ")) or \
                (st.startswith("[") and st.endswith("]")):
            end()
            continue
        if len(st) >= 2 and st[0] in "*-+" and st[1] in " \t":
            end()
        if item is None:
            item = []
        item.extend(st.split())
    end()
    return out


_APT = None


def version_cmp_fast(a, b):
    """dpkg order through libapt (python3-apt), else dpkg --compare-versions:
    changelogs hold hundreds of versions."""
    global _APT
    if _APT is None:
        try:
            import apt_pkg
        except ImportError:
            sys.path.append("/usr/lib/python3/dist-packages")
            try:
                import apt_pkg
            except ImportError:
                apt_pkg = False
        if apt_pkg:
            apt_pkg.init()
        _APT = apt_pkg
    if _APT:
        r = _APT.version_compare(a, b)
        return (r > 0) - (r < 0)
    return dpkg_cmp(a, b)


VERSION_SYNTAX = re.compile(r"^(\d+:)?\d[A-Za-z0-9.+~]*(-?[A-Za-z0-9.+~-]*-[A-Za-z0-9.+~]+)?$")


def version_valid_fast(v):
    # the usual shapes by regex; anything else asks dpkg
    return bool(VERSION_SYNTAX.match(v)) or dpkg_valid(v)


def changelog_cves(text, upto):
    """{CVE: [entry version, reverted]}: entries at or below upto, oldest first."""
    items = [(v, t) for v, t in changelog_items(text) if version_valid_fast(v)]
    if upto is not None:
        items = [(v, t) for v, t in items if version_cmp_fast(v, upto) <= 0]
    # oldest first: dpkg order, then the one written lower (a larger index) first
    items = sorted(enumerate(items), key=lambda x: (functools.cmp_to_key(version_cmp_fast)(x[1][0]), -x[0]))
    state = {}
    for _, (v, t) in items:
        rev = "revert" in t.lower()
        for m in CVE_RE.finditer(t):
            cve = m.group(0).upper()
            cur = state.get(cve)
            if cur is not None and not rev and not cur[1]:
                continue
            state[cve] = [v, rev]
    return state


def read_changelog(data, name, upto):
    if name.endswith(".gz"):
        data = gzip.decompress(data)
    return changelog_cves(data.decode("utf-8", "replace"), upto)


def resolve_in(root, path, depth=0):
    """path resolved inside root as a chroot would, or None."""
    parts = [p for p in path.split("/") if p and p != "."]
    cur = []
    links = 0
    while parts:
        p = parts.pop(0)
        if p == "..":
            if cur:
                cur.pop()
            continue
        full = os.path.join(root, *cur, p)
        if not os.path.lexists(full):
            return None
        if os.path.islink(full):
            links += 1
            if links > 40:
                return None
            t = os.readlink(full)
            if t.startswith("/"):
                cur = []
            parts = [x for x in t.split("/") if x and x != "."] + parts
            continue
        cur.append(p)
    return "/" + "/".join(cur)


def root_changelog(root, name, sv):
    for fn in ("changelog.Debian.gz", "changelog.gz"):
        if fn == "changelog.gz" and "-" in sv:
            break
        r = resolve_in(root, "usr/share/doc/%s/%s" % (name, fn))
        if r is None or not os.path.isfile(os.path.join(root, r.lstrip("/"))):
            continue
        try:
            return {"where": r, "cves": read_changelog(
                open(os.path.join(root, r.lstrip("/")), "rb").read(), fn, sv)}
        except (OSError, EOFError, ValueError):
            return None
    return None


_CACHE_INDEX = None
_DEB_CL = {}
_SRC_CL = {}


def _deb_fields(path):
    try:
        if open(path, "rb").read(8) != b"!<arch>\n":
            return None
    except OSError:
        return None
    r = subprocess.run(["dpkg-deb", "-f", path, "Package", "Version", "Architecture", "Source"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return None
    f = {}
    for line in r.stdout.splitlines():
        if ": " in line:
            k, v = line.split(": ", 1)
            f[k] = v.strip()
    src, sv = f.get("Source") or f.get("Package"), f.get("Version")
    m = re.match(r"^(\S+) \((.+)\)$", src or "")
    if m:
        src, sv = m.group(1), m.group(2)
    return (path, f.get("Package"), f.get("Version"), f.get("Architecture"), src, sv)


def cache_index():
    """[(blob path, Package, Version, Architecture, Source, source version)]
    of the .debs in ward's cache (WARD_CACHE, else ~/.cache/ward), read with
    dpkg-deb."""
    global _CACHE_INDEX
    if _CACHE_INDEX is not None:
        return _CACHE_INDEX
    cache = os.environ.get("WARD_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.environ.get("HOME", "/"), ".cache"), "ward")
    d = os.path.join(cache, "blobs", "sha256")
    paths = [os.path.join(d, n) for n in sorted(os.listdir(d))] if os.path.isdir(d) else []
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(4) as ex:
        _CACHE_INDEX = [x for x in ex.map(_deb_fields, paths) if x is not None]
    return _CACHE_INDEX


def deb_changelog(path, name, sv):
    """The package's changelog CVEs out of a .deb (dpkg-deb + Python's tarfile)."""
    key = (path, name, sv)
    if key in _DEB_CL:
        return _DEB_CL[key]
    import tarfile
    want = ["usr/share/doc/%s/changelog.Debian.gz" % name]
    if "-" not in sv:
        want.append("usr/share/doc/%s/changelog.gz" % name)
    proc = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", path], stdout=subprocess.PIPE)
    found = None
    with tarfile.open(fileobj=proc.stdout, mode="r|") as tf:
        for m in tf:
            n = m.name[2:] if m.name.startswith("./") else m.name
            if n in want and m.isfile():
                found = {"where": "cache " + path + ": /" + n,
                         "cves": read_changelog(tf.extractfile(m).read(), n, sv)}
                break
    proc.stdout.close()
    proc.kill()
    proc.wait()
    _DEB_CL[key] = found
    return found


def cache_changelog(p):
    name, ver, arch = p["name"], p["version"], p.get("arch")
    src, sv = p["source"], p["source_version"]
    idx = cache_index()
    for path, pk, v, a, s_, s_v in idx:
        if pk == name and v == ver and (arch is None or a in (arch, "all")):
            cl = deb_changelog(path, pk, s_v)
            if cl is not None:
                return cl
    if (src, sv) in _SRC_CL:
        return _SRC_CL[(src, sv)]
    found = None
    for path, pk, v, a, s_, s_v in idx:
        if s_ == src and s_v == sv:
            found = deb_changelog(path, pk, s_v)
            if found is not None:
                break
    _SRC_CL[(src, sv)] = found
    return found

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
                         "source": src, "source_version": srcver,
                         "changelog": root_changelog(root, name, srcver)})
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
    """(affected, fixed, note, urgency, kind, resolved_by) over a record's entries."""
    iv = parse(kind, installed)
    affected, fixed, fixed_key, bad_fixed, notes, urg = False, None, None, None, [], {}
    resolved, resolved_key = None, None
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
                    if state and t == "fixed" and (resolved_key is None or k > resolved_key):
                        resolved, resolved_key = v, k
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
    return (affected, fixed, "; ".join(notes) or None, urg.get("urgency"), urg.get("kind"),
            resolved)


CODENAMES = {"buster": "10", "bullseye": "11", "bookworm": "12", "trixie": "13",
             "forky": "14", "duke": "15"}


def tracker_records(path):
    """The Debian tracker export as OSV records (docs/vuln-db.md)."""
    data = json.load(open(path, encoding="utf-8"))
    recs = {}
    for pkg, issues in data.items():
        for iid, issue in issues.items():
            if not (iid.startswith("CVE-") or iid.startswith("TEMP-")) or \
                    not isinstance(issue.get("releases"), dict):
                continue
            r = recs.setdefault(iid, {"id": "DEBIAN-" + iid,
                                      "aliases": [iid] if iid.startswith("CVE-") else [],
                                      "summary": issue.get("description"), "affected": []})
            for code, rel in issue["releases"].items():
                if code not in CODENAMES or "status" not in rel:
                    continue
                st, fv = rel["status"], rel.get("fixed_version")
                es = {}
                if "urgency" in rel:
                    es["urgency"] = rel["urgency"]
                if st == "resolved":
                    if not fv:
                        continue
                    if fv == "0":
                        ranges, es["kind"] = [], "not-affected"
                    else:
                        ranges = [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fv}]}]
                else:
                    ranges = [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]
                    if st == "undetermined":
                        es["kind"] = "undetermined"
                    elif rel.get("nodsa_reason"):
                        es["kind"] = rel["nodsa_reason"]
                    elif "nodsa" in rel:
                        es["kind"] = "no-dsa"
                    elif rel.get("urgency") == "end-of-life":
                        es["kind"] = "end-of-life"
                    else:
                        es["kind"] = "unfixed"
                r["affected"].append({"package": {"ecosystem": "Debian:" + CODENAMES[code],
                                                  "name": pkg}, "ranges": ranges,
                                      "ecosystem_specific": es})
    return list(recs.values())


def is_tracker(path):
    try:
        d = json.load(open(path, encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(d, dict) or "id" in d or not d:
        return False
    first = next(iter(d.values()))
    return isinstance(first, dict) and all(k.startswith(("CVE-", "TEMP-")) for k in first)


def rfc3339_epoch(t):
    import datetime
    m = re.match(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$", t)
    base = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S")
    off = 0
    if m.group(3) != "Z":
        sign = 1 if m.group(3)[0] == "+" else -1
        off = sign * (int(m.group(3)[1:3]) * 3600 + int(m.group(3)[4:6]) * 60)
    frac = float(m.group(2) or 0)
    return base.replace(tzinfo=datetime.timezone.utc).timestamp() - off + frac


def load_records(data):
    """Records by id; of two with the same id the later modified wins (the
    first on a tie), a withdrawn one stays as a tombstone."""
    recs = {}
    files = []
    for part in data.split(":"):
        if os.path.isdir(part):
            files += sorted(glob.glob(os.path.join(part, "**", "*.json"), recursive=True))
        elif part:
            files.append(part)

    def keep(r, mod):
        old = recs.get(r["id"])
        if old is None or mod > old["_mod"]:
            r["_mod"] = mod
            recs[r["id"]] = r

    for path in files:
        if is_tracker(path):
            mod = int(os.stat(path).st_mtime)
            for r in tracker_records(path):
                keep(r, mod)
            continue
        with open(path, encoding="utf-8") as f:
            r = json.load(f)
        for one in (r if isinstance(r, list) else [r]):
            keep(one, rfc3339_epoch(one["modified"]))
    recs = {k: r for k, r in recs.items() if not r.get("withdrawn")}
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
    return {r["id"]} | set(a for a in r.get("aliases", []) + r.get("upstream", [])
                           if a != r["id"])


def vuln_ids(r):
    """One id set per vulnerability the record is about: a record naming
    several CVEs (a DSA) is about each of them."""
    cves = sorted(i for i in ids_of(r) if i.startswith("CVE-"))
    if len(cves) > 1:
        return [{c} for c in cves]
    return [ids_of(r)]


def upstream_of(debver):
    v = debver.split(":", 1)[1] if ":" in debver else debver
    if "-" in v:
        v = v.rsplit("-", 1)[0]
    v = re.split(r"[+~]", v)[0]
    try:
        Version(v)
    except InvalidVersion:
        return None
    return v or None


def expect(pk, data, cvss_file, flavor=None, naive=False):
    scores = {}
    for line in open(cvss_file, encoding="utf-8"):
        if "\t" in line:
            v, s = line.rstrip("\n").split("\t")
            scores[v] = s
    recs, index = load_records(data)
    pkgs = effective_packages(pk, flavor) if flavor else [dict(p) for p in pk["packages"]]
    if flavor:  # an SBOM carries no changelog
        for p in pkgs:
            p["changelog"] = None
    seen, uniq = set(), []
    for p in pkgs:
        key = (p["ecosystem"], p["name"], p["version"], p.get("owner"))
        if key not in seen:
            seen.add(key)
            uniq.append(p)
    debs = {p["name"]: p for p in uniq if p["ecosystem"] and p["ecosystem"].startswith("Debian:")}

    def changelog(o):
        if naive:
            return {}
        if o.get("changelog"):
            return o["changelog"]["cves"]
        for q in debs.values():
            if q.get("changelog") and q["source"] == o["source"] and \
                    q["source_version"] == o["source_version"]:
                return q["changelog"]["cves"]
        cl = cache_changelog(o)
        return cl["cves"] if cl else {}

    cands = []

    def add(p, owner, kind, name, ver, rid, res, matched):
        affected, fixed, note, urg, knd, resolved = res
        for ids in vuln_ids(recs[rid]):
            cands.append({"pkg": p, "owner": owner, "kind": kind, "name": name, "version": ver,
                          "rec": recs[rid], "ids": ids, "fixed": fixed, "note": note,
                          "urgency": urg, "vkind": knd, "resolved": resolved,
                          "matched": matched})

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
            res = eval_record(kind, ver, affs)
            if res[0]:
                add(p, owner, kind, name, ver, rid, res, True)
    # Debian's verdict on every vulnerability a candidate of a Debian owner
    # names: all records of the owner's source naming it, matching or not
    first = list(cands)
    for o in {id(c["owner"]): c["owner"] for c in first}.values():
        if not (o["ecosystem"] or "").startswith("Debian:"):
            continue
        mine = [c for c in first if c["owner"] is o]
        for rid, affs in sorted(index.get((o["ecosystem"], o["source"].lower()), {}).items()):
            if any(x["owner"] is o and x["kind"] == "deb" and x["rec"]["id"] == rid for x in cands):
                continue
            if any(ids_of(recs[rid]) & c["ids"] for c in mine):
                res = eval_record("deb", o["source_version"], affs)
                add(o, o, "deb", o["source"].lower(), o["source_version"], rid, res, res[0])
    findings, resolved = [], []
    owners = {}
    for c in cands:
        owners.setdefault(id(c["owner"]), []).append(c)
    for group_cands in owners.values():
        groups = []
        for c in group_cands:
            joined = [g for g in groups if g["ids"] & c["ids"]]
            g = {"ids": set(c["ids"]), "c": [c]}
            for j in joined:
                g["ids"] |= j["ids"]
                g["c"] += j["c"]
                groups.remove(j)
            groups.append(g)
        for g in groups:
            o = g["c"][0]["owner"]
            debian_owner = o["ecosystem"] is not None and o["ecosystem"].startswith("Debian:")
            byid = lambda c: c["rec"]["id"]
            dm = sorted((c for c in g["c"] if c["kind"] == "deb" and c["matched"]), key=byid)
            dn = sorted((c for c in g["c"] if c["kind"] == "deb" and not c["matched"]), key=byid)
            py = sorted((c for c in g["c"] if c["kind"] == "pypi"), key=byid)
            status, fixed = "affected", None
            if naive or not debian_owner:
                if debian_owner and py and dn and not dm:
                    continue
                prim = dm[0] if dm else py[0]
                fixed = prim["fixed"]
                eco, package, version = prim["pkg"]["ecosystem"] if prim["kind"] == "pypi" else \
                    o["ecosystem"], prim["name"], prim["version"]
            else:
                cl = changelog(o)
                ment = [cl[i] for i in sorted(g["ids"]) if i in cl]
                good = [m for m in ment if not m[1]]
                if dn:
                    prim = next((c for c in dn if c["resolved"]), dn[0])
                    if prim["resolved"]:
                        status, fixed = "fixed", prim["resolved"]
                    else:
                        status = "not_affected"
                elif dm:
                    prim = next((c for c in dm if c["fixed"]), dm[0])
                    if prim["fixed"]:
                        fixed = prim["fixed"]
                    elif good:
                        status, fixed = "fixed", good[0][0]
                    elif prim["vkind"] == "undetermined":
                        status = "under_investigation"
                else:
                    prim = py[0]
                    if good:
                        status, fixed = "fixed", good[0][0]
                    else:
                        up = upstream_of(o["source_version"])
                        hit = up is None or any(
                            eval_record("pypi", up, c["rec"]["affected"] and
                                        [a for a in c["rec"]["affected"]
                                         if a.get("package", {}).get("ecosystem") == "PyPI" and
                                         pep503(a["package"]["name"]) == c["name"]])[0]
                            for c in py)
                        status = "under_investigation" if hit else "not_affected"
                eco, package, version = o["ecosystem"], o["source"].lower(), o["source_version"]
            allids = sorted(g["ids"])
            cves = [i for i in allids if i.startswith("CVE-")]
            ghsas = [i for i in allids if i.startswith("GHSA-")]
            rid = cves[0] if cves else ghsas[0] if ghsas else min(c["rec"]["id"] for c in g["c"])
            best = None
            for c in g["c"]:
                sc = cvss_score(scores, c["rec"])
                if sc and (best is None or sc[0] > best[0]):
                    best = sc
            urg = prim["urgency"] if prim["kind"] == "deb" else None
            sev = rating(best[0]) if best else urgency_severity(urg)
            f = {"id": rid, "aliases": [i for i in allids if i != rid], "ecosystem": eco,
                 "package": package, "version": version, "fixed": fixed, "severity": sev,
                 "owner": o["name"], "status": status}
            (resolved if status in ("fixed", "not_affected") else findings).append(f)
    key = lambda f: (-SEVERITIES.index(f["severity"]), f["id"], f["owner"], f["package"])
    findings.sort(key=key)
    resolved.sort(key=key)
    return {"findings": findings, "resolved": resolved}


KEYS = ("id", "aliases", "ecosystem", "package", "version", "fixed", "severity", "owner", "status")


def compare(expected, actual):
    key = lambda f: json.dumps([f.get(k) for k in KEYS])
    bad = 0
    for lst in ("findings", "resolved"):
        e = sorted(key(f) for f in expected.get(lst, []))
        a = sorted(key(f) for f in actual.get(lst, []))
        if e == a:
            print("equal: %d %s" % (len(e), lst))
            continue
        bad = 1
        se, sa = set(e), set(a)
        for x in sorted(se - sa):
            print("only expected (%s): %s" % (lst, x))
        for x in sorted(sa - se):
            print("only ward     (%s): %s" % (lst, x))
        print("%s: expected %d, ward %d" % (lst, len(e), len(a)))
    return bad


def main():
    a = sys.argv[1:]
    naive = "--naive" in a
    a = [x for x in a if x != "--naive"]
    if len(a) == 2 and a[0] == "packages":
        json.dump(packages(a[1]), sys.stdout, indent=1)
    elif len(a) == 3 and a[0] == "sbom":
        json.dump(sbom(json.load(open(a[1])), a[2]), sys.stdout, indent=1)
    elif len(a) in (4, 5) and a[0] == "expect":
        json.dump(expect(json.load(open(a[1])), a[2], a[3], a[4] if len(a) == 5 else None, naive),
                  sys.stdout, indent=1)
    elif len(a) == 3 and a[0] == "compare":
        sys.exit(compare(json.load(open(a[1])), json.load(open(a[2]))))
    elif len(a) == 2 and a[0] == "changelogs":
        out = {}
        for path in open(a[1]).read().split("\n"):
            if path:
                try:
                    out[path] = read_changelog(open(path, "rb").read(), path, None)
                except (OSError, EOFError, ValueError) as e:
                    out[path] = None
        json.dump(out, sys.stdout, sort_keys=True)
    elif len(a) in (2, 3) and a[0] == "changelog":
        json.dump(read_changelog(open(a[1], "rb").read(), a[1], a[2] if len(a) == 3 else None),
                  sys.stdout, indent=1, sort_keys=True)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
