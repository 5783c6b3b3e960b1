#!/usr/bin/env bash
# The PyTorch example end to end: lock and fetch examples/torch-serve (390
# packages), write the model (model/make_model.py), ward build with the
# model signed at build time, podman load + run hardened under ward-init,
# and the prediction for request.json compared with expected.json, which
# the same model computed outside the container (floats to 1e-5, labels
# exactly).  Also: the BLAS/LAPACK alternatives numpy and torch load, an
# unchanged rebuild from the layer cache gives the same digest, skopeo and
# umoci read the image.  Prints the build times (cold layer cache, warm).
. "$(dirname "$0")/../sh/lib.sh"
. "$(dirname "$0")/../sh/build_lib.sh"
CACHE=${WARD_E2E_CACHE:-$CACHE}
export WARD_CACHE=$CACHE
podman_setup
CNAME=ward-test-build-torch-$$
trap 'podman rm -f "$CNAME" >/dev/null 2>&1; podman rmi -f "$IMG_PREFIX-torch:0.1.0" >/dev/null 2>&1; chmod -R u+w "$T" 2>/dev/null; rm -rf "$T"' EXIT

P=$T/torch-serve
mkdir -p "$P"
cp -r "$WARD_SRC/examples/torch-serve/ward.yaml" "$WARD_SRC/examples/torch-serve/app" "$P/"
mkdir -p "$P/model"
check "model/make_model.py writes the weights" python3 "$WARD_SRC/examples/torch-serve/model/make_model.py" "$P/model/mlp"
check "ward lock (apt lists)" "$WARD" lock -f "$P/ward.yaml" --offline
check "ward fetch" "$WARD" fetch -f "$P/ward.yaml" --jobs 8
"$WARD" keygen -o "$T/signing" 2>/dev/null

t0=$(date +%s.%N)
run "$WARD" build -f "$P/ward.yaml" -o "$T/out" --tar "$T/torch.tar" --repo-tag "$IMG_PREFIX-torch:0.1.0" \
	--key "$T/signing.key" --init "$WARD_INIT" --no-layer-cache
t1=$(date +%s.%N)
D1=$(echo "$OUT" | tail -1)
[ "$RC" = 0 ] && pass "ward build torch-serve, no layer cache: $(printf '%.1f' "$(echo "$t1 - $t0" | bc)") s" ||
	{ fail "ward build (exit $RC): $(echo "$ERR" | tail -5)"; finish; exit 1; }
echo "$ERR" | grep -E "paths in the image|layer " | sed 's/^/    /'

t0=$(date +%s.%N)
run "$WARD" build -f "$P/ward.yaml" -o "$T/out2" --key "$T/signing.key" --init "$WARD_INIT"
t1=$(date +%s.%N)
run "$WARD" build -f "$P/ward.yaml" -o "$T/out2" --key "$T/signing.key" --init "$WARD_INIT"
t2=$(date +%s.%N)
D2=$(echo "$OUT" | tail -1)
[ "$RC" = 0 ] && [ "$D1" = "$D2" ] &&
	pass "layer cache filled ($(printf '%.1f' "$(echo "$t1 - $t0" | bc)") s), unchanged rebuild from it ($(printf '%.1f' "$(echo "$t2 - $t1" | bc)") s): same digest" ||
	fail "rebuild: $D1 vs $D2: $(echo "$ERR" | tail -2)"

check "skopeo inspect" skopeo inspect "oci:$T/out:0.1.0"
check "ward image verify (every blob, diff_id)" "$WARD" image verify "$T/out"
rm -rf "$T/bundle"
check "umoci unpack" umoci unpack --image "$T/out:0.1.0" "$T/bundle"
R=$T/bundle/rootfs
blas=$(readlink -f "$R/usr/lib/x86_64-linux-gnu/libblas.so.3" 2>/dev/null)
[ -L "$R/usr/lib/x86_64-linux-gnu/libblas.so.3" ] && [ -L "$R/usr/lib/x86_64-linux-gnu/liblapack.so.3" ] &&
	[ "$(readlink "$R/usr/lib/x86_64-linux-gnu/libblas.so.3")" = /etc/alternatives/libblas.so.3-x86_64-linux-gnu ] &&
	pass "update-alternatives: libblas.so.3 and liblapack.so.3 -> /etc/alternatives -> $(readlink "$R/etc/alternatives/libblas.so.3-x86_64-linux-gnu")" ||
	fail "BLAS alternatives: $blas"
[ ! -e "$R/bin/sh" ] && [ -z "$(find "$R" -perm /6000 -type f | head -1)" ] &&
	pass "no shell, no setuid file in the PyTorch image" || fail "distroless rules"
rm -rf "$T/bundle"

check "podman load" podman load -i "$T/torch.tar"
PORT=$(free_port)
check "podman run --read-only --cap-drop ALL --security-opt no-new-privileges" \
	podman run -d --name "$CNAME" --read-only --cap-drop ALL --security-opt no-new-privileges \
	-p "127.0.0.1:$PORT:8080" "$IMG_PREFIX-torch:0.1.0"
if wait_http "http://127.0.0.1:$PORT/healthz" 180; then
	curl -s -X POST --data-binary @"$WARD_SRC/examples/torch-serve/request.json" \
		"http://127.0.0.1:$PORT/predict" >"$T/answer.json"
	python3 - "$T/answer.json" "$WARD_SRC/examples/torch-serve/expected.json" <<'PY' &&
import json, math, sys
got, want = (json.load(open(f)) for f in sys.argv[1:3])
assert got["labels"] == want["labels"], (got["labels"], want["labels"])
for key in ("logits", "probabilities"):
    for a, b in zip(got[key], want[key]):
        assert len(a) == len(b) and all(math.isclose(x, y, abs_tol=1e-5) for x, y in zip(a, b)), key
assert got["torch_version"] == want["torch_version"]
print("labels", got["labels"])
PY
		pass "POST /predict: the container's answer equals expected.json (computed outside it)" ||
		fail "prediction differs: $(head -c 300 "$T/answer.json")"
else
	fail "the server did not answer: $(podman logs "$CNAME" 2>&1 | tail -5)"
fi
logs=$(podman logs "$CNAME" 2>&1)
grep -q '"event":"model_verified"' <<<"$logs" && pass "ward-init verified /models/mlp before starting the server" ||
	fail "no model_verified: $(echo "$logs" | head -3)"
podman rm -f "$CNAME" >/dev/null 2>&1

finish
