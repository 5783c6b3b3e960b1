#!/usr/bin/env bash
# ward scan / vex on a real PyTorch image: Debian 12 (debootstrap minbase)
# plus python3-torch, packed as a docker-archive by podman.  Must show:
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
$ORACLE expect "$T/pk.json" "$VD" "$T/cvss.tsv" >"$T/expected.json"

check "ward scan of the image" "$WARD" scan "$T/torch.tar" --db "$T/db" --json -o "$T/scan.json"
run $ORACLE compare "$T/expected.json" "$T/scan.json"
[ "$RC" = 0 ] && pass "image findings equal the oracle ($OUT)" || fail "image findings: $(tail -5 <<<"$OUT")"
python3 - "$T/scan.json" <<'PY' && pass "python3-torch shows PyPA's torch advisory (PYSEC-2022-43015) and Debian's pytorch issues" || fail "torch findings"
import json, sys
d = json.load(open(sys.argv[1]))
t = [f for f in d["findings"] if f["owner"] == "python3-torch"]
assert any(f["ecosystem"] == "PyPI" and f["package"] == "torch" and "PYSEC-2022-43015" in f["aliases"] for f in t), t
assert any(f["ecosystem"] == "Debian:12" and f["package"] == "pytorch" for f in t), t
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
run python3 "$WARD_SRC/tests/py/vex_oracle.py" "$BASE" "$T/vex.json" "$T/scan.json" "$ANN"
[ "$RC" = 0 ] && pass "statuses equal readelf's view of the image ($OUT)" || fail "vex statuses: $(tail -5 <<<"$OUT")"
check "scan with the generated VEX" "$WARD" scan "$T/torch.tar" --db "$T/db" --vex "$T/vex.json" --json -o "$T/sup.json"
python3 - "$T/vex.json" "$T/scan.json" "$T/sup.json" <<'PY' && pass "the VEX suppresses exactly its not_affected statements" || fail "VEX suppression"
import json, sys
vex, plain, sup = (json.load(open(p)) for p in sys.argv[1:])
stated = {(s["vulnerability"]["name"], s["products"][0]["@id"]) for s in vex["statements"] if s["status"] == "not_affected"}
got = {(f["id"], f["purl"]) for f in sup["suppressed"]}
kept = {(f["id"], f["purl"]) for f in sup["findings"]}
assert got == stated and kept | got == {(f["id"], f["purl"]) for f in plain["findings"]} and not kept & got
PY

finish
