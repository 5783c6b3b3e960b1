#!/usr/bin/env bash
# test_tamper.sh: the tamper matrix.  A signed image with three
# attestations and its attestation bundle; then one change at a time, made by
# tests/py/tamper.py (which knows OCI and cosign, not ward): a flipped byte
# in every blob, consistent forgeries (the changed blob re-hashed and every
# reference rewritten, so only signatures can catch them) of signatures,
# attestations, bundles and their annotations, flipped bytes in every bundle
# line, swapped and dropped attestations, and attestations, bundles and
# signatures replayed from another image signed with the same key.
# `ward verify` must fail every time (exit 1) and name what broke.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/signed_image.sh"

make_keys "$T/k" || { fail "keygen"; finish; exit; }
make_signed "$T/a" v1 alpha "$T/k.key" || { fail "make signed image a"; finish; exit; }
make_signed "$T/b" v1 beta "$T/k.key" || { fail "make signed image b"; finish; exit; }
expect 0 "untampered image verifies" "$WARD" verify "$T/a:v1" --key "$T/k.pub" --bundle "$T/a.jsonl"

CASES=0
CAUGHT=0
# tcase NAME NEEDLE CMD...: copy the image, run CMD with @C@ standing for the
# copy's layout and @CB@ for its bundle file, verify the copy: exit 1 with
# NEEDLE in the first broken link.
tcase() {
	local name=$1 needle=$2 a args=()
	shift 2
	CASES=$((CASES + 1))
	rm -rf "$T/c" "$T/c.jsonl"
	cp -a "$T/a" "$T/c" && cp "$T/a.jsonl" "$T/c.jsonl"
	for a in "$@"; do
		a=${a//@CB@/$T/c.jsonl}
		args+=("${a//@C@/$T/c}")
	done
	if ! "${args[@]}" >"$T/.setup" 2>&1; then
		fail "tamper $name: setup failed: $(tail -2 "$T/.setup")"
		return
	fi
	run "$WARD" verify "$T/c:v1" --key "$T/k.pub" --bundle "$T/c.jsonl"
	if [ "$RC" = 1 ] && grep -q "verification FAILED" <<<"$ERR" &&
		grep -qF -- "$needle" <<<"$(grep 'first broken link' <<<"$ERR")"; then
		CAUGHT=$((CAUGHT + 1))
		pass "tamper $name"
	else
		fail "tamper $name (exit $RC, want 1 naming \"$needle\"): $(tail -1 <<<"$ERR")"
	fi
}
tamper() { python3 "$WARD_SRC/tests/py/tamper.py" "$@"; }
drop_both() { tamper drop-att-layer "$1" "$2" && tamper drop-referrer "$1" "$2"; }
drop_signature_bundle() { tamper drop-referrer "$1" sigstore.dev/cosign/sign && tamper drop-line "$2" 1; }

# 1. One flipped byte in each blob, in place: a digest no longer matches.
while read -r digest role; do
	tcase "flip $role" "${digest#sha256:}" tamper flip @C@ "$digest"
done < <(tamper blobs "$T/a")

# 2. Consistent forgeries: the blob changed, re-hashed and re-referenced.
A_SIG=$(json_get "$T/a/index.json" "[m['digest'] for m in d['manifests'] if m.get('annotations',{}).get('org.opencontainers.image.ref.name','').endswith('.sig')][0]")
A_ATT=$(json_get "$T/a/index.json" "[m['digest'] for m in d['manifests'] if m.get('annotations',{}).get('org.opencontainers.image.ref.name','').endswith('.att')][0]")
A_IMG=$(json_get "$T/a/index.json" "[m['digest'] for m in d['manifests'] if m.get('annotations',{}).get('org.opencontainers.image.ref.name')=='v1'][0]")
blob_of() { json_get "$T/a/blobs/sha256/${1#sha256:}" "$2"; }
SIG_PAYLOAD=$(blob_of "$A_SIG" "d['layers'][0]['digest']")
IMG_CONFIG=$(blob_of "$A_IMG" "d['config']['digest']")
IMG_LAYER=$(blob_of "$A_IMG" "d['layers'][0]['digest']")
tcase "forged simple-signing payload" ".sig layer 1" tamper flip-reseal @C@ "$SIG_PAYLOAD" --after '"docker-manifest-digest":"sha256:'
tcase "forged signature annotation" ".sig layer 1" tamper flip-reseal @C@ "$A_SIG" --after '"dev.cosignproject.cosign/signature":"'
tcase "forged image config" "not this image" tamper flip-reseal @C@ "$IMG_CONFIG" --after "\"created\":\"20"
tcase "forged image layer" "layer" tamper flip-reseal @C@ "$IMG_LAYER" --at 0.5
for i in 0 1 2; do
	env_digest=$(blob_of "$A_ATT" "d['layers'][$i]['digest']")
	ptype=$(blob_of "$A_ATT" "d['layers'][$i]['annotations']['predicateType']")
	tcase "forged .att envelope payload ($ptype)" ".att layer $((i + 1))" tamper flip-reseal @C@ "$env_digest" --after '"payload":"eyJ'
	tcase "forged .att envelope signature ($ptype)" ".att layer $((i + 1))" tamper flip-reseal @C@ "$env_digest" --after '"sig":"'
	tcase "forged .att envelope field name ($ptype)" ".att layer $((i + 1))" tamper flip-reseal @C@ "$env_digest" --inside payloadType
done
tcase "forged .att predicateType annotation" ".att layer" tamper flip-reseal @C@ "$A_ATT" --after '"predicateType":"https://'
while read -r ref; do
	bundle=$(blob_of "$ref" "d['layers'][0]['digest']")
	for field in '"payload":"eyJ' '"sig":"' '"hint":"' '"mediaType":"application/vnd.dev.sigstore.bundle.v0.' '"payloadType":"application/'; do
		tcase "forged referrer bundle after $field (${ref:7:12})" "referrer" tamper flip-reseal @C@ "$bundle" --after "$field"
	done
	for field in tlogEntries keyid publicKey signatures; do
		tcase "forged referrer bundle field $field (${ref:7:12})" "referrer" tamper flip-reseal @C@ "$bundle" --inside "$field"
	done
	tcase "forged referrer predicateType annotation (${ref:7:12})" "referrer" tamper flip-reseal @C@ "$ref" --after '"dev.sigstore.bundle.predicateType":"https://'
	tcase "forged referrer subject digest (${ref:7:12})" "referrer" tamper flip-reseal @C@ "$ref" --after '"subject":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:'
	tcase "forged referrer artifactType (${ref:7:12})" "referrer" tamper flip-reseal @C@ "$ref" --after '"artifactType":"application/vnd.dev.sigstore.bundle.v0.'
done < <(json_get "$T/a/index.json" "'\n'.join(m['digest'] for m in d['manifests'] if m.get('artifactType','').startswith('application/vnd.dev.sigstore.bundle'))")

# 3. Every line of the attestation bundle, flipped in several places.
LINES=$(wc -l <"$T/a.jsonl")
for n in $(seq 1 "$LINES"); do
	for at in 0.02 0.25 0.5 0.75 0.98; do
		tcase "bundle line $n byte at $at" "line $n" tamper flip-line @CB@ "$n" --at "$at"
	done
	for field in mediaType verificationMaterial hint tlogEntries dsseEnvelope keyid; do
		tcase "bundle line $n field $field" "line $n" tamper flip-line @CB@ "$n" --inside "$field"
	done
done

# 4. Swapped, dropped and replayed attestations.
tcase "swap .att predicateTypes" ".att layer 1" tamper swap-att-types @C@
tcase "swap referrer bundles" "referrer" tamper swap-referrer-bundles @C@
tcase "drop .att layer (cyclonedx)" "missing from" tamper drop-att-layer @C@ cyclonedx
tcase "drop referrer (spdx)" "has no referrer" tamper drop-referrer @C@ spdx
tcase "drop both forms (provenance)" "the signature covers this attestation" drop_both @C@ slsa
tcase "drop bundle line" "not in the bundle file" tamper drop-line @CB@ 2
tcase "replay .att from image b" "not this image" tamper replay-att "$T/b" @C@ cyclonedx
tcase "replay referrer bundle from image b" "not this image" tamper replay-referrer "$T/b" @C@ spdx
tcase "replay bundle line from image b" "not this image" tamper replace-line @CB@ 2 "$T/b.jsonl" 2
tcase "replay signature from image b" "not this image" tamper replay-sig "$T/b" @C@

# Not tampering: removing one of the two signature forms (and its bundle line)
# leaves a valid signature; ward still verifies, and reports one signature.
rm -rf "$T/c" "$T/c.jsonl" && cp -a "$T/a" "$T/c" && cp "$T/a.jsonl" "$T/c.jsonl"
drop_signature_bundle "$T/c" "$T/c.jsonl" >/dev/null
run "$WARD" verify "$T/c:v1" --key "$T/k.pub" --bundle "$T/c.jsonl" --json
[ "$RC" = 0 ] && [ "$(json_get /dev/stdin "d['signatures']" <<<"$OUT")" = 1 ] &&
	pass "one signature form removed: still signed, 1 signature reported" ||
	fail "one signature form removed (exit $RC): $(tail -1 <<<"$ERR")"
rm -rf "$T/c" "$T/c.jsonl"
# Both signature forms removed: nothing vouches for the image.
cp -a "$T/a" "$T/c"
tamper drop-referrer "$T/c" sigstore.dev/cosign/sign && python3 - "$T/c" <<'PY'
import json, sys
p = sys.argv[1] + "/index.json"
d = json.load(open(p))
d["manifests"] = [m for m in d["manifests"] if not m.get("annotations", {}).get(
    "org.opencontainers.image.ref.name", "").endswith(".sig")]
json.dump(d, open(p, "w"))
PY
expect_err 1 "no signature of this image verifies" "both signature forms removed: fails" \
	"$WARD" verify "$T/c:v1" --key "$T/k.pub"

echo "tamper matrix: $CAUGHT of $CASES cases detected"
[ "$CAUGHT" = "$CASES" ] && pass "tamper matrix: every case detected ($CASES)" || fail "tamper matrix: $CAUGHT of $CASES"
finish
