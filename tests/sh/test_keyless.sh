#!/usr/bin/env bash
# test_keyless.sh: keyless Sigstore verification (ward verify-blob) against
# bundles sigstore-js makes at test time with @sigstore/mock's Fulcio, CT log,
# Rekor v1, Rekor v2 and TSA (tests/js/sigstore-keyless.js; each happy bundle
# is first verified by sigstore-js itself), then the tamper matrix: every
# broken link is refused with exit 1 and a message naming it.
. "$(dirname "$0")/lib.sh"

G=$T/gen
if ! node "$WARD_SRC/tests/js/sigstore-keyless.js" "$G" >"$T/gen.log" 2>&1; then
	fail "sigstore-js made the keyless bundles: $(tail -3 "$T/gen.log")"
	finish
	exit 1
fi
pass "sigstore-js made keyless bundles with mock Fulcio/Rekor v1/Rekor v2/TSA and verified them"
ID=$(cat "$G/identity.txt")
ISS=$(cat "$G/issuer.txt")
A=$G/artifact.txt
vb() { "$WARD" verify-blob "$@"; }
keyless() { vb --trusted-root "${ROOT:-$G/trusted_root.json}" --certificate-identity "$ID" \
	--certificate-oidc-issuer "$ISS" "$@"; }

# --- the happy paths, by path and by digest
DIG=sha256:$(sha256sum "$A" | cut -d' ' -f1)
for b in msg-v1 dsse-v1 msg-v2 dsse-v2; do
	check "$b: verifies (file)" keyless --bundle "$G/$b.json" "$A"
	check "$b: verifies (digest)" keyless --bundle "$G/$b.json" "$DIG"
done
run keyless --bundle "$G/msg-v2.json" --json "$A"
if [ "$RC" = 0 ] && python3 -c 'import json,sys; j=json.load(sys.stdin); assert j["verified"] and j["identity"] and j["log"].endswith("rekor2.ward.test"), j' <<<"$OUT"; then
	pass "--json reports identity, issuer and the Rekor v2 log"
else fail "--json: $OUT $ERR"; fi
check "identity and issuer by regexp" vb --trusted-root "$G/trusted_root.json" \
	--certificate-identity-regexp '^https://github\.com/ward-test/' \
	--certificate-oidc-issuer-regexp '^https://token\.actions\.githubusercontent\.com$' \
	--bundle "$G/msg-v1.json" "$A"
check "WARD_TRUSTED_ROOT replaces the built-in root" env WARD_TRUSTED_ROOT="$G/trusted_root.json" \
	"$WARD" verify-blob --certificate-identity "$ID" --certificate-oidc-issuer "$ISS" \
	--bundle "$G/msg-v1.json" "$A"

# --- the tamper matrix (exit 1, the failed link named)
expect_err 1 "identity:" "wrong identity refused" vb --trusted-root "$G/trusted_root.json" \
	--certificate-identity https://github.com/evil/x/.github/workflows/a.yml@refs/heads/main \
	--certificate-oidc-issuer "$ISS" --bundle "$G/msg-v1.json" "$A"
expect_err 1 "identity:" "identity regexp must match" vb --trusted-root "$G/trusted_root.json" \
	--certificate-identity-regexp '^https://github\.com/other/' --certificate-oidc-issuer "$ISS" \
	--bundle "$G/msg-v1.json" "$A"
expect_err 1 "issuer:" "wrong issuer refused" vb --trusted-root "$G/trusted_root.json" \
	--certificate-identity "$ID" --certificate-oidc-issuer https://accounts.google.com \
	--bundle "$G/msg-v1.json" "$A"
expect_err 1 "certificate validity:" "certificate expired at the signing time refused" \
	keyless --bundle "$G/expired.json" "$A"
expect_err 1 "Rekor instance:" "bundle from another Rekor instance refused" \
	keyless --bundle "$G/other-log.json" "$A"
expect_err 1 "checkpoint:" "checkpoint signed by an unknown key refused" \
	keyless --bundle "$G/unknown-checkpoint.json" "$A"
expect_err 1 "TSA:" "timestamp outside the TSA's validity refused" \
	env ROOT="$G/trusted_root-tsa-expired.json" bash -c "$(declare -f vb keyless); WARD='$WARD' ID='$ID' ISS='$ISS' keyless --bundle '$G/msg-v2.json' '$A'"

# mutate BUNDLE OUT PYTHON: OUT = BUNDLE after the python statement on b (the JSON).
mutate() {
	python3 - "$1" "$2" "$3" <<'PY'
import base64, json, sys
b = json.load(open(sys.argv[1]))
e = b["verificationMaterial"]["tlogEntries"][0]
def flip(s):  # flip one bit of a base64 value
    d = bytearray(base64.b64decode(s)); d[len(d) // 2] ^= 1
    return base64.b64encode(bytes(d)).decode()
exec(sys.argv[3])
json.dump(b, open(sys.argv[2], "w"))
PY
}
mutate "$G/msg-v1.json" "$T/set.json" 'e["inclusionPromise"]["signedEntryTimestamp"] = flip(e["inclusionPromise"]["signedEntryTimestamp"])'
expect_err 1 "Rekor SET:" "corrupted SET refused" keyless --bundle "$T/set.json" "$A"
mutate "$G/msg-v1.json" "$T/time.json" 'e["integratedTime"] = str(int(e["integratedTime"]) - 60)'
expect_err 1 "Rekor SET:" "integrated time moved: the SET no longer verifies" keyless --bundle "$T/time.json" "$A"
mutate "$G/msg-v1.json" "$T/root.json" 'e["inclusionProof"]["rootHash"] = flip(e["inclusionProof"]["rootHash"])'
expect_err 1 "inclusion proof:" "corrupted inclusion proof (root hash) refused" keyless --bundle "$T/root.json" "$A"
mutate "$G/dsse-v1.json" "$T/path.json" 'e["inclusionProof"]["hashes"][2] = flip(e["inclusionProof"]["hashes"][2])'
expect_err 1 "inclusion proof:" "a corrupted audit path hash refused (entry 6 of 13)" keyless --bundle "$T/path.json" "$A"
mutate "$G/msg-v2.json" "$T/index.json" 'e["inclusionProof"]["logIndex"] = "7"'
expect_err 1 "inclusion proof:" "Rekor v2: the proof for another index refused" keyless --bundle "$T/index.json" "$A"
mutate "$G/msg-v2.json" "$T/short.json" 'e["inclusionProof"]["hashes"].pop()'
expect_err 1 "inclusion proof:" "Rekor v2: a truncated audit path refused" keyless --bundle "$T/short.json" "$A"
mutate "$G/msg-v2.json" "$T/proof2.json" 'e["inclusionProof"]["treeSize"] = "2"'
expect_err 1 "inclusion proof:" "Rekor v2: inclusion proof for another tree refused" keyless --bundle "$T/proof2.json" "$A"
mutate "$G/msg-v2.json" "$T/nots.json" 'del b["verificationMaterial"]["timestampVerificationData"]'
expect_err 1 "signing time:" "Rekor v2 without a timestamp refused" keyless --bundle "$T/nots.json" "$A"
mutate "$G/msg-v2.json" "$T/ts.json" 'b["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"][0]["signedTimestamp"] = flip(b["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"][0]["signedTimestamp"])'
expect 1 "corrupted RFC 3161 timestamp refused" keyless --bundle "$T/ts.json" "$A"
mutate "$G/msg-v1.json" "$T/body.json" 'e["canonicalizedBody"] = flip(e["canonicalizedBody"])'
expect 1 "changed log entry body refused" keyless --bundle "$T/body.json" "$A"
mutate "$G/dsse-v1.json" "$T/payload.json" 'b["dsseEnvelope"]["payload"] = base64.b64encode(base64.b64decode(b["dsseEnvelope"]["payload"]).replace(b"true", b"fals")).decode()'
expect_err 1 "log entry:" "DSSE payload changed after logging refused" keyless --bundle "$T/payload.json" "$A"
echo "another artifact" >"$T/other.txt"
expect_err 1 "log entry:" "another artifact refused" keyless --bundle "$G/msg-v1.json" "$T/other.txt"
expect_err 1 "statement does not name" "DSSE: a file the statement does not name refused" \
	keyless --bundle "$G/dsse-v1.json" "$T/other.txt"

# validity windows are inclusive at the end (the spec's rule): a log key whose
# window ends exactly at the integrated time still vouches, one second earlier not
python3 - "$G/trusted_root.json" "$G/msg-v1.json" "$T" <<'PY'
import datetime, json, sys
root = json.load(open(sys.argv[1]))
t = int(json.load(open(sys.argv[2]))["verificationMaterial"]["tlogEntries"][0]["integratedTime"])
for name, end in (("end-exact", t), ("end-before", t - 1)):
    r = json.loads(json.dumps(root))
    r["tlogs"][0]["publicKey"]["validFor"]["end"] = datetime.datetime.fromtimestamp(
        end, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    json.dump(r, open("%s/root-%s.json" % (sys.argv[3], name), "w"))
PY
check "a log key valid until exactly the integrated time vouches (end inclusive)" \
	env ROOT="$T/root-end-exact.json" bash -c "$(declare -f vb keyless); WARD='$WARD' ID='$ID' ISS='$ISS' keyless --bundle '$G/msg-v1.json' '$A'"
expect_err 1 "log validity:" "a log key whose window ended a second before is refused" \
	env ROOT="$T/root-end-before.json" bash -c "$(declare -f vb keyless); WARD='$WARD' ID='$ID' ISS='$ISS' keyless --bundle '$G/msg-v1.json' '$A'"

# --- the material decides the path: never a fallback
WARD_PASSWORD=pw "$WARD" keygen -o "$T/k" >/dev/null 2>&1
expect_err 1 "verification material:" "keyless bundle with --key refused" \
	vb --trusted-root "$G/trusted_root.json" --key "$T/k.pub" --bundle "$G/msg-v1.json" "$A"
# ward's own key bundles (no log entry) keep verifying with --key, and only so
echo "key-signed" >"$T/kf"
WARD_PASSWORD=pw "$WARD" model sign "$T/kf" --key "$T/k.key" --signature "$T/kf.sig" >/dev/null 2>&1
KD=sha256:$(python3 -c 'import base64,json,sys; print(json.loads(base64.b64decode(json.load(open(sys.argv[1]))["dsseEnvelope"]["payload"]))["subject"][0]["digest"]["sha256"])' "$T/kf.sig")
check "verify-blob --key: a key-signed bundle without log entries verifies" \
	vb --key "$T/k.pub" --bundle "$T/kf.sig" "$KD"
expect_err 1 "verification material:" "verify-blob: a key bundle with the identity flags refused" \
	keyless --bundle "$T/kf.sig" "$KD"
WARD_PASSWORD=pw "$WARD" keygen -o "$T/k2" >/dev/null 2>&1
expect_err 1 "different key" "verify-blob: a key bundle with another key refused" \
	vb --key "$T/k2.pub" --bundle "$T/kf.sig" "$KD"
expect_err 2 "--certificate-oidc-issuer" "identity without issuer is a usage error" \
	vb --trusted-root "$G/trusted_root.json" --certificate-identity "$ID" --bundle "$G/msg-v1.json" "$A"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); del r["tlogs"][0]["publicKey"]["validFor"]["start"]; json.dump(r, open(sys.argv[2], "w"))' "$G/trusted_root.json" "$T/bad-root.json"
expect_err 2 "validFor.start" "a trusted root without validFor.start is refused whole" \
	vb --trusted-root "$T/bad-root.json" --certificate-identity "$ID" --certificate-oidc-issuer "$ISS" \
	--bundle "$G/msg-v1.json" "$A"
# --- models: OMS "sigstore" (keyless) bundles verified offline, and the
# "certificate" method signed with an openssl-made CA chain.
M=$T/model
mkdir -p "$M/sub"
echo "weights" >"$M/w.bin"
echo "config" >"$M/sub/c.json"
WARD_PASSWORD=pw "$WARD" keygen -o "$T/mk" >/dev/null 2>&1
WARD_PASSWORD=pw "$WARD" model sign "$M" --key "$T/mk.key" --signature "$T/key.sig" >/dev/null 2>&1
python3 -c 'import base64,json,sys; b=json.load(open(sys.argv[1])); open(sys.argv[2],"wb").write(base64.b64decode(b["dsseEnvelope"]["payload"]))' "$T/key.sig" "$T/oms-statement.json"
if node "$WARD_SRC/tests/js/sigstore-keyless.js" "$T/gm" --statement "$T/oms-statement.json" >"$T/gm.log" 2>&1; then
	pass "sigstore-js signed the OMS statement keylessly (Rekor v1 and v2)"
else fail "keyless OMS bundle: $(tail -3 "$T/gm.log")"; fi
for v in "" "-v2"; do
	check "model verify: keyless OMS bundle$v" "$WARD" model verify "$M" --signature "$T/gm/stmt-1$v.json" \
		--trusted-root "$T/gm/trusted_root.json" --certificate-identity "$ID" --certificate-oidc-issuer "$ISS"
done
expect_err 1 "identity:" "model verify: wrong identity refused" "$WARD" model verify "$M" \
	--signature "$T/gm/stmt-1.json" --trusted-root "$T/gm/trusted_root.json" \
	--certificate-identity https://example.com/other --certificate-oidc-issuer "$ISS"
expect_err 1 "Rekor instance:" "model verify: a root for another Rekor refused" "$WARD" model verify "$M" \
	--signature "$T/gm/stmt-1.json" --trusted-root "$G/trusted_root.json" \
	--certificate-identity "$ID" --certificate-oidc-issuer "$ISS"
expect_err 1 "verification material:" "model verify: a key bundle with the keyless flags refused" \
	"$WARD" model verify "$M" --signature "$T/key.sig" --trusted-root "$T/gm/trusted_root.json" \
	--certificate-identity "$ID" --certificate-oidc-issuer "$ISS"
expect_err 2 "with a certificate chain" "model verify: a keyless bundle with --key refused" \
	"$WARD" model verify "$M" --signature "$T/gm/stmt-1.json" --key "$T/mk.pub"
echo "changed" >"$M/w.bin.new" && mv "$M/w.bin.new" "$M/w.bin"
expect_err 1 "w.bin" "model verify (keyless): a changed file is refused" "$WARD" model verify "$M" \
	--signature "$T/gm/stmt-1.json" --trusted-root "$T/gm/trusted_root.json" \
	--certificate-identity "$ID" --certificate-oidc-issuer "$ISS"
echo "weights" >"$M/w.bin"

# certificate method: root -> intermediate -> leaf, made by openssl
P=$T/pki
mkdir -p "$P"
(
	cd "$P" || exit 1
	openssl ecparam -name prime256v1 -genkey -noout -out root.key 2>/dev/null
	openssl req -x509 -new -key root.key -subj /CN=ward-test-root -days 30 -out root.pem \
		-addext basicConstraints=critical,CA:true -addext keyUsage=critical,keyCertSign 2>/dev/null
	openssl ecparam -name prime256v1 -genkey -noout -out int.key 2>/dev/null
	openssl req -new -key int.key -subj /CN=ward-test-int -out int.csr 2>/dev/null
	printf 'basicConstraints=critical,CA:true\nkeyUsage=critical,keyCertSign\n' >int.ext
	openssl x509 -req -in int.csr -CA root.pem -CAkey root.key -CAcreateserial -days 30 \
		-extfile int.ext -out int.pem 2>/dev/null
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out leaf.key 2>/dev/null
	openssl req -new -key leaf.key -subj /CN=ward-test-signer -out leaf.csr 2>/dev/null
	printf 'keyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning\n' >leaf.ext
	openssl x509 -req -in leaf.csr -CA int.pem -CAkey int.key -CAcreateserial -days 30 \
		-extfile leaf.ext -out leaf.pem 2>/dev/null
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out other.key 2>/dev/null
)
check "model sign --signing-cert --cert-chain" "$WARD" model sign "$M" --key "$P/leaf.key" \
	--signing-cert "$P/leaf.pem" --cert-chain "$P/int.pem" --signature "$T/cert.sig"
if python3 -c 'import json,sys; vm=json.load(open(sys.argv[1]))["verificationMaterial"]; assert len(vm["x509CertificateChain"]["certificates"]) == 2 and "publicKey" not in vm' "$T/cert.sig"; then
	pass "the certificate bundle carries the leaf and the intermediate"
else fail "certificate bundle material: $(head -c 300 "$T/cert.sig")"; fi
check "model verify --cert-chain root.pem" "$WARD" model verify "$M" --signature "$T/cert.sig" --cert-chain "$P/root.pem"
openssl req -x509 -new -key "$P/other.key" -subj /CN=other-root -days 30 -out "$P/other-root.pem" 2>/dev/null
expect_err 1 "does not verify" "model verify: a certificate bundle against another root refused" \
	"$WARD" model verify "$M" --signature "$T/cert.sig" --cert-chain "$P/other-root.pem"
expect_err 2 "needs --signing-cert" "model sign: --cert-chain alone is an error (was silently ignored)" \
	"$WARD" model sign "$M" --key "$P/leaf.key" --cert-chain "$P/int.pem" --signature "$T/x.sig"
expect_err 2 "not for the key" "model sign: a certificate of another key is refused" \
	"$WARD" model sign "$M" --key "$P/other.key" --signing-cert "$P/leaf.pem" --signature "$T/x.sig"
# openssl as the oracle: the chain verifies to the root, the DSSE signature
# over the PAE with the leaf's key.
python3 - "$T/cert.sig" "$T/cx" <<'PY'
import base64, json, ssl, sys
b = json.load(open(sys.argv[1]))
certs = b["verificationMaterial"]["x509CertificateChain"]["certificates"]
for i, c in enumerate(certs):
    open("%s%d.pem" % (sys.argv[2], i), "w").write(ssl.DER_cert_to_PEM_cert(base64.b64decode(c["rawBytes"])))
env = b["dsseEnvelope"]
p = base64.b64decode(env["payload"]); t = env["payloadType"].encode()
open(sys.argv[2] + ".pae", "wb").write(b"DSSEv1 %d %s %d %s" % (len(t), t, len(p), p))
open(sys.argv[2] + ".sig", "wb").write(base64.b64decode(env["signatures"][0]["sig"]))
PY
openssl x509 -in "$T/cx0.pem" -pubkey -noout >"$T/cx0.pub" 2>/dev/null
check "openssl: the bundle's chain verifies to the root" openssl verify -CAfile "$P/root.pem" -untrusted "$T/cx1.pem" "$T/cx0.pem"
check "openssl: the DSSE signature verifies with the certificate's key" \
	openssl dgst -sha256 -verify "$T/cx0.pub" -signature "$T/cx.sig" "$T/cx.pae"

# --- images: cosign keyless signatures and attestations, as OCI 1.1
# referrer bundles and as legacy .sig layers with cosign's annotations.
. "$WARD_SRC/tests/sh/signed_image.sh"
I=$T/img
if make_layout "$I" v1 keyless 2048; then
	IMG=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"])' "$I/index.json")
	python3 - "$IMG" "$T/sign-stmt.json" "$T/att-stmt.json" "$T/simple.json" <<'PY'
import json, sys
d = sys.argv[1]
sub = [{"name": "ward-test/keyless", "digest": {"sha256": d.split(":")[1]}}]
json.dump({"_type": "https://in-toto.io/Statement/v1", "subject": sub,
           "predicateType": "https://sigstore.dev/cosign/sign/v1", "predicate": {}}, open(sys.argv[2], "w"))
json.dump({"_type": "https://in-toto.io/Statement/v1", "subject": sub,
           "predicateType": "https://cosign.sigstore.dev/attestation/v1",
           "predicate": {"Data": "keyless", "Timestamp": "2026-01-01T00:00:00Z"}}, open(sys.argv[3], "w"))
open(sys.argv[4], "w").write(json.dumps({"critical": {"identity": {"docker-reference": "ward-test/keyless"},
    "image": {"docker-manifest-digest": d}, "type": "cosign container image signature"},
    "optional": None}, separators=(",", ":")))
PY
	node "$WARD_SRC/tests/js/sigstore-keyless.js" "$T/gi" --statement "$T/sign-stmt.json" \
		--statement "$T/att-stmt.json" --blob "$T/simple.json" >"$T/gi.log" 2>&1 ||
		fail "keyless image bundles: $(tail -3 "$T/gi.log")"
	cp -a "$I" "$T/img-ref"
	python3 "$WARD_SRC/tests/py/attach_keyless.py" "$T/img-ref" "$IMG" referrer "$T/gi/stmt-1.json" https://sigstore.dev/cosign/sign/v1
	python3 "$WARD_SRC/tests/py/attach_keyless.py" "$T/img-ref" "$IMG" referrer "$T/gi/stmt-2-v2.json" https://cosign.sigstore.dev/attestation/v1
	kl_image() { "$WARD" verify "$1" --trusted-root "$T/gi/trusted_root.json" --certificate-identity "$2" \
		--certificate-oidc-issuer "$ISS" --threads 1; }
	run kl_image "$T/img-ref:v1" "$ID"
	if [ "$RC" = 0 ] && grep -q "1 signature(s), 1 attestation(s)" <<<"$ERR"; then
		pass "ward verify IMAGE: keyless referrer signature (Rekor v1) and attestation (Rekor v2)"
	else fail "keyless referrers: $(echo "$ERR" | tail -4)"; fi
	expect_err 1 "identity:" "ward verify IMAGE: keyless referrers of another identity refused" \
		kl_image "$T/img-ref:v1" https://github.com/evil/x/.github/workflows/a.yml@refs/heads/main
	run "$WARD" test "$T/img-ref:v1" --no-run --json --trusted-root "$T/gi/trusted_root.json" \
		--certificate-identity "$ID" --certificate-oidc-issuer "$ISS" --threads 1
	if python3 -c 'import json,sys; c={x["id"]:x for x in json.load(sys.stdin)["checks"]}; s=c["security.signatures-verify"]; assert s["result"]=="pass", s' <<<"$OUT" 2>/dev/null; then
		pass "ward test IMAGE: the signature check passes keylessly"
	else fail "ward test keyless: $(echo "$OUT$ERR" | tail -3)"; fi
	run "$WARD" test "$T/img-ref:v1" --no-run --json --trusted-root "$T/gi/trusted_root.json" \
		--certificate-identity https://example.com/other --certificate-oidc-issuer "$ISS" --threads 1
	if python3 -c 'import json,sys; c={x["id"]:x for x in json.load(sys.stdin)["checks"]}; s=c["security.signatures-verify"]; assert s["result"]=="fail" and "identity" in json.dumps(s), s' <<<"$OUT" 2>/dev/null; then
		pass "ward test IMAGE: the signature check fails for another identity"
	else fail "ward test keyless, other identity: $(echo "$OUT$ERR" | tail -3)"; fi
	WARD_PASSWORD=pw "$WARD" keygen -o "$T/ik" >/dev/null 2>&1
	expect 1 "ward verify IMAGE --key: a keyless signature is not a key signature" \
		"$WARD" verify "$T/img-ref:v1" --key "$T/ik.pub" --threads 1
	cp -a "$I" "$T/img-sig"
	python3 "$WARD_SRC/tests/py/attach_keyless.py" "$T/img-sig" "$IMG" legacy-sig "$T/gi/blob-1.json" "$T/simple.json"
	run kl_image "$T/img-sig:v1" "$ID"
	if [ "$RC" = 0 ] && grep -q "1 signature(s)" <<<"$ERR"; then
		pass "ward verify IMAGE: keyless legacy .sig (certificate + Rekor bundle annotations)"
	else fail "keyless legacy .sig: $(echo "$ERR" | tail -4)"; fi
	python3 - "$T/img-sig" <<'PY'
import hashlib, json, os, sys
lay = sys.argv[1]
idx = json.load(open(os.path.join(lay, "index.json")))
ent = [m for m in idx["manifests"] if m.get("annotations", {}).get("org.opencontainers.image.ref.name", "").endswith(".sig")][0]
path = os.path.join(lay, "blobs", "sha256", ent["digest"].split(":")[1])
m = json.load(open(path))
rb = json.loads(m["layers"][0]["annotations"]["dev.sigstore.cosign/bundle"])
rb["Payload"]["integratedTime"] += 1  # the SET no longer covers it
m["layers"][0]["annotations"]["dev.sigstore.cosign/bundle"] = json.dumps(rb)
raw = json.dumps(m).encode()
d = hashlib.sha256(raw).hexdigest()
open(os.path.join(lay, "blobs", "sha256", d), "wb").write(raw)
ent["digest"], ent["size"] = "sha256:" + d, len(raw)
json.dump(idx, open(os.path.join(lay, "index.json"), "w"))
PY
	expect_err 1 "Rekor SET:" "ward verify IMAGE: legacy .sig with a moved integrated time refused" \
		kl_image "$T/img-sig:v1" "$ID"
else
	fail "could not make a test image (skopeo)"
fi

run "$WARD" version --json
if [ "$RC" = 0 ] && python3 -c 'import json,sys; r=json.load(sys.stdin)["sigstore_trusted_root"]; assert (not r["present"]) or (r["digest"].startswith("sha256:") and r["date"] and r["tlogs"] >= 1), r' <<<"$OUT"; then
	pass "ward version --json reports the built-in trusted root"
else fail "version --json: $OUT"; fi
finish
