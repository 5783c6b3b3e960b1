#!/usr/bin/env bash
# ward scan / vex on real PyTorch images.  1. Debian 12 (debootstrap
# minbase) plus python3-torch, packed as a docker-archive by podman (its
# changelogs are in the image).  2. examples/torch-serve built by ward (no
# changelogs in the image: they come from the .debs in ward's cache), with
# ward-init's policy.  Must show:
# the findings of the image, of ward's own CycloneDX and SPDX of it, equal
# the independent oracle (dpkg-query + dpkg --compare-versions + packaging)
# over shared/vulndata; python3-torch shows PyPA's real torch advisory;
# the generated OpenVEX is schema-valid, its statuses equal readelf's view
# (tests/py/vex_oracle.py), and scanning with it suppresses exactly its
# not_affected statements.  Heavy (≈1.5 GB): `make check-e2e`.  The root
# filesystem is the one tests/e2e/test_sbom_torch.sh caches (built here when
# absent); VULN_TORCH_ROOT points at another unpacked image instead.
. "$(dirname "$0")/../sh/lib.sh"

VD=$WARD_SHARED/vulndata
ORACLE="python3 $WARD_SRC/tests/py/vuln_oracle.py"
ANN=$WARD_SRC/data/vex-annotations.json
CACHE=${WARD_BUILD:-$WARD_SRC/build-check}/test-cache
BASE=${VULN_TORCH_ROOT:-$CACHE/sbom-bookworm-torch}

if [ -z "${VULN_TORCH_ROOT:-}" ]; then
	debootstrap_root "$BASE" python3-torch || { fail "debootstrap python3-torch"; finish; exit 1; }
fi

IMG=localhost/ward-test-vuln-torch-$$:1
tar -C "$BASE" -cf - . | podman import -q - "$IMG" >/dev/null 2>&1 &&
	podman save -q --format docker-archive -o "$T/torch.tar" "$IMG" >/dev/null 2>&1 &&
	pass "podman packed the root filesystem as a docker-archive" || fail "podman import/save"
podman rmi -f "$IMG" >/dev/null 2>&1

check "db import of shared/vulndata" "$WARD" db import "$VD/pypi" "$VD/debian-12" --db "$T/db"
python3 -c "
import json, glob, sys
for p in glob.glob(sys.argv[1] + '/pypi/*.json'):
    r = json.load(open(p))
    for s in r.get('severity', []) + [s for a in r['affected'] for s in a.get('severity', [])]:
        print(s['score'])" "$VD" | sort -u | (cd "$WARD_SRC/tests/js" && node cvss-scores.mjs) >"$T/cvss.tsv"
$ORACLE packages "$BASE" >"$T/pk.json"
$ORACLE expect "$T/pk.json" "$VD/pypi:$VD/debian-12" "$T/cvss.tsv" >"$T/expected.json"

check "ward scan of the image" "$WARD" scan "$T/torch.tar" --db "$T/db" --json -o "$T/scan.json"
run $ORACLE compare "$T/expected.json" "$T/scan.json"
[ "$RC" = 0 ] && pass "image findings equal the oracle ($OUT)" || fail "image findings: $(tail -5 <<<"$OUT")"
python3 - "$T/scan.json" <<'PY' && pass "python3-torch: PyPA's torch advisory (PYSEC-2022-43015) is fixed by Debian's changelog, Debian's pytorch issues stay; no PyPI finding on a dpkg-owned module" || fail "torch findings"
import json, sys
d = json.load(open(sys.argv[1]))
assert not [f for f in d["findings"] + d["resolved"] if f["ecosystem"] == "PyPI"], "PyPI findings on dpkg-owned modules"
t = [f for f in d["resolved"] if f["owner"] == "python3-torch" and f["id"] == "CVE-2022-45907"]
assert t and t[0]["status"] == "fixed" and "PYSEC-2022-43015" in t[0]["aliases"], t
assert any("Fixes CVE-2022-45907" in e for e in t[0]["evidence"]), t
assert any(f["ecosystem"] == "Debian:12" and f["package"] == "pytorch" for f in d["findings"] if f["owner"] == "python3-torch")
PY

check "ward sbom of the image" "$WARD" sbom "$T/torch.tar" -o "$T/sbom"
for f in sbom.cdx.json sbom.spdx.json; do
	check "ward scan of ward's $f" "$WARD" scan "$T/sbom/$f" --db "$T/db" --json -o "$T/scan-$f"
	run $ORACLE compare "$T/expected.json" "$T/scan-$f"
	[ "$RC" = 0 ] && pass "$f findings equal the oracle ($OUT)" || fail "$f findings: $(tail -5 <<<"$OUT")"
done

export SOURCE_DATE_EPOCH=1700000000
check "ward vex of the image" "$WARD" vex "$T/torch.tar" --db "$T/db" --annotations "$ANN" -o "$T/vex.json"
check "the OpenVEX validates against the v0.2.0 schema" python_oracle validate_schema.py openvex "$T/vex.json"
skopeo inspect --config "docker-archive:$T/torch.tar" >"$T/config.json" 2>/dev/null || echo '{}' >"$T/config.json"
run python3 "$WARD_SRC/tests/py/vex_oracle.py" "$BASE" "$T/vex.json" "$T/scan.json" "$ANN" "$T/config.json"
[ "$RC" = 0 ] && pass "statuses equal readelf's view of the image ($OUT)" || fail "vex statuses: $(tail -5 <<<"$OUT")"
check "scan with the generated VEX" "$WARD" scan "$T/torch.tar" --db "$T/db" --vex "$T/vex.json" --json -o "$T/sup.json"
python3 - "$T/vex.json" "$T/scan.json" "$T/sup.json" <<'PY' && pass "the VEX suppresses exactly its not_affected statements about open findings" || fail "VEX suppression"
import json, sys
vex, plain, sup = (json.load(open(p)) for p in sys.argv[1:])
allf = {(f["id"], f["purl"]) for f in plain["findings"]}
stated = {(s["vulnerability"]["name"], s["products"][0]["@id"]) for s in vex["statements"] if s["status"] in ("not_affected", "fixed")} & allf
got = {(f["id"], f["purl"]) for f in sup["suppressed"]}
kept = {(f["id"], f["purl"]) for f in sup["findings"]}
assert got == stated and kept | got == allf and not kept & got
PY

# ---- 2. examples/torch-serve as ward builds it ----------------------------------
TD=$WARD_SRC/tests/data/vuln
P=$T/torch-serve
mkdir -p "$P"
cp -r "$WARD_SRC/examples/torch-serve/ward.yaml" "$WARD_SRC/examples/torch-serve/app" "$P/"
python3 "$WARD_SRC/examples/torch-serve/model/make_model.py" "$P/model/mlp" >/dev/null
"$WARD" keygen -o "$T/signing" >/dev/null 2>&1
check "ward lock of examples/torch-serve" "$WARD" lock -f "$P/ward.yaml"
check "ward fetch (the .debs land in ward's cache, where their changelogs are read)" "$WARD" fetch -f "$P/ward.yaml" --jobs 8
check "ward build of examples/torch-serve" "$WARD" build -f "$P/ward.yaml" -o "$T/ts" --key "$T/signing.key" --init "$WARD_INIT"
check "ward image unpack (for the oracles)" "$WARD" image unpack "$T/ts" "$T/tsroot"
check "scan, the naive match (--no-backports: main's rules)" "$WARD" scan "$T/ts" --db "$T/db" --json --no-backports -o "$T/ts-naive.json"
check "scan" "$WARD" scan "$T/ts" --db "$T/db" --json -o "$T/ts-scan.json"
python3 - "$T/ts-naive.json" "$T/ts-scan.json" <<'PY' && pass "torch-serve: no PyPI finding on a dpkg-owned module; CVE-2024-3651, CVE-2023-43804, CVE-2023-45803 fixed by backport with the changelog line" || fail "torch-serve headline findings"
import json, sys
naive, d = (json.load(open(p)) for p in sys.argv[1:])
print("  findings by status, naive (main's rules) -> with backports and ownership:")
for st in ("affected", "under_investigation", "fixed", "not_affected"):
    print("    %-20s %4d -> %4d" % (st, naive["statuses"][st], d["statuses"][st]))
print("    PyPI findings        %4d -> %4d" % (len([f for f in naive["findings"] if f["ecosystem"] == "PyPI"]),
                                            len([f for f in d["findings"] + d["resolved"] if f["ecosystem"] == "PyPI"])))
assert not [f for f in d["findings"] + d["resolved"] if f["ecosystem"] == "PyPI"]
r = {(f["id"], f["owner"]): f for f in d["resolved"]}
for cve, owner in (("CVE-2024-3651", "python3-idna"), ("CVE-2023-43804", "python3-urllib3"), ("CVE-2023-45803", "python3-urllib3")):
    f = r[(cve, owner)]
    line = [e for e in f["evidence"] if e.startswith("changelog ward cache sha256:")]
    assert f["status"] == "fixed" and f["basis"] == "changelog" and line and "Fix " + cve in line[0], f
    print("    %s %s: %s" % (owner, cve, line[0][:160]))
assert {(f["id"], f["owner"]) for f in naive["findings"] if f["ecosystem"] == "PyPI"} >= {("CVE-2024-3651", "python3-idna")}
PY
$ORACLE packages "$T/tsroot" >"$T/pk-ts.json"
$ORACLE expect "$T/pk-ts.json" "$VD/pypi:$VD/debian-12" "$T/cvss.tsv" >"$T/exp-ts.json"
run $ORACLE compare "$T/exp-ts.json" "$T/ts-scan.json"
[ "$RC" = 0 ] && pass "torch-serve findings and statuses equal the oracle ($OUT)" || fail "torch-serve oracle: $(tail -5 <<<"$OUT")"
check "ward vex of torch-serve" "$WARD" vex "$T/ts" --db "$T/db" --annotations "$ANN" -o "$T/ts-vex.json"
check "the OpenVEX validates against the v0.2.0 schema" python_oracle validate_schema.py openvex "$T/ts-vex.json"
python3 - "$T/ts" "$T/ts-config.json" <<'PY'
import json, os, sys
d = sys.argv[1]
idx = json.load(open(os.path.join(d, "index.json")))
blob = lambda dg: os.path.join(d, "blobs", *dg.split(":"))
m = json.load(open(blob(idx["manifests"][0]["digest"])))
json.dump(json.load(open(blob(m["config"]["digest"]))), open(sys.argv[2], "w"))
PY
run python3 "$WARD_SRC/tests/py/vex_oracle.py" "$T/tsroot" "$T/ts-vex.json" "$T/ts-scan.json" "$ANN" "$T/ts-config.json"
[ "$RC" = 0 ] && pass "torch-serve statements equal readelf's and the policy's view ($OUT)" || fail "torch-serve vex: $(tail -5 <<<"$OUT")"
python3 - "$T/ts-vex.json" <<'PY' && pass "CVE-2024-56433 (useradd, newusers) is not in any execute path: ward-init's policy runs only the server" || fail "runtime policy statement"
import json, sys
v = json.load(open(sys.argv[1]))
s = [x for x in v["statements"] if x["vulnerability"]["name"] == "CVE-2024-56433"][0]
assert (s["status"], s["justification"]) == ("not_affected", "vulnerable_code_not_in_execute_path"), s
assert "/usr/sbin/useradd" in s["impact_statement"] and "/ward/policy.json (sha256:" in s["impact_statement"], s
import collections
print("  VEX statements: %s" % dict(collections.Counter(x["status"] for x in v["statements"])))
PY

# the truth table: (package, CVE) pairs whose status was derived by hand
check "store with the tracker excerpt and Debian's OSV records" "$WARD" db import "$VD/pypi" "$VD/debian-12" \
	"$TD/debian-tracker-excerpt.json" "$TD/osv-debian" --db "$T/tdb"
check "ward vex of torch-serve against it" "$WARD" vex "$T/ts" --db "$T/tdb" --annotations "$ANN" -o "$T/truth-vex.json"
check "ward scan against it" "$WARD" scan "$T/ts" --db "$T/tdb" --json -o "$T/truth-scan.json"
python3 - "$TD/torch-truth.tsv" "$T/truth-vex.json" "$T/truth-scan.json" "$T/pk-ts.json" <<'PY' && pass "truth table: every (package, CVE) pair has the status derived by hand" || fail "truth table"
import json, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip() and not l.startswith("#")]
vex, scan, pk = (json.load(open(p)) for p in sys.argv[2:])
ver = {p["name"]: p["version"] for p in pk["packages"] if p["ecosystem"] != "PyPI"}
purl = {f["owner"]: f["purl"] for f in scan["findings"] + scan["resolved"]}
purl.update({p["name"]: None for p in pk["packages"] if p["name"] not in purl})
st = {(s["vulnerability"]["name"], s["products"][0]["@id"]): s for s in vex["statements"]}
checked = bad = 0
for pkg, v, cve, status, just, why in rows:
    if ver.get(pkg) != v:
        print("  skipped (installed %s, the table says %s): %s %s" % (ver.get(pkg), v, pkg, cve))
        continue
    s = st.get((cve, purl.get(pkg)))
    got = (s["status"], s.get("justification", "-")) if s else ("none", "-")
    checked += 1
    if got != (status, just):
        bad += 1
        print("  %s %s: ward %s, the table %s (%s)" % (pkg, cve, got, (status, just), why))
print("  %d pairs checked, %d differ" % (checked, bad))
assert checked >= 30 and bad == 0
PY

finish
