#!/usr/bin/env bash
# ward release of a small real image (tests/data/build/small), then every
# artifact checked by someone else's tool: the JSON schemas (CycloneDX,
# SPDX, OpenVEX, Sigstore bundle), sigstore-js (the attestation bundle),
# openssl (the cosign signature, the provenance's DSSE envelope), skopeo and
# umoci (the layout), sha256sum + hashlib (build log inputs, software hash
# against the unpacked image), Python's xml and csv (JUnit, licenses).  Then
# tampering is caught by ward verify, and a release killed with SIGKILL at
# 20+ random points leaves the previous release verifiable and nothing
# half-written that looks like a release.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/build_lib.sh"
. "$(dirname "$0")/release_lib.sh"
podman_setup
KILLED=()
cleanup() {
	local pid
	for pid in "${KILLED[@]}"; do
		podman ps -a --format '{{.Names}}' --filter "name=^ward-check-$pid-" 2>/dev/null |
			xargs -r podman rm -f >/dev/null 2>&1
	done
	chmod -R u+w "$T" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

release_setup || { fail "lock, fetch and the vulnerability store"; finish; exit 1; }
REL=$T/rel
release_small "$REL" --tar --reproducible
if [ "$RC" = 0 ] && [[ "$DIGEST" =~ ^sha256:[0-9a-f]{64}$ ]]; then
	pass "ward release: digest $DIGEST is the last line of stdout"
else
	fail "ward release (exit $RC): $(echo "$ERR" | tail -5)"
	finish
	exit 1
fi
A=$REL/artifacts
python3 - "$REL" "$DIGEST" <<'PY' && pass "release.json: the 11 artifacts, each file present with its SHA-256" || fail "release.json"
import hashlib, json, os, sys
rel, digest = sys.argv[1], sys.argv[2]
idx = json.load(open(os.path.join(rel, "release.json")))
assert idx["image"]["digest"] == digest, idx["image"]
arts = idx["artifacts"]
assert [a["id"] for a in arts] == list(range(1, 12)), [a["id"] for a in arts]
for a in arts:
    assert a["files"], a["name"]
    for f in a["files"]:
        data = open(os.path.join(rel, f["path"]), "rb").read()
        assert "sha256:" + hashlib.sha256(data).hexdigest() == f["sha256"], f
        assert len(data) == f["size"], f
assert idx["summary"]["reproducible"]["same"] is True, idx["summary"]["reproducible"]
assert idx["summary"]["verification"]["verified"] is True
PY
check "ward verify RELEASE: image, 10 attestations, signature files, every artifact" \
	"$WARD" verify "$REL" --key "$T/signing.pub"
check "ward verify of the layout alone, every artifact type required" "$WARD" verify "$REL/image:1" \
	--key "$T/signing.pub" --bundle "$A/attestations.jsonl" --require cyclonedx --require spdx \
	--require provenance --require openvex --require vuln-report --require test --require license
check "ward verify RELEASE --rebuild: built again offline from the provenance, bit for bit" \
	"$WARD" verify "$REL" --key "$T/signing.pub" --rebuild --threads 1
check "ward verify IMAGE --rebuild: the same through the provenance attestation" \
	"$WARD" verify "$REL/image:1" --key "$T/signing.pub" --rebuild
cp "$P/ward.yaml" "$T/ward.yaml.orig"
echo "# changed after the release" >>"$P/ward.yaml"
expect_err 1 "but the provenance was made with" "--rebuild after ward.yaml changed: names ward.yaml, builds nothing" \
	"$WARD" verify "$REL" --key "$T/signing.pub" --rebuild
cp "$T/ward.yaml.orig" "$P/ward.yaml"
cp "$WARD_INIT" "$T/other-init" && printf 'x' >>"$T/other-init"
expect_err 1 "ward-init" "--rebuild with another ward-init: refused before building" \
	"$WARD" verify "$REL/image:1" --key "$T/signing.pub" --rebuild --init "$T/other-init"
"$WARD" keygen -o "$T/other" >/dev/null 2>&1
expect 1 "another key does not verify the release" "$WARD" verify "$REL" --key "$T/other.pub"

# ---- other people's tools -----------------------------------------------------
check "CycloneDX SBOM: official schema" python_oracle validate_schema.py cyclonedx "$A/sbom.cdx.json"
check "SPDX SBOM: official schema" python_oracle validate_schema.py spdx "$A/sbom.spdx.json"
check "OpenVEX: official schema" python_oracle validate_schema.py openvex "$A/vex.openvex.json"
check "attestation bundle and signature bundle: Sigstore bundle schema" \
	python_oracle validate_schema.py sigstore-bundle "$A/attestations.jsonl" "$A/signature.sigstore.json"
check "sigstore-js verifies every line of the attestation bundle" \
	node "$WARD_SRC/tests/js/verify-bundle.js" "$A/attestations.jsonl" "$A/signing.pub"
base64 -d "$A/signature.sig" >"$T/sig.der" 2>/dev/null
check "openssl verifies the cosign signature over the simple-signing payload" \
	openssl dgst -sha256 -verify "$T/signing.pub" -signature "$T/sig.der" "$A/signature.payload.json"
python3 - "$A" "$DIGEST" "$T" <<'PY' && pass "the payload names the image; the provenance envelope's PAE written for openssl" || fail "payload / provenance envelope"
import base64, json, sys
a, digest, t = sys.argv[1:4]
p = json.load(open(a + "/signature.payload.json"))
assert p["critical"]["image"]["docker-manifest-digest"] == digest, p
assert p["critical"]["type"] == "cosign container image signature"
env = json.loads(open(a + "/provenance.intoto.jsonl").read().splitlines()[0])
body = base64.b64decode(env["payload"])
t_ = env["payloadType"].encode()
pae = b"DSSEv1 %d %s %d %s" % (len(t_), t_, len(body), body)
open(t + "/pae.bin", "wb").write(pae)
open(t + "/prov.sig", "wb").write(base64.b64decode(env["signatures"][0]["sig"]))
st = json.loads(body)
assert st["predicateType"] == "https://slsa.dev/provenance/v1", st["predicateType"]
assert st["subject"][0]["digest"]["sha256"] == digest.split(":")[1]
PY
check "openssl verifies the provenance's DSSE signature" \
	openssl dgst -sha256 -verify "$T/signing.pub" -signature "$T/prov.sig" "$T/pae.bin"
python3 - "$A" "$P" <<'PY' && pass "provenance: every ward.lock package is a resolved dependency with its SHA-256" || fail "provenance vs ward.lock"
import base64, json, sys
a, p = sys.argv[1:3]
lock = json.load(open(p + "/ward.lock"))
st = json.loads(base64.b64decode(json.loads(open(a + "/provenance.intoto.jsonl").readline())["payload"]))
deps = {(d.get("name"), (d.get("digest") or {}).get("sha256")) for d in st["predicate"]["buildDefinition"]["resolvedDependencies"]}
missing = [q["name"] for q in lock["packages"] if (q["name"], q["sha256"]) not in deps]
assert not missing, missing
PY
python3 - "$A" "$P/ward.yaml" "$P/ward.lock" <<'PY' && pass "build log: every step with result, seconds and inputs; ward.yaml/ward.lock digests = sha256sum" || fail "build log"
import hashlib, json, sys
a, spec, lock = sys.argv[1:4]
steps = [json.loads(l) for l in open(a + "/build-log.jsonl")]
names = [s["step"] for s in steps]
for s in steps:
    assert set(s) >= {"step", "started", "seconds", "result", "inputs", "outputs"}, s
    assert s["result"] == "ok", s
    for v in list(s["inputs"].values()) + list(s["outputs"].values()):
        assert v.startswith("sha256:") or len(v) == 64, (s["step"], v)
b = next(s for s in steps if s["step"] == "build")
sha = lambda f: "sha256:" + hashlib.sha256(open(f, "rb").read()).hexdigest()
assert b["inputs"]["ward.yaml"] == sha(spec) and b["inputs"]["ward.lock"] == sha(lock), b["inputs"]
for want in ("sbom, software hash, licenses", "vulnerability scan", "test matrix", "attest cyclonedx", "sign"):
    assert want in names, (want, names)
text = open(a + "/build-log.txt").read()
assert all(n in text for n in names)
PY
python3 - "$A" <<'PY' && pass "test report: >= 40 checks in 3 groups; JUnit XML (xml.etree) has the same cases and failures" || fail "test report"
import json, sys, xml.etree.ElementTree as ET
a = sys.argv[1]
r = json.load(open(a + "/test-report.json"))
checks = r["checks"]
assert len(checks) >= 40, len(checks)
assert {c["group"] for c in checks} == {"function", "performance", "security"}
assert all(c["id"] and c["description"] and c["result"] in ("pass", "fail", "warn", "skip") and "evidence" in c for c in checks)
assert r["passed"] is True and r["summary"]["required_failed"] == 0, [c for c in checks if c["result"] == "fail"]
root = ET.parse(a + "/test-report.junit.xml").getroot()
cases = root.findall(".//testcase")
assert len(cases) == len(checks), (len(cases), len(checks))
assert len(root.findall(".//failure")) == sum(c["result"] == "fail" for c in checks)
assert len(root.findall(".//skipped")) == sum(c["result"] == "skip" for c in checks)
assert {s.get("name") for s in root.findall("testsuite")} == {"function", "performance", "security"}
PY
python3 - "$A" <<'PY' && pass "vulnerability report: SARIF 2.1.0, each critical/high finding has a VEX status" || fail "vulnerability report"
import json, sys
a = sys.argv[1]
v = json.load(open(a + "/vulnerabilities.json"))
s = json.load(open(a + "/vulnerabilities.sarif.json"))
assert s["version"] == "2.1.0" and s["runs"][0]["tool"]["driver"]["name"]
assert len(s["runs"][0]["results"]) == len(v["findings"]), (len(s["runs"][0]["results"]), len(v["findings"]))
for f in v["findings"]:
    if f["severity"] in ("critical", "high"):
        assert f.get("vex", {}).get("status"), f["id"]
assert v["findings"] or v["suppressed"]
PY
check "umoci unpacks the released layout" umoci unpack --image "$REL/image:1" "$T/bundle"
python3 - "$A" "$T/bundle/rootfs" "$DIGEST" <<'PY' && pass "software hash: sha256sum of files.manifest as recorded; every file's SHA-256 = hashlib over the umoci-unpacked image" || fail "software hash"
import hashlib, json, os, sys
a, root, digest = sys.argv[1:4]
man = open(a + "/files.manifest", "rb").read()
h = json.load(open(a + "/software-hash.json"))
assert h["files_manifest_sha256"] == "sha256:" + hashlib.sha256(man).hexdigest()
assert h["image"] == digest
lines = man.decode().split("\n")
assert lines[0] == "ward-files-manifest 1" and lines[1] == "image " + digest
files = [l.split("\t") for l in lines[3:] if l]
assert len(files) == int(lines[2].split()[1])
n = 0
for f in files:
    if f[1] == "f":
        data = open(os.path.join(root, f[0][1:]), "rb").read()
        assert hashlib.sha256(data).hexdigest() == f[6], f[0]
        n += 1
assert n == h["files"], (n, h["files"])
PY
python3 - "$A" <<'PY' && pass "license report: CSV (csv module) and JSON name the same components" || fail "license report"
import csv, json, sys
a = sys.argv[1]
rows = list(csv.DictReader(open(a + "/licenses.csv")))
j = json.load(open(a + "/licenses.json"))
assert len(rows) == len(j["components"]) > 0, (len(rows), len(j["components"]))
PY
run skopeo inspect "oci:$REL/image:1"
[ "$RC" = 0 ] && grep -q "\"Digest\": \"$DIGEST\"" <<<"$OUT" && pass "skopeo inspect: the released digest" ||
	fail "skopeo inspect: $ERR"
check "skopeo reads the docker-archive (image.tar)" skopeo inspect "docker-archive:$REL/image.tar"

# ---- tampering ----------------------------------------------------------------
tamper() { # NAME NEEDLE COMMAND...: a copy of the release changed by COMMAND fails to verify
	local what=$1 needle=$2
	shift 2
	rm -rf "$T/bad" && cp -a "$REL" "$T/bad" && (cd "$T/bad" && eval "$*")
	expect_err 1 "$needle" "tampered release refused: $what" "$WARD" verify "$T/bad" --key "$T/signing.pub"
}
tamper "a license row appended" "licenses.csv" "echo 'x,y' >>artifacts/licenses.csv"
tamper "a byte of the SPDX SBOM" "sbom.spdx.json" "printf 'X' | dd of=artifacts/sbom.spdx.json bs=1 seek=100 conv=notrunc status=none"
tamper "an extra file in artifacts/" "not covered" "echo hi >artifacts/extra.txt"
tamper "the signature file" "signature.sig" "printf 'AAAA' >artifacts/signature.sig"
tamper "the test report replaced" "test-report.json" "echo '{}' >artifacts/test-report.json"
tamper "release.json names another digest" "release.json" \
	"sed -i 's/$DIGEST/sha256:$(printf 0%.0s {1..64})/' release.json"
tamper "an attestation dropped from the bundle" "attestations.jsonl" "sed -i '3d' artifacts/attestations.jsonl"

# ---- SIGKILL at random points ---------------------------------------------------
# A full release (container checks included) takes D seconds; kill -9 after a
# random fraction of it, at least 20 times.  Afterwards the previous release
# verifies, and any temporary tree left beside it either lacks release.json
# or is a complete release.
t0=$(date +%s.%N)
release_small "$T/timing"
D=$(python3 -c "import sys; print(max(1.0, float(sys.argv[2]) - float(sys.argv[1])))" "$t0" "$(date +%s.%N)")
[ "$RC" = 0 ] && pass "a second release takes ${D}s" || fail "second release: $(echo "$ERR" | tail -3)"
rm -rf "$T/timing"
before=$(sha256sum "$REL/release.json" | cut -d' ' -f1)
# A run that ends before its kill counts as completed; runs go on until 22
# kills landed (at most 40 runs), so a fast machine cannot leave it short.
kills=0 completed=0 bad="" i=0
while [ "$kills" -lt 22 ] && [ "$i" -lt 40 ]; do
	i=$((i + 1))
	delay=$(python3 -c "import random, sys; print(round(random.uniform(0.05, 0.9 * float(sys.argv[1])), 3))" "$D")
	"$WARD" release -f "$P/ward.yaml" --key "$T/signing.key" --db "$DB" -o "$REL" --init "$WARD_INIT" \
		--repo-tag "$IMG_PREFIX:1" >/dev/null 2>&1 &
	pid=$!
	KILLED+=("$pid")
	sleep "$delay"
	if kill -9 "$pid" 2>/dev/null; then kills=$((kills + 1)); fi
	wait "$pid" 2>/dev/null
	now=$(sha256sum "$REL/release.json" | cut -d' ' -f1)
	[ "$now" != "$before" ] && completed=$((completed + 1)) && before=$now
	"$WARD" verify "$REL" --key "$T/signing.pub" >/dev/null 2>"$T/kv.err" ||
		bad="$bad [kill $i at ${delay}s: $(tail -1 "$T/kv.err")]"
	for tmp in "$REL".tmp-*; do
		[ -e "$tmp" ] || continue
		if [ -f "$tmp/release.json" ] && ! "$WARD" verify "$tmp" --key "$T/signing.pub" >/dev/null 2>&1; then
			bad="$bad [kill $i: $tmp has release.json but does not verify]"
		fi
	done
done
[ -z "$bad" ] && [ "$kills" -ge 20 ] &&
	pass "kill -9 at $kills random points (of $i runs, $completed finished first): the release still verifies; no half-written tree looks like a release" ||
	fail "kill -9 ($kills kills):$bad"
left=$(ls -d "$REL".tmp-* 2>/dev/null | wc -l)
release_small "$REL"
[ "$RC" = 0 ] && pass "the next release after $left killed leftovers" || fail "release after kills: $(echo "$ERR" | tail -3)"
[ -z "$(ls -d "$REL".tmp-* 2>/dev/null)" ] && pass "it removed the killed releases' temporary trees" ||
	fail "leftovers: $(ls -d "$REL".tmp-*)"
stale=""
for pid in "${KILLED[@]}"; do
	stale="$stale$(podman ps -a --format '{{.Names}}' --filter "name=^ward-check-$pid-" 2>/dev/null)"
done
[ -z "$stale" ] && pass "and the containers of killed test runs" || fail "stale containers: $stale"
check "the final release verifies" "$WARD" verify "$REL" --key "$T/signing.pub"

# ---- bad input -------------------------------------------------------------------
expect_err 2 "--key" "no key: usage error" "$WARD" release -f "$P/ward.yaml" --db "$DB" -o "$T/x"
expect_err 2 "store" "no store: usage error" env -u WARD_DB "$WARD" release -f "$P/ward.yaml" \
	--key "$T/signing.key" -o "$T/x"
mkdir -p "$T/notrel" && echo keep >"$T/notrel/file"
expect_err 2 "refusing to replace" "an output that is not a release is left alone" "$WARD" release \
	-f "$P/ward.yaml" --key "$T/signing.key" --db "$DB" -o "$T/notrel" --no-run
[ -f "$T/notrel/file" ] && pass "(and its file is still there)" || fail "the directory was touched"
finish
