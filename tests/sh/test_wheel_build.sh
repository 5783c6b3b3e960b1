#!/usr/bin/env bash
# Wheels in an image: ward build installs ward.lock's wheels offline, into
# /usr/local/lib/python3.11/dist-packages of the image's Debian Python,
# through the beneath-the-root writer, with bytecode, entry points and
# INSTALLER=ward; the image's own interpreter imports them; the digest does
# not depend on threads or the layer cache; the SBOM lists them as
# pkg:pypi and the scan finds the PyPI advisory of the old idna; the
# provenance lists every wheel with its digest.  Bad wheels that the lock
# pins correctly (their RECORD lies, a path escapes) stop the build with a
# one-line error naming the wheel and the entry, and nothing is written.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/build_lib.sh"
. "$(dirname "$0")/wheel_lib.sh"

P=$T/p
small_project "$P" || { fail "lock and fetch the small project"; finish; exit 1; }
# the full standard library, so the wheels' modules import (unicodedata)
sed -i 's/^  - python3-minimal$/  - python3-minimal\n  - python3/' "$P/ward.yaml"
mkdir -p "$P/wheels"
for w in setuptools wheel; do cp "$(debian_whl $w)" "$P/wheels/"; done
debian_wheel python3-idna idna 3.3 "$P/wheels" ||
	{ fail "build an idna 3.3 wheel from Debian's python3-idna"; finish; exit 1; }
sha() { sha256sum "$1" | cut -d' ' -f1; }
req() {
	for f in "$P"/wheels/*.whl; do
		b=$(basename "$f")
		echo "$(echo "$b" | cut -d- -f1)==$(echo "$b" | cut -d- -f2) --hash=sha256:$(sha "$f")"
	done >"$P/requirements.txt"
}
req
cat >>"$P/ward.yaml" <<'EOF'
python:
  lock: requirements.txt
  wheelhouse: wheels
EOF
check "ward lock (packages + wheels)" "$WARD" lock -f "$P/ward.yaml" --offline
check "ward fetch" "$WARD" fetch -f "$P/ward.yaml"
KEY=(--key "$T/signing.key" --init "$WARD_INIT")
run "$WARD" build -f "$P/ward.yaml" -o "$T/out/img" "${KEY[@]}"
[ "$RC" = 0 ] && pass "ward build with three wheels" ||
	{ fail "ward build (exit $RC): $(tail -3 <<<"$ERR")"; finish; exit 1; }
D1=$(tail -1 <<<"$OUT")
python3 - "$T/out/img.build.json" "$P/ward.lock" <<'PY' && pass "the build record: every installed file has origin wheel, owner pypi:<name>, and is counted in from_wheels" || fail "build record: wheel paths"
import json, sys
rec, lock = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
w = [p for p in rec["paths"] if p["origin"] == "wheel"]
c = rec["counts"]
assert c["from_wheels"] == len(w) > 0, (c, len(w))
assert c["paths"] == c["from_packages"] + c["from_spec"] + c["from_wheels"] + c["generated"], c
owners = {p["owner"] for p in w}
assert owners == {"pypi:" + x["name"] for x in lock["python"]["wheels"]}, owners
paths = {p["path"] for p in w}
for x in lock["python"]["wheels"]:
    d = "usr/local/lib/python3.11/dist-packages/%s-%s.dist-info/" % (x["name"], x["version"])
    assert {d + "RECORD", d + "INSTALLER", d + "provenance_url.json"} <= paths, d
PY
check "ward image unpack" "$WARD" image unpack "$T/out/img" "$T/rootfs"
SITE=$T/rootfs/usr/local/lib/python3.11/dist-packages
[ -f "$SITE/idna/core.py" ] && [ "$(cat "$SITE/idna-3.3.dist-info/INSTALLER")" = ward ] &&
	grep -q '^idna/core.py,sha256=' "$SITE/idna-3.3.dist-info/RECORD" &&
	pass "idna installed in /usr/local/lib/python3.11/dist-packages, INSTALLER ward, RECORD" ||
	fail "installed files: $(ls "$SITE" 2>&1 | head)"
ls "$SITE"/idna/__pycache__/core.cpython-311.pyc >/dev/null 2>&1 &&
	pass "the wheels' modules are compiled (unchecked-hash .pyc)" || fail "no .pyc for idna"
head -1 "$T/rootfs/usr/local/bin/wheel" | grep -qx '#!/usr/bin/python3.11' &&
	[ -x "$T/rootfs/usr/local/bin/wheel" ] &&
	pass "entry point /usr/local/bin/wheel generated for the image's interpreter" ||
	fail "entry point: $(head -3 "$T/rootfs/usr/local/bin/wheel" 2>&1)"
run chroot "$T/rootfs" /usr/bin/python3.11 -c \
	'import idna, wheel, setuptools; print(idna.encode("xn--bcher-kva.example").decode(), idna.__file__)'
[ "$RC" = 0 ] && grep -q "/usr/local/lib/python3.11/dist-packages/idna/__init__.py" <<<"$OUT" &&
	pass "the image's own Python imports the wheels ($OUT)" || fail "import in the image: $ERR"
! find "$T/rootfs" -perm /6000 -type f | grep -q . && pass "no setuid/setgid file" || fail "setid files"

# reproducible: another thread count, no layer cache
run "$WARD" build -f "$P/ward.yaml" -o "$T/out/img2" "${KEY[@]}" --threads 1 --no-layer-cache
[ "$RC" = 0 ] && [ "$(tail -1 <<<"$OUT")" = "$D1" ] &&
	pass "same digest with --threads 1 and no layer cache ($D1)" ||
	{ fail "digest differs: $D1 vs $(tail -1 <<<"$OUT") $ERR"; explain_diff "$T/out/img" "$T/out/img2"; }

# SBOM and scan: pkg:pypi components; idna 3.3 has a PyPI advisory
check "ward sbom" "$WARD" sbom "$T/out/img" -o "$T/sbom"
python3 - "$T/sbom" "$P/ward.lock" <<'PY' && pass "the SBOM lists the wheels as pkg:pypi with their licenses and the wheels' SHA-256 (CycloneDX, SPDX)" || fail "SBOM: pypi components"
import glob, json, sys
d = json.load(open(glob.glob(sys.argv[1] + "/*.cdx.json")[0]))
comps = {c.get("purl", ""): c for c in d["components"]}
for p in ("pkg:pypi/idna@3.3", "pkg:pypi/wheel@0.38.4", "pkg:pypi/setuptools@66.1.1"):
    assert p in comps, (p, [x for x in comps if "pypi" in x])
for p in ("pkg:pypi/wheel@0.38.4", "pkg:pypi/setuptools@66.1.1"):
    assert comps[p].get("licenses"), (p, comps[p])
# each wheel component's hash is the digest ward.lock pinned (PEP 710
# provenance_url.json in its dist-info); nothing else got one by accident
lock = json.load(open(sys.argv[2]))["python"]["wheels"]
for w in lock:
    c = comps["pkg:pypi/%s@%s" % (w["name"], w["version"])]
    assert c.get("hashes") == [{"alg": "SHA-256", "content": w["sha256"]}], (w, c.get("hashes"))
    props = {p["name"]: p["value"] for p in c.get("properties", [])}
    assert props.get("ward:python:archive") == w["filename"], props
spdx = json.load(open(glob.glob(sys.argv[1] + "/*.spdx.json")[0]))
sums = {(p["name"], p.get("versionInfo")): p.get("checksums") for p in spdx["packages"]}
for w in lock:
    assert sums[(w["name"], w["version"])] == [{"algorithm": "SHA256", "checksumValue": w["sha256"]}], w
PY
check "db import of the PyPI advisories" "$WARD" db import "$WARD_SHARED/vulndata/pypi" --db "$T/db"
run "$WARD" scan "$T/out/img" --db "$T/db" --json
grep -q '"PYSEC-2024-60"' <<<"$OUT" && pass "ward scan finds PYSEC-2024-60 (idna < 3.7) in the wheel" ||
	fail "scan (exit $RC): $(head -c 400 <<<"$OUT") $ERR"

# provenance: every wheel with its digest
check "ward attest --provenance" "$WARD" attest "$T/out/img" --key "$T/signing.key" --provenance \
	--spec "$P/ward.yaml" --lock "$P/ward.lock" --bundle-out "$T/att.jsonl"
python3 - "$T/att.jsonl" "$P/ward.lock" <<'PY' && pass "the provenance lists every wheel (pkg:pypi) with its SHA-256" || fail "provenance wheels"
import base64, json, sys
lock = json.load(open(sys.argv[2]))["python"]["wheels"]
for line in open(sys.argv[1]):
    env = json.loads(line)["dsseEnvelope"]
    st = json.loads(base64.b64decode(env["payload"]))
    if st["predicateType"] != "https://slsa.dev/provenance/v1":
        continue
    deps = st["predicate"]["buildDefinition"]["resolvedDependencies"]
    got = {(d.get("uri"), d["digest"]["sha256"]) for d in deps}
    for w in lock:
        assert ("pkg:pypi/%s@%s" % (w["name"], w["version"]), w["sha256"]) in got, w
    break
else:
    raise SystemExit("no provenance in the bundle")
PY
check "ward sign" "$WARD" sign "$T/out/img" --key "$T/signing.key" --bundle-out "$T/all.jsonl"
check "ward verify --lock: the provenance's wheels match ward.lock" "$WARD" verify "$T/out/img" \
	--key "$T/signing.pub" --bundle "$T/all.jsonl" --lock "$P/ward.lock"

# ---- bad wheels pinned by a correct hash: the build refuses them ----------
python3 "$WARD_SRC/tests/py/wheel_craft.py" "$T/crafted" 2>/dev/null
bad_wheel() {
	local case=$1 needle=$2
	rm -f "$P"/wheels/demo-*.whl
	cp "$T/crafted/$case/demo-1.0-py3-none-any.whl" "$P/wheels/"
	req
	"$WARD" -q lock -f "$P/ward.yaml" --offline && "$WARD" -q fetch -f "$P/ward.yaml" ||
		{ fail "$case: lock/fetch"; return; }
	rm -rf "$T/bad"
	expect_err 2 "$needle" "build refuses a wheel whose $case" \
		"$WARD" build -f "$P/ward.yaml" -o "$T/bad/img" "${KEY[@]}"
	one_line || fail "$case: more than one line: $ERR"
	[ ! -e "$T/bad" ] || fail "$case: something was written: $(ls -R "$T/bad" | head -3)"
}
bad_wheel record-mismatch "wheel demo-1.0-py3-none-any.whl: demo/__init__.py does not match RECORD"
bad_wheel traversal "escapes the install directory"
bad_wheel symlink "demo/link is a symbolic link"
rm -f "$P"/wheels/demo-*.whl

# pip is a package manager: the distroless policy refuses its scripts
cp "$(debian_whl pip)" "$P/wheels/"
req
"$WARD" -q lock -f "$P/ward.yaml" --offline && "$WARD" -q fetch -f "$P/ward.yaml"
rm -rf "$T/bad"
expect_err 2 "from wheel pip" "the pip wheel's /usr/local/bin/pip is refused (package manager)" \
	"$WARD" build -f "$P/ward.yaml" -o "$T/bad/img" "${KEY[@]}"

finish
