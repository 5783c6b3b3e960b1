#!/usr/bin/env bash
# ward model sign/verify against the reference signer's bundles, tampering,
# independent verifiers (JSON schema, sigstore-js, openssl) and bad input.
. "$(dirname "$0")/lib.sh"

OMS=$WARD_SHARED/interop/oms
KEYS=$OMS/keys
export WARD_PASSWORD=test-password

# ---- the reference signer's bundles verify ---------------------------------
for d in v1.0.1-elliptic-key v1.1.0-elliptic-key; do
	expect 0 "reference bundle $d verifies with the key" \
		"$WARD" model verify "$OMS/$d" --key "$KEYS/signing-key-pub.pem" --ignore-path "$OMS/$d/ignore-me"
done
expect 0 "reference single-file bundle (resource \".\") verifies" \
	"$WARD" model verify "$OMS/v1.0.0-elliptic-key/signme-1" --signature "$OMS/v1.0.0-elliptic-key/model.sig" \
	--key "$KEYS/signing-key-pub.pem"
for d in v1.0.1-certificate v1.1.0-certificate; do
	expect 0 "reference certificate bundle $d verifies with the CA chain" \
		"$WARD" model verify "$OMS/$d" --cert-chain "$KEYS/ca-cert.pem" --ignore-path "$OMS/$d/ignore-me"
	expect 1 "certificate bundle $d refused with an unrelated CA" \
		"$WARD" model verify "$OMS/$d" --cert-chain "$KEYS/signing-key-cert.pem" --ignore-path "$OMS/$d/ignore-me"
done
expect_err 1 "not signed" "an unsigned file on disk fails verification" \
	"$WARD" model verify "$OMS/v1.0.1-elliptic-key" --key "$KEYS/signing-key-pub.pem"
expect 0 "--ignore-unsigned accepts it" \
	"$WARD" model verify "$OMS/v1.0.1-elliptic-key" --key "$KEYS/signing-key-pub.pem" --ignore-unsigned

# ---- tampering with the reference bundles ----------------------------------
"$WARD" keygen -o "$T/other" >/dev/null 2>&1
tamper_cases=0
tamper_caught=0
tamper() { # tamper DESCRIPTION CMD... — the command must exit 1
	local what=$1
	shift
	tamper_cases=$((tamper_cases + 1))
	run "$@"
	if [ "$RC" = 1 ]; then tamper_caught=$((tamper_caught + 1)); else fail "tamper not caught: $what (exit $RC)"; fi
}
flip_byte() { # flip_byte FILE OFFSET
	python3 - "$1" "$2" <<'PY'
import sys
p, off = sys.argv[1], int(sys.argv[2])
b = bytearray(open(p, 'rb').read()); b[off] ^= 0x01
open(p, 'wb').write(bytes(b))
PY
}
for d in v1.0.1-elliptic-key v1.1.0-elliptic-key v1.0.1-certificate v1.1.0-certificate; do
	case $d in *certificate) trust=(--cert-chain "$KEYS/ca-cert.pem") ;; *) trust=(--key "$KEYS/signing-key-pub.pem") ;; esac
	for f in signme-1 signme-2; do
		size=$(stat -c %s "$OMS/$d/$f")
		for ((off = 0; off < size; off++)); do
			rm -rf "$T/m"; cp -r "$OMS/$d" "$T/m"; chmod -R u+w "$T/m"
			flip_byte "$T/m/$f" "$off"
			tamper_cases=$((tamper_cases + 1))
			run "$WARD" model verify "$T/m" "${trust[@]}" --ignore-path "$T/m/ignore-me"
			if [ "$RC" = 1 ] && grep -qF "$f" <<<"$ERR"; then tamper_caught=$((tamper_caught + 1)); else fail "$d: flipped byte $off of $f not caught (exit $RC)"; fi
		done
	done
	rm -rf "$T/m"; cp -r "$OMS/$d" "$T/m"; chmod -R u+w "$T/m"
	echo extra >"$T/m/added"
	tamper "$d: added file" "$WARD" model verify "$T/m" "${trust[@]}" --ignore-path "$T/m/ignore-me"
	rm "$T/m/added" "$T/m/signme-2"
	tamper "$d: removed file" "$WARD" model verify "$T/m" "${trust[@]}" --ignore-path "$T/m/ignore-me"
	# Bytes of the decoded payload, and of the signature, flipped in turn.
	for part in payload sig; do
		n=$(python3 -c "
import json,base64,sys
e=json.load(open('$OMS/$d/model.sig'))['dsseEnvelope']
print(len(base64.b64decode(e['payload'] if '$part'=='payload' else e['signatures'][0]['sig'])))")
		# A spread of offsets across the whole payload and signature.
		step=3
		[ "$part" = payload ] && step=17
		for ((off = 0; off < n; off += step)); do
			rm -rf "$T/m"; cp -r "$OMS/$d" "$T/m"; chmod -R u+w "$T/m"
			python3 - "$T/m/model.sig" "$part" "$off" <<'PY'
import json, base64, sys
p, part, off = sys.argv[1], sys.argv[2], int(sys.argv[3])
b = json.load(open(p)); e = b['dsseEnvelope']
field = e if part == 'payload' else e['signatures'][0]
key = 'payload' if part == 'payload' else 'sig'
raw = bytearray(base64.b64decode(field[key])); raw[off] ^= 0x01
field[key] = base64.b64encode(bytes(raw)).decode()
json.dump(b, open(p, 'w'))
PY
			tamper_cases=$((tamper_cases + 1))
			run "$WARD" model verify "$T/m" "${trust[@]}" --ignore-path "$T/m/ignore-me"
			if [ "$RC" = 1 ] || [ "$RC" = 2 ]; then tamper_caught=$((tamper_caught + 1)); else fail "$d: $part byte $off flipped not caught (exit $RC)"; fi
		done
	done
	case $d in *elliptic*)
		tamper "$d: wrong key" "$WARD" model verify "$OMS/$d" --key "$T/other.pub" --ignore-path "$OMS/$d/ignore-me" ;;
	esac
done
if [ "$tamper_caught" = "$tamper_cases" ] && [ "$tamper_cases" -gt 100 ]; then
	pass "tampering caught in $tamper_caught of $tamper_cases cases"
else
	fail "tampering caught in $tamper_caught of $tamper_cases cases"
fi

# ---- ward's own signatures --------------------------------------------------
mkdir -p "$T/model/sub" "$T/model/.git"
head -c 3000001 /dev/urandom >"$T/model/weights.safetensors"
printf '{"arch":"mlp"}' >"$T/model/config.json"
: >"$T/model/empty.bin"
echo ignored >"$T/model/.git/HEAD"
echo x >"$T/model/sub/a-b"
echo y >"$T/model/sub-c"
check "keygen writes a cosign-format key pair" "$WARD" keygen -o "$T/k"
grep -q "BEGIN ENCRYPTED SIGSTORE PRIVATE KEY" "$T/k.key" && pass "private key is ENCRYPTED SIGSTORE PRIVATE KEY" || fail "private key label"
[ "$(stat -c %a "$T/k.key")" = 600 ] && pass "private key mode 600" || fail "private key mode"
expect_err 2 "exists" "keygen refuses to overwrite" "$WARD" keygen -o "$T/k"
expect_err 2 "empty password" "keygen refuses an empty password" env WARD_PASSWORD= "$WARD" keygen -o "$T/e"
expect 0 "keygen --allow-empty-password" env WARD_PASSWORD= "$WARD" keygen -o "$T/e" --allow-empty-password

check "sign (files)" "$WARD" model sign "$T/model" --key "$T/k.key"
check "verify (files)" "$WARD" model verify "$T/model" --key "$T/k.pub"
check "ward's bundle validates against the OMS schemas" python_oracle validate_schema.py oms-bundle "$T/model/model.sig"
run python3 -c "
import json,base64; b=json.load(open('$T/model/model.sig'))
s=json.loads(base64.b64decode(b['dsseEnvelope']['payload']))
names=[r['name'] for r in s['predicate']['resources']]
assert names==['config.json','empty.bin','sub/a-b','sub-c','weights.safetensors'], names
assert s['predicate']['resources'][1]['digest']=='e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'
assert '.git' in s['predicate']['serialization']['ignore_paths']
import hashlib
root=hashlib.sha256(b''.join(bytes.fromhex(r['digest']) for r in s['predicate']['resources'])).hexdigest()
assert s['subject'][0]['digest']['sha256']==root
for r in s['predicate']['resources']:
    assert hashlib.sha256(open('$T/model/'+r['name'],'rb').read()).hexdigest()==r['digest'], r
"
[ "$RC" = 0 ] && pass "manifest: component order, zero-byte file, .git ignored, root digest, sha256sum-equal digests" || fail "manifest content: $ERR"
if [ -d "$WARD_SRC/tests/js/node_modules/@sigstore/verify" ]; then
	check "sigstore-js verifies ward's bundle with the public key" node "$WARD_SRC/tests/js/verify-bundle.js" "$T/model/model.sig" "$T/k.pub"
	expect 1 "sigstore-js rejects it with another key" node "$WARD_SRC/tests/js/verify-bundle.js" "$T/model/model.sig" "$T/other.pub"
else
	fail "sigstore-js not installed (scripts/install-deps.sh --test)"
fi
# openssl checks the raw signature over the DSSE PAE.
python3 - "$T/model/model.sig" "$T/pae.bin" "$T/sig.der" <<'PY'
import json, base64, sys
e = json.load(open(sys.argv[1]))['dsseEnvelope']
p = base64.b64decode(e['payload']); t = e['payloadType'].encode()
open(sys.argv[2], 'wb').write(b'DSSEv1 %d %s %d %s' % (len(t), t, len(p), p))
open(sys.argv[3], 'wb').write(base64.b64decode(e['signatures'][0]['sig']))
PY
check "openssl verifies the ECDSA signature over the PAE" openssl dgst -sha256 -verify "$T/k.pub" -signature "$T/sig.der" "$T/pae.bin"

expect_err 1 "weights.safetensors" "one flipped byte in ward-signed weights is named" \
	bash -c "cp -r '$T/model' '$T/m2' && $(declare -f flip_byte); flip_byte '$T/m2/weights.safetensors' 1500000 && '$WARD' model verify '$T/m2' --key '$T/k.pub'"
run "$WARD" model verify "$T/m2" --key "$T/k.pub" --json
python3 -c "
import json,sys; j=json.loads(sys.argv[1]); v={r['name']:r['verdict'] for r in j['resources']}
assert j['verified'] is False and v['weights.safetensors']=='mismatch' and v['config.json']=='ok', v" "$OUT" &&
	pass "--json lists each resource with its verdict" || fail "--json verdicts: $OUT"

check "sign (shards, 1M)" "$WARD" model sign "$T/model" --key "$T/k.key" --method shards --shard-size 1M --signature "$T/shards.sig"
check "verify (shards)" "$WARD" model verify "$T/model" --key "$T/k.pub" --signature "$T/shards.sig" --threads 3
run python3 -c "
import json,base64; b=json.load(open('$T/shards.sig'))
s=json.loads(base64.b64decode(b['dsseEnvelope']['payload']))
n=[r['name'] for r in s['predicate']['resources']]
assert 'weights.safetensors:0:1048576' in n and 'weights.safetensors:2097152:3000001' in n, n
assert not any(x.startswith('empty.bin') for x in n), n
assert s['predicate']['serialization']['shard_size']==1048576"
[ "$RC" = 0 ] && pass "shard names path:start:end, zero-byte file omitted" || fail "shards manifest: $ERR"
check "shards bundle validates against the OMS schemas" python_oracle validate_schema.py oms-bundle "$T/shards.sig"
expect 1 "shards: a flipped byte fails" "$WARD" model verify "$T/m2" --key "$T/k.pub" --signature "$T/shards.sig"

check "sign a single file" "$WARD" model sign "$T/model/weights.safetensors" --key "$T/k.key" --signature "$T/single.sig"
check "verify a single file" "$WARD" model verify "$T/model/weights.safetensors" --key "$T/k.pub" --signature "$T/single.sig"
check "sign with the interop cosign key (password hello)" env WARD_PASSWORD=hello "$WARD" model sign "$T/model" --key "$WARD_SHARED/interop/cosign/sigstore-encrypted-ec.key" --signature "$T/cosign.sig"
expect_err 2 "wrong password" "a wrong password is a clean error" env WARD_PASSWORD=nope "$WARD" model sign "$T/model" --key "$WARD_SHARED/interop/cosign/sigstore-encrypted-ec.key" --signature "$T/x.sig"
one_line && pass "wrong password: one-line error" || fail "wrong password error is not one line"
expect_err 2 "SEC1" "the SEC1 cosign key is refused cleanly" env WARD_PASSWORD=hello "$WARD" model sign "$T/model" --key "$WARD_SHARED/interop/cosign/cosign-encrypted-ec-sec1.key" --signature "$T/x.sig"
[ ! -e "$T/x.sig" ] && pass "nothing written on failure" || fail "a signature was written despite the failure"

# Plain PKCS#8 keys (made by openssl) sign, and the P-384 / P-521 curves work.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/p8.pem" 2>/dev/null
openssl pkey -in "$T/p8.pem" -pubout -out "$T/p8.pub" 2>/dev/null
check "sign with a PKCS#8 PEM key" "$WARD" model sign "$T/model" --key "$T/p8.pem" --signature "$T/p8.sig"
check "verify it" "$WARD" model verify "$T/model" --key "$T/p8.pub" --signature "$T/p8.sig"
for c in p384 p521; do
	"$WARD" keygen -o "$T/$c" --curve $c >/dev/null 2>&1
	check "$c: sign and verify" bash -c "'$WARD' model sign '$T/model' --key '$T/$c.key' -s '$T/$c.sig' && '$WARD' model verify '$T/model' --key '$T/$c.pub' -s '$T/$c.sig'"
done

ln -s weights.safetensors "$T/model/link"
expect_err 1 "symbolic link" "a symlink in the model is refused" "$WARD" model sign "$T/model" --key "$T/k.key" -s "$T/l.sig"
check "--allow-symlinks follows it" "$WARD" model sign "$T/model" --key "$T/k.key" -s "$T/l.sig" --allow-symlinks
check "and verifies" "$WARD" model verify "$T/model" --key "$T/k.pub" -s "$T/l.sig"
rm "$T/model/link"

# ---- bad input ---------------------------------------------------------------
expect 2 "missing model directory" "$WARD" model verify "$T/nope" --key "$T/k.pub" --signature "$T/model/model.sig"
one_line && pass "missing model: one-line error" || fail "missing model error spans lines"
mkdir -p "$T/locked" && echo x >"$T/locked/f" && chmod 000 "$T/locked"
if command -v setpriv >/dev/null && [ "$(id -u)" = 0 ]; then
	chmod 711 "$T" && install -m 644 "$T/p8.pem" "$T/p8-shared.pem"
	expect_err 3 "locked: cannot read directory" "unreadable model directory (as an unprivileged user)" \
		setpriv --reuid=65534 --regid=65534 --clear-groups "$WARD" model sign "$T/locked" --key "$T/p8-shared.pem" -s "$T/locked.sig"
	chmod 700 "$T"
fi
chmod 755 "$T/locked"
expect_err 2 "none.sig" "missing signature file" "$WARD" model verify "$T/m2" --key "$T/k.pub" --signature "$T/none.sig"
head -c 200 "$T/model/model.sig" >"$T/trunc.sig"
expect_err 2 "invalid JSON" "truncated bundle" "$WARD" model verify "$T/model" --key "$T/k.pub" --signature "$T/trunc.sig"
echo '{"mediaType": 5' >"$T/bad.sig"
expect 2 "invalid JSON" "$WARD" model verify "$T/model" --key "$T/k.pub" --signature "$T/bad.sig"
expect 2 "a public key where a private key belongs" "$WARD" model sign "$T/model" --key "$T/k.pub" -s "$T/x.sig"
expect 2 "no key at all" "$WARD" model verify "$T/model"
expect 2 "unknown option" "$WARD" model verify "$T/model" --bogus

# Statements signed correctly but wrong inside: each is a clean exit 2.
craft() { # craft NAME PYTHON-EXPR-FOR-STATEMENT [--media-type T]
	local name=$1 expr=$2
	shift 2
	python3 -c "
import json,base64
s=json.loads(base64.b64decode(json.load(open('$T/p8.sig'))['dsseEnvelope']['payload']))
$expr
open('$T/$name.json','w').write(json.dumps(s))"
	python_oracle oms_craft.py "$T/p8.pem" "$T/p8.pub" "$T/$name.json" "$T/$name.sig" "$@"
}
craft same 'pass'
expect 0 "a crafted, unchanged statement verifies (the crafting is sound)" "$WARD" model verify "$T/model" --key "$T/p8.pub" -s "$T/same.sig"
craft mt 'pass' --media-type application/vnd.example+json
expect_err 2 "media type" "wrong media type" "$WARD" model verify "$T/model" --key "$T/p8.pub" -s "$T/mt.sig"
craft ht "s['predicate']['serialization']['hash_type']='md5'"
expect_err 2 "hash type" "unknown hash type" "$WARD" model verify "$T/model" --key "$T/p8.pub" -s "$T/ht.sig"
for bad in '../x' '/etc/passwd' 'a/../../b' 'a//b'; do
	craft trav "s['predicate']['resources'][0]['name']='$bad'"
	expect_err 2 "clean relative path" "path traversal in a resource name ($bad)" "$WARD" model verify "$T/model" --key "$T/p8.pub" -s "$T/trav.sig"
done
craft pt "s['predicateType']='https://example.com/other'"
expect_err 2 "predicate type" "wrong predicate type" "$WARD" model verify "$T/model" --key "$T/p8.pub" -s "$T/pt.sig"
craft root "s['subject'][0]['digest']['sha256']='0'*64"
expect_err 1 "subject digest" "root digest that does not add up" "$WARD" model verify "$T/model" --key "$T/p8.pub" -s "$T/root.sig"

finish
