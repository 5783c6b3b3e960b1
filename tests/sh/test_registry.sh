#!/usr/bin/env bash
# test_registry.sh: ward push / ward pull against Debian's docker-registry
# (distribution v2) on 127.0.0.1, checked with skopeo: plain HTTP, chunked
# uploads, cross-repository mounts, skipped blobs, the referrers-tag
# fallback, a registry whose storage corrupts a blob, basic auth (htpasswd),
# the bearer token flow (a python token server) and TLS.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/signed_image.sh"
command -v docker-registry >/dev/null || { fail "docker-registry is not installed"; finish; exit; }

PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	chmod -R u+w "$T" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_registry NAME [YAML]: a registry with its own config and storage
# under $T/NAME; YAML is appended (auth); $T/NAME.tls turns TLS on.  Sets PORT.
start_registry() {
	local name=$1 extra=${2:-} scheme=http i
	PORT=$(free_port)
	mkdir -p "$T/$name"
	{
		printf 'version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n'
		printf 'storage:\n  filesystem:\n    rootdirectory: %s\n' "$T/$name/data"
		printf 'http:\n  addr: 127.0.0.1:%s\n' "$PORT"
		if [ -f "$T/$name.tls" ]; then
			printf '  tls:\n    certificate: %s\n    key: %s\n' "$T/tls.crt" "$T/tls.key"
			scheme=https
		fi
		printf '%s\n' "$extra"
	} >"$T/$name/config.yml"
	docker-registry serve "$T/$name/config.yml" >"$T/$name/log" 2>&1 &
	PIDS+=($!)
	for i in $(seq 1 100); do
		case $(curl -sk -o /dev/null -w '%{http_code}' "$scheme://127.0.0.1:$PORT/v2/") in
		200 | 401) return 0 ;;
		esac
		sleep 0.1
	done
	echo "registry $name did not start: $(cat "$T/$name/log")" >&2
	return 1
}

make_keys "$T/k" || { fail "keygen"; finish; exit; }
make_signed "$T/img" v1 alpha "$T/k.key" || { fail "make signed image"; finish; exit; }
DIGEST=$(json_get "$T/img/index.json" "[m['digest'] for m in d['manifests'] if m.get('annotations',{}).get('org.opencontainers.image.ref.name')=='v1'][0]")
HEX=${DIGEST#sha256:}

# --- plain HTTP ---------------------------------------------------------------
start_registry plain || { fail "start registry"; finish; exit; }
R=127.0.0.1:$PORT
expect_err 3 "--insecure" "push over plain HTTP needs --insecure" "$WARD" push "$T/img:v1" "$R/app:v1"
run "$WARD" push "$T/img:v1" "$R/team/app:v1" --insecure --json
[ "$RC" = 0 ] && [ "$(json_get /dev/stdin "d['digest']" <<<"$OUT")" = "$DIGEST" ] &&
	pass "push image, signatures, attestations and referrers" || fail "push (exit $RC): $ERR"
run skopeo inspect --tls-verify=false "docker://$R/team/app:v1"
[ "$RC" = 0 ] && [ "$(json_get /dev/stdin "d['Digest']" <<<"$OUT")" = "$DIGEST" ] &&
	pass "skopeo inspect sees the image with its digest" || fail "skopeo inspect: $ERR"
run skopeo list-tags --tls-verify=false "docker://$R/team/app"
for t in v1 "sha256-$HEX.sig" "sha256-$HEX.att" "sha256-$HEX"; do
	grep -q "\"$t\"" <<<"$OUT" && pass "skopeo lists tag $t" || fail "tag $t missing: $OUT"
done
run skopeo inspect --raw --tls-verify=false "docker://$R/team/app:sha256-$HEX"
[ "$(json_get /dev/stdin "len([m for m in d['manifests'] if m['artifactType']=='application/vnd.dev.sigstore.bundle.v0.3+json'])" <<<"$OUT")" = 4 ] &&
	pass "the referrers fallback index lists the 4 bundle referrers" || fail "fallback index: $OUT"
check "skopeo copies the pushed image" skopeo copy -q --src-tls-verify=false "docker://$R/team/app:v1" "oci:$T/skopeo:v1"
check "skopeo copies the signature manifest" skopeo copy -q --src-tls-verify=false "docker://$R/team/app:sha256-$HEX.sig" "oci:$T/skopeo-sig:sig"
expect 0 "pull into a fresh layout" "$WARD" pull "$R/team/app:v1" "$T/pulled" --insecure
expect 0 "the pulled layout verifies (with the bundle file)" "$WARD" verify "$T/pulled:v1" --key "$T/k.pub" --bundle "$T/img.jsonl"
check "pulled layout has cosign's shape" python3 "$WARD_SRC/tests/py/attestations.py" shape "$T/pulled" v1
expect 0 "pull by digest" "$WARD" pull "$R/team/app@$DIGEST" "$T/bydigest" --insecure
expect 0 "the layout pulled by digest verifies" "$WARD" verify "$T/bydigest" --key "$T/k.pub"
expect 2 "pull of a missing tag" "$WARD" pull "$R/team/app:nope" "$T/nope" --insecure
[ ! -e "$T/nope" ] && pass "a failed pull leaves no layout" || fail "a failed pull left $T/nope"

# --- a registry with the referrers API (tests/py/referrers_proxy.py over docker-registry)
start_registry backend || { fail "start backend registry"; finish; exit; }
python3 "$WARD_SRC/tests/py/referrers_proxy.py" "$T/proxy.port" "$PORT" >"$T/proxy.log" 2>&1 &
PIDS+=($!)
for i in $(seq 1 50); do [ -f "$T/proxy.port" ] && break; sleep 0.1; done
P=127.0.0.1:$(cat "$T/proxy.port")
expect 0 "push to a registry with the referrers API" "$WARD" push "$T/img:v1" "$P/api/app:v1" --insecure
run skopeo list-tags --tls-verify=false "docker://$P/api/app"
! grep -q "\"sha256-$HEX\"" <<<"$OUT" && pass "no fallback tag when the registry processes subjects" ||
	fail "fallback tag written although the registry has the referrers API"
run "$WARD" pull "$P/api/app:v1" "$T/apipulled" --insecure --json
[ "$RC" = 0 ] && [ "$(json_get /dev/stdin "d['referrersApi']" <<<"$OUT")" = True ] &&
	pass "pull finds the referrers through the referrers API" || fail "pull via API (exit $RC): $ERR"
expect 0 "and it verifies" "$WARD" verify "$T/apipulled:v1" --key "$T/k.pub" --bundle "$T/img.jsonl"

# --- chunks, mounts, skips ----------------------------------------------------------
make_layout "$T/big" v1 big 300000 && "$WARD" sign "$T/big:v1" --key "$T/k.key" 2>/dev/null
run "$WARD" push "$T/big:v1" "$R/big:v1" --insecure --chunk-size 64K --json
[ "$RC" = 0 ] && [ "$(json_get /dev/stdin "d['blobs']['chunks'] > 4" <<<"$OUT")" = True ] &&
	pass "large blobs go up in 64 KiB chunks" || fail "chunked push (exit $RC): $ERR"
run "$WARD" push "$T/big:v1" "$R/copy/big:v1" --insecure --mount-from big --json
[ "$RC" = 0 ] && [ "$(json_get /dev/stdin "d['blobs']['mounted'] >= 3 and d['blobs']['uploaded'] == 0" <<<"$OUT")" = True ] &&
	pass "blobs mounted from another repository, none uploaded" || fail "mount (exit $RC): $OUT $ERR"
run "$WARD" push "$T/big:v1" "$R/big:v1" --insecure --json
[ "$RC" = 0 ] && [ "$(json_get /dev/stdin "d['blobs']['uploaded'] == 0 and d['blobs']['skipped'] >= 3" <<<"$OUT")" = True ] &&
	pass "pushing again skips every blob" || fail "skip (exit $RC): $OUT"
expect 0 "chunk-uploaded image pulls and verifies" sh -c "'$WARD' pull '$R/big:v1' '$T/bigpulled' --insecure 2>/dev/null && '$WARD' verify '$T/bigpulled:v1' --key '$T/k.pub'"

# --- a registry that corrupts what it stores -----------------------------------
LAYER=$(json_get "$T/img/blobs/sha256/$HEX" "d['layers'][0]['digest']")
F=$(ls "$T/plain/data/docker/registry/v2/blobs/sha256/${LAYER:7:2}/${LAYER#sha256:}/data")
python3 -c "import sys; p=sys.argv[1]; b=bytearray(open(p,'rb').read()); b[len(b)//2]^=1; open(p,'wb').write(b)" "$F"
expect_err 1 "${LAYER#sha256:}" "pull detects a blob the registry corrupted" "$WARD" pull "$R/team/app:v1" "$T/corrupt" --insecure
[ ! -e "$T/corrupt" ] && pass "nothing is left of the corrupt pull" || fail "corrupt pull left a layout"
SIGM=$(json_get "$T/big/index.json" "[m['digest'] for m in d['manifests'] if m.get('annotations',{}).get('org.opencontainers.image.ref.name','').endswith('.sig')][0]")
F=$(ls "$T/plain/data/docker/registry/v2/blobs/sha256/${SIGM:7:2}/${SIGM#sha256:}/data")
python3 -c "import sys; p=sys.argv[1]; b=bytearray(open(p,'rb').read()); b[len(b)//2]^=1; open(p,'wb').write(b)" "$F"
expect_err 1 "${SIGM#sha256:}" "pull detects a signature manifest the registry altered" \
	"$WARD" pull "$R/big:v1" "$T/corrupt2" --insecure

# --- basic auth (htpasswd) ------------------------------------------------------
htpasswd -Bbn ward s3cret >"$T/htpasswd" 2>/dev/null ||
	python3 -c 'import crypt; print("ward:" + crypt.crypt("s3cret", crypt.mksalt(crypt.METHOD_BLOWFISH)))' >"$T/htpasswd"
start_registry basic "$(printf 'auth:\n  htpasswd:\n    realm: ward-test\n    path: %s' "$T/htpasswd")" ||
	{ fail "start basic-auth registry"; finish; exit; }
B=127.0.0.1:$PORT
expect_err 3 "user name and password" "push without credentials is refused" "$WARD" push "$T/img:v1" "$B/app:v1" --insecure
WARD_REGISTRY_USERNAME=ward WARD_REGISTRY_PASSWORD=wrong \
	expect_err 3 "refused the credentials" "push with a wrong password is refused" "$WARD" push "$T/img:v1" "$B/app:v1" --insecure
WARD_REGISTRY_USERNAME=ward WARD_REGISTRY_PASSWORD=s3cret \
	expect 0 "push with basic credentials" "$WARD" push "$T/img:v1" "$B/app:v1" --insecure
expect 0 "password from stdin" sh -c "echo s3cret | '$WARD' push '$T/img:v1' '$B/app:v2' --insecure --username ward --password-stdin"
check "skopeo reads it with the same credentials" skopeo inspect --tls-verify=false --creds ward:s3cret "docker://$B/app:v1"
printf '{"auths":{"%s":{"auth":"%s"}}}' "$B" "$(printf ward:s3cret | base64)" >"$T/auth.json"
REGISTRY_AUTH_FILE=$T/auth.json expect 0 "pull with credentials from auth.json" "$WARD" pull "$B/app:v1" "$T/basicpulled" --insecure
expect 0 "and it verifies" "$WARD" verify "$T/basicpulled:v1" --key "$T/k.pub"

# --- bearer tokens ----------------------------------------------------------------------
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/token.key" -out "$T/token.crt" -days 2 \
	-subj /CN=ward-test-token >/dev/null 2>&1
python3 "$WARD_SRC/tests/py/token_server.py" "$T/token.port" "$T/token.key" "$T/token.crt" \
	ward-test-issuer ward t0ken >"$T/token.log" 2>&1 &
PIDS+=($!)
for i in $(seq 1 50); do [ -f "$T/token.port" ] && break; sleep 0.1; done
start_registry token "$(printf 'auth:\n  token:\n    realm: http://127.0.0.1:%s/token\n    service: ward-test-registry\n    issuer: ward-test-issuer\n    rootcertbundle: %s' "$(cat "$T/token.port")" "$T/token.crt")" ||
	{ fail "start token registry"; finish; exit; }
K=127.0.0.1:$PORT
WARD_REGISTRY_USERNAME=ward WARD_REGISTRY_PASSWORD=t0ken \
	expect 0 "push through the bearer token flow" "$WARD" push "$T/img:v1" "$K/tok/app:v1" --insecure
check "skopeo gets a token from the same server" skopeo inspect --tls-verify=false --creds ward:t0ken "docker://$K/tok/app:v1"
WARD_REGISTRY_USERNAME=ward WARD_REGISTRY_PASSWORD=t0ken \
	expect 0 "pull through the bearer token flow" "$WARD" pull "$K/tok/app:v1" "$T/tokpulled" --insecure
expect 0 "and it verifies" "$WARD" verify "$T/tokpulled:v1" --key "$T/k.pub" --bundle "$T/img.jsonl"
WARD_REGISTRY_USERNAME=ward WARD_REGISTRY_PASSWORD=wrong \
	expect_err 3 "token server" "a wrong password gets no token" "$WARD" pull "$K/tok/app:v1" "$T/x" --insecure
export WARD_REGISTRY_USERNAME=ward WARD_REGISTRY_PASSWORD=t0ken
"$WARD" push "$T/big:v1" "$K/tok/big:v1" --insecure >/dev/null 2>&1
run "$WARD" push "$T/big:v1" "$K/tok/copy:v1" --insecure --mount-from tok/big --json
[ "$RC" = 0 ] && [ "$(json_get /dev/stdin "d['blobs']['mounted'] >= 3" <<<"$OUT")" = True ] &&
	pass "a mount asks the token server for both repositories' scopes" || fail "token mount (exit $RC): $ERR"
unset WARD_REGISTRY_USERNAME WARD_REGISTRY_PASSWORD
expect_err 3 "token server" "no credentials, no token" "$WARD" push "$T/img:v1" "$K/tok/app:v1" --insecure

# --- TLS ----------------------------------------------------------------------------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/tls.key" \
	-out "$T/tls.crt" -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1
touch "$T/tls.tls"
start_registry tls || { fail "start TLS registry"; finish; exit; }
S=127.0.0.1:$PORT
expect_err 3 "TLS" "an untrusted certificate is refused" "$WARD" push "$T/img:v1" "$S/app:v1"
expect 0 "push over TLS with --ca-file" "$WARD" push "$T/img:v1" "$S/app:v1" --ca-file "$T/tls.crt"
expect 0 "push over TLS with --insecure" "$WARD" push "$T/img:v1" "$S/app:v2" --insecure
expect 0 "pull over TLS" "$WARD" pull "$S/app:v1" "$T/tlspulled" --ca-file "$T/tls.crt"
expect 0 "and it verifies" "$WARD" verify "$T/tlspulled:v1" --key "$T/k.pub"
finish
