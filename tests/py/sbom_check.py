#!/usr/bin/env python3
"""Checks on a CycloneDX + SPDX pair that the JSON schemas do not make.

usage: sbom_check.py CDX.json SPDX.json
  - CycloneDX: bom-refs unique (nested components too); every dependency
    entry and every dependsOn ref names a component (or the subject); every
    component has a dependency entry; serialNumber is a urn:uuid.
  - SPDX: documentNamespace present and an absolute URI without '#';
    SPDXIDs unique; every relationship names known elements; the document
    DESCRIBES exactly one package; every LicenseRef used in licenseDeclared
    or licenseConcluded is defined in hasExtractedLicensingInfos; license
    expressions are well-formed (parenthesis balance, operators between
    operands).
  - Both: the same component set — (name, version, purl) of every
    top-level CycloneDX component equals that of every SPDX package except
    the described subject — and the same licenses per component.
Prints what is wrong; exit 0 when all holds, 1 otherwise.
"""
import json
import re
import sys

ERRORS = []


def err(msg):
    ERRORS.append(msg)


def walk_cdx(components, refs):
    for c in components:
        ref = c.get("bom-ref")
        if ref is None:
            err(f"component without bom-ref: {c.get('name')}")
        elif ref in refs:
            err(f"duplicate bom-ref {ref}")
        refs.add(ref)
        walk_cdx(c.get("components", []), refs)


TOKEN = re.compile(r"\(|\)|[^\s()]+")


def expression_ok(expr):
    """A small SPDX expression grammar check: operands and AND/OR/WITH alternate."""
    if expr in ("NOASSERTION", "NONE"):
        return True
    depth, want_operand = 0, True
    tokens = TOKEN.findall(expr)
    i = 0
    while i < len(tokens):
        t = tokens[i]
        if t == "(":
            if not want_operand:
                return False
            depth += 1
        elif t == ")":
            if want_operand or depth == 0:
                return False
            depth -= 1
        elif t in ("AND", "OR"):
            if want_operand:
                return False
            want_operand = True
        elif t == "WITH":
            if want_operand or i + 1 >= len(tokens) or tokens[i + 1] in "()":
                return False
            i += 1
        else:
            if not want_operand or not re.fullmatch(r"[A-Za-z0-9.+:-]+", t):
                return False
            want_operand = False
        i += 1
    return depth == 0 and not want_operand


def cdx_license(c):
    lic = c.get("licenses") or []
    if not lic:
        return None
    x = lic[0]
    return x.get("expression") or x["license"].get("id") or x["license"].get("name")


def main():
    cdx = json.load(open(sys.argv[1], encoding="utf-8"))
    spdx = json.load(open(sys.argv[2], encoding="utf-8"))

    # ---- CycloneDX
    if not re.fullmatch(r"urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-"
                        r"[0-9a-f]{12}", cdx.get("serialNumber", "")):
        err("CycloneDX serialNumber is not a urn:uuid")
    refs = set()
    subject = cdx["metadata"]["component"]["bom-ref"]
    refs.add(subject)
    walk_cdx(cdx.get("components", []), refs)
    top = {c["bom-ref"] for c in cdx.get("components", [])}
    seen = set()
    for d in cdx.get("dependencies", []):
        if d["ref"] not in refs:
            err(f"dependency entry for unknown ref {d['ref']}")
        if d["ref"] in seen:
            err(f"two dependency entries for {d['ref']}")
        seen.add(d["ref"])
        for x in d.get("dependsOn", []):
            if x not in refs:
                err(f"{d['ref']} depends on unknown ref {x}")
    for r in top - seen:
        err(f"component {r} has no dependency entry")
    for c in cdx.get("components", []):
        lic = cdx_license(c)
        if lic and not expression_ok(lic):
            err(f"CycloneDX {c['bom-ref']}: malformed license expression {lic!r}")

    # ---- SPDX
    ns = spdx.get("documentNamespace")
    if not ns or "#" in ns or not re.match(r"^[a-z][a-z0-9+.-]*:", ns):
        err(f"SPDX documentNamespace missing or not an absolute URI: {ns!r}")
    ids = {"SPDXRef-DOCUMENT"}
    for e in spdx.get("packages", []) + spdx.get("files", []):
        if e["SPDXID"] in ids:
            err(f"duplicate SPDXID {e['SPDXID']}")
        ids.add(e["SPDXID"])
    described = [r["relatedSpdxElement"] for r in spdx.get("relationships", [])
                 if r["spdxElementId"] == "SPDXRef-DOCUMENT"
                 and r["relationshipType"] == "DESCRIBES"]
    if len(described) != 1:
        err(f"SPDX document DESCRIBES {len(described)} elements, want 1")
    for r in spdx.get("relationships", []):
        for k in ("spdxElementId", "relatedSpdxElement"):
            if r[k] not in ids:
                err(f"relationship names unknown element {r[k]}")
    defined = {x["licenseId"] for x in spdx.get("hasExtractedLicensingInfos", [])}
    for p in spdx.get("packages", []):
        for k in ("licenseDeclared", "licenseConcluded"):
            v = p.get(k, "NOASSERTION")
            if not expression_ok(v):
                err(f"SPDX {p['SPDXID']} {k}: malformed expression {v!r}")
            for ref in re.findall(r"LicenseRef-[A-Za-z0-9.-]+", v):
                if ref not in defined:
                    err(f"SPDX {p['SPDXID']} {k}: {ref} not in hasExtractedLicensingInfos")

    # ---- the same components, with the same licenses
    def purl_of(p):
        for r in p.get("externalRefs", []):
            if r.get("referenceType") == "purl":
                return r["referenceLocator"]
        return None

    subject_id = described[0] if described else None
    cdx_set = {}
    for c in cdx.get("components", []):
        key = (c["name"], c.get("version"), c.get("purl"), c["type"] == "machine-learning-model")
        cdx_set.setdefault(key, []).append(cdx_license(c))
    spdx_set = {}
    for p in spdx.get("packages", []):
        if p["SPDXID"] == subject_id:
            continue
        key = (p["name"], p.get("versionInfo"), purl_of(p),
               p.get("primaryPackagePurpose") == "OTHER")
        concluded = p.get("licenseConcluded")
        declared = p.get("licenseDeclared")
        spdx_set.setdefault(key, []).append(
            concluded if concluded != "NOASSERTION" else
            (declared if declared != "NOASSERTION" else None))
    for k in sorted(set(cdx_set) | set(spdx_set), key=str):
        a, b = sorted(map(str, cdx_set.get(k, []))), sorted(map(str, spdx_set.get(k, [])))
        if len(a) != len(b):
            err(f"component {k}: {len(a)} in CycloneDX, {len(b)} in SPDX")
        elif a != b:
            err(f"component {k}: licenses differ: {a} vs {b}")

    for e in ERRORS[:30]:
        print(e)
    print(f"sbom_check: {len(cdx_set)} component keys; "
          f"{'FAILED (' + str(len(ERRORS)) + ')' if ERRORS else 'ok'}")
    return 1 if ERRORS else 0


if __name__ == "__main__":
    sys.exit(main())
