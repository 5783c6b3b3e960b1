#!/usr/bin/env bash
# test_sign.sh: ward sign / attest / verify on an image made without ward
# (python tarfile + skopeo), checked by independent verifiers: openssl on the
# simple-signing payload, sigstore-js on every bundle, the Sigstore bundle,
# CycloneDX and SPDX schemas, and a python reading of the layout (cosign's
# shape, DSSE statements, SLSA provenance contents).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/signed_image.sh"
PY="python3 $WARD_SRC/tests/py"
export WARD_SHARED

make_keys "$T/k" && make_keys "$T/other" || { fail "keygen"; finish; exit; }
make_layout "$T/img" v1 alpha || { fail "make image"; finish; exit; }
expect_err 1 "no signature of this image verifies" "unsigned image fails verification" \
	"$WARD" verify "$T/img:v1" --key "$T/k.pub"

# --- attestations of every kind, then the signature --------------------------
check "ward sbom: CycloneDX" sh -c "'$WARD' sbom '$T/img:v1' --format cyclonedx >'$T/bom.cdx.json' 2>/dev/null"
check "ward sbom: SPDX" sh -c "'$WARD' sbom '$T/img:v1' --format spdx >'$T/bom.spdx.json' 2>/dev/null"
mkdir -p "$T/model" && printf 'weights' >"$T/model/w.bin" && printf 'cfg' >"$T/model/config.json"
printf 'name: alpha\npackages: [hello, world]\n' >"$T/ward.yaml"
$PY/make_lock.py "$T/ward.lock" "hello=1.0-1=$(printf h | sha256sum | cut -c1-64)" \
	"world=2.1-1+deb12u1=$(printf w | sha256sum | cut -c1-64)"
cat >"$T/vex.json" <<'EOF'
{"@context":"https://openvex.dev/ns/v0.2.0","@id":"https://example.org/vex/1","author":"ward tests","timestamp":"2023-11-14T22:13:20Z","version":1,"statements":[{"vulnerability":{"name":"CVE-2023-0001"},"products":[{"@id":"pkg:deb/debian/hello@1.0-1?arch=amd64"}],"status":"not_affected","justification":"vulnerable_code_not_present"}]}
EOF
echo '{"tests":[{"name":"starts","result":"pass"}]}' >"$T/tests.json"
echo '{"components":[{"name":"hello","license":"MIT"}]}' >"$T/licenses.json"
expect 0 "attest cyclonedx" "$WARD" attest "$T/img:v1" --key "$T/k.key" --type cyclonedx --predicate "$T/bom.cdx.json"
expect 0 "attest spdx" "$WARD" attest "$T/img:v1" --key "$T/k.key" --type spdx --predicate "$T/bom.spdx.json"
expect 0 "attest openvex" "$WARD" attest "$T/img:v1" --key "$T/k.key" --type openvex --predicate "$T/vex.json"
expect 0 "attest test report" "$WARD" attest "$T/img:v1" --key "$T/k.key" --type test --predicate "$T/tests.json"
expect 0 "attest license report (by URI)" "$WARD" attest "$T/img:v1" --key "$T/k.key" \
	--type https://ward.dev/attestation/license-report/v1 --predicate "$T/licenses.json"
expect 0 "attest provenance" "$WARD" attest "$T/img:v1" --key "$T/k.key" --provenance \
	--spec "$T/ward.yaml" --lock "$T/ward.lock" --input "$T/model" --input "$T/vex.json"
run "$WARD" sign "$T/img:v1" --key "$T/k.key" --bundle-out "$T/att.jsonl" --json
[ "$RC" = 0 ] && [ "$(json_get /dev/stdin "d['attestationsCovered']" <<<"$OUT")" = 6 ] &&
	pass "sign: covers the 6 attestations" || fail "sign (exit $RC): $ERR"
[ "$(wc -l <"$T/att.jsonl")" = 7 ] && pass "attestation bundle: 7 lines" ||
	fail "attestation bundle has $(wc -l <"$T/att.jsonl") lines"

# --- ward verify ---------------------------------------------------------------
run "$WARD" verify "$T/img:v1" --key "$T/k.pub" --bundle "$T/att.jsonl" --lock "$T/ward.lock" \
	--require cyclonedx --require provenance --json
if [ "$RC" = 0 ] && [ "$(json_get /dev/stdin "d['verified'], d['signatures'], len(d['attestations']), d['failures']" <<<"$OUT")" = "True 2 6 0" ]; then
	pass "verify: 2 signatures, 6 attestations, no failure"
else
	fail "verify (exit $RC): $(tail -3 <<<"$ERR")"
fi
for c in "cyclonedx SBOM" "spdx SBOM" "provenance vs lock" "agreement"; do
	[ "$(json_get /dev/stdin "[x['result'] for x in d['checks'] if x['check']=='$c'][0]" <<<"$OUT")" = pass ] &&
		pass "verify check \"$c\" passed" || fail "verify check \"$c\" did not pass"
done
expect_err 1 "different key" "verify with another key fails" "$WARD" verify "$T/img:v1" --key "$T/other.pub"
expect_err 1 "required attestation missing" "a required type that is absent fails" \
	"$WARD" verify "$T/img:v1" --key "$T/k.pub" --require vuln
$PY/make_lock.py "$T/other.lock" "hello=1.0-1=$(printf X | sha256sum | cut -c1-64)" \
	"world=2.1-1+deb12u1=$(printf w | sha256sum | cut -c1-64)"
expect_err 1 "deb hello has sha256" "provenance vs another lock fails" \
	"$WARD" verify "$T/img:v1" --key "$T/k.pub" --lock "$T/other.lock"
expect 2 "verify without --key is a usage error" "$WARD" verify "$T/img:v1"
expect 2 "verify of a missing layout" "$WARD" verify "$T/nope:v1" --key "$T/k.pub"

# --- independent verifiers -----------------------------------------------------
check "layout has cosign's shape (kinds, tags, layers, referrers)" $PY/attestations.py shape "$T/img" v1
run $PY/attestations.py extract "$T/img" v1 "$T/x"
[ "$RC" = 0 ] && [ "$(grep -c '^att ' <<<"$OUT")" = 6 ] && [ "$(grep -c '^referrer ' <<<"$OUT")" = 7 ] &&
	pass "DSSE statements decode: subject is the image, predicateType as annotated" ||
	fail "statements: $OUT $ERR"
# the same statement in both forms
[ "$(grep '^att ' <<<"$OUT" | cut -d' ' -f2,3 | sort)" = "$(grep '^referrer ' <<<"$OUT" | grep -v cosign/sign | cut -d' ' -f2,3 | sort)" ] &&
	pass "legacy .att and referrers hold the same statements" || fail "forms differ"
check "openssl verifies the simple-signing signature" \
	openssl dgst -sha256 -verify "$T/k.pub" -signature "$T/x/sig1.der" "$T/x/sig1.payload"
check "sigstore-js verifies every bundle line" node "$WARD_SRC/tests/js/verify-bundle.js" "$T/att.jsonl" "$T/k.pub"
expect 1 "sigstore-js rejects them with another key" node "$WARD_SRC/tests/js/verify-bundle.js" "$T/att.jsonl" "$T/other.pub"
check "bundles validate against the Sigstore bundle schema" python_oracle validate_schema.py sigstore-bundle "$T/att.jsonl"
check "CycloneDX predicates validate against the schema" python_oracle validate_schema.py cyclonedx "$T"/x/cyclonedx.*.json
check "SPDX predicates validate against the schema" python_oracle validate_schema.py spdx "$T"/x/spdx.*.json
prov=$(ls "$T"/x/provenance.*.json | head -1)
check "provenance records spec, inputs, lock and ward itself" $PY/attestations.py provenance "$prov" \
	"$T/ward.yaml" "$WARD" "$("$WARD" version | cut -d' ' -f2)" --input "$T/model" --input "$T/vex.json" --lock "$T/ward.lock"
check "skopeo still reads the signed layout" skopeo inspect "oci:$T/img:v1"
check "umoci lists the layout" umoci ls --layout "$T/img"

# --- re-signing, re-attesting, attesting after signing -----------------------------
cp -a "$T/img" "$T/re"
run "$WARD" attest "$T/re:v1" --key "$T/k.key" --type test --predicate "$T/tests.json" --json
[ "$RC" = 0 ] && [ "$(json_get /dev/stdin "d['replaced']" <<<"$OUT")" = 2 ] &&
	pass "re-attesting a type replaces it in both forms" || fail "re-attest (exit $RC): $ERR"
expect_err 1 "the signature covers this attestation" "the signature notices the replaced attestation" \
	"$WARD" verify "$T/re:v1" --key "$T/k.pub"
run "$WARD" sign "$T/re:v1" --key "$T/k.key" --json
[ "$RC" = 0 ] && [ "$(json_get /dev/stdin "d['replaced']" <<<"$OUT")" = 2 ] &&
	pass "re-signing replaces the key's signature in both forms" || fail "re-sign (exit $RC): $ERR"
expect 0 "after signing again it verifies" "$WARD" verify "$T/re:v1" --key "$T/k.pub"
[ "$(json_get "$T/re/index.json" "len([m for m in d['manifests'] if m.get('artifactType')])")" = 7 ] &&
	pass "still 7 referrers" || fail "referrers after re-signing"
expect 0 "attest after signing" "$WARD" attest "$T/re:v1" --key "$T/k.key" --type vuln --predicate "$T/tests.json"
run "$WARD" verify "$T/re:v1" --key "$T/k.pub"
[ "$RC" = 0 ] && grep -q "signature predates it" <<<"$ERR" &&
	pass "an attestation newer than the signature verifies, noted as not covered" ||
	fail "attest after sign (exit $RC): $(tail -2 <<<"$ERR")"
expect 0 "a second key signs too" "$WARD" sign "$T/re:v1" --key "$T/other.key"
expect_err 1 "does not verify" "verify insists every signature verifies with the key" \
	"$WARD" verify "$T/re:v1" --key "$T/k.pub"

# --- an SBOM that does not describe the image --------------------------------------
cp -a "$T/img" "$T/lie"
$PY/make_sbom.py cyclonedx "$T/lie.cdx.json" alpha hello@1.0-1 evil@6.6.6
"$WARD" attest "$T/lie:v1" --key "$T/k.key" --type cyclonedx --predicate "$T/lie.cdx.json" 2>/dev/null &&
	"$WARD" sign "$T/lie:v1" --key "$T/k.key" 2>/dev/null
expect_err 1 "differs from a fresh catalog" "an SBOM unlike the image's contents fails" \
	"$WARD" verify "$T/lie:v1" --key "$T/k.pub"

# --- other key formats: PKCS#8 PEM (openssl), cosign's own encrypted key ------------
make_layout "$T/p8" v1 pkcs8
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/p8.pem" 2>/dev/null &&
	openssl pkey -in "$T/p8.pem" -pubout -out "$T/p8.pub"
expect 0 "sign with a PKCS#8 key from openssl" "$WARD" sign "$T/p8:v1" --key "$T/p8.pem"
expect 0 "verify with its public key" "$WARD" verify "$T/p8:v1" --key "$T/p8.pub"
WARD_PASSWORD=hello expect 0 "sign with cosign's encrypted test key" "$WARD" sign "$T/p8:v1" \
	--key "$WARD_SHARED/interop/cosign/sigstore-encrypted-ec.key"

# --- a multi-platform image index -----------------------------------------------
make_layout "$T/idx" v1 multi && ARM_CONFIG=$($PY/make_index.py "$T/idx" v1)
expect 0 "sign an image index" "$WARD" sign "$T/idx:v1" --key "$T/k.key"
run "$WARD" verify "$T/idx:v1" --key "$T/k.pub" --json
[ "$RC" = 0 ] && [ "$(json_get /dev/stdin "len([c for c in d['checks'] if c['check'].startswith('image sha256') and c['result']=='pass'])" <<<"$OUT")" = 2 ] &&
	pass "verify checks both platforms of the index" || fail "index verify (exit $RC): $ERR"
[ "$(json_get "$T/idx/index.json" "[m['annotations']['kind'] for m in d['manifests'] if m.get('annotations',{}).get('org.opencontainers.image.ref.name')=='v1'][0]")" = dev.cosignproject.cosign/imageIndex ] &&
	pass "the index entry is kind imageIndex" || fail "index kind"
python3 -c "import sys; p=sys.argv[1]; b=bytearray(open(p,'rb').read()); b[5]^=1; open(p,'wb').write(b)" "$T/idx/blobs/sha256/${ARM_CONFIG#sha256:}"
expect_err 1 "linux/arm64" "a corrupt arm64 config is found" "$WARD" verify "$T/idx:v1" --key "$T/k.pub"

# --- errors ------------------------------------------------------------------------
expect 2 "sign without a key" "$WARD" sign "$T/img:v1"
expect 2 "sign a directory that is no layout" "$WARD" sign "$T/model" --key "$T/k.key"
WARD_PASSWORD=wrong expect 2 "sign with a wrong password" "$WARD" sign "$T/img:v1" --key "$T/k.key"
expect 2 "attest an unknown type" "$WARD" attest "$T/img:v1" --key "$T/k.key" --type nonsense --predicate "$T/tests.json"
echo '[1]' >"$T/array.json"
expect 2 "attest a predicate that is not an object" "$WARD" attest "$T/img:v1" --key "$T/k.key" --type test --predicate "$T/array.json"
expect 2 "attest a tag that does not exist" "$WARD" attest "$T/img:v9" --key "$T/k.key" --type test --predicate "$T/tests.json"
finish
