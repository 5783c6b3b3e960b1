#!/usr/bin/env bash
# demo.sh: ward's main job, end to end, in out/demo/.
#   1. a signing key; the example model's weights (reproducible)
#   2. ward lock + ward fetch: examples/torch-serve's packages, pinned and verified
#   3. ward build: the distroless PyTorch image, model signed at build time
#   4. podman runs it hardened under ward-init; a prediction is checked
#      against the answer computed outside the container
#   5. model signatures: verify, and a tampered copy is refused
# WARD_CACHE sets the package/layer cache (default ~/.cache/ward); a second
# run reuses it and rebuilds in seconds.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
ward=${WARD:-$root/build/bin/ward}
init=${WARD_INIT:-$root/build/bin/ward-init}
out=$root/out/demo
example=$root/examples/torch-serve
name=localhost/ward-demo-torch-serve:0.1.0
container=ward-demo-torch-serve
export WARD_PASSWORD=${WARD_PASSWORD:-demo-password}

[ -x "$ward" ] || { echo "demo: $ward missing; run make first" >&2; exit 3; }
step() { printf '\n== %s\n' "$*"; }

# podman on these machines needs a containers.conf (docs: TESTING.md)
if [ -z "${CONTAINERS_CONF:-}" ]; then
	mkdir -p "$out"
	cat >"$out/containers.conf" <<'EOF'
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
[engine]
runtime = "runc"
EOF
	export CONTAINERS_CONF=$out/containers.conf
fi
podman rm -f "$container" >/dev/null 2>&1 || true
rm -rf "$out/torch-serve" "$out/image" "$out/image.tar" "$out/tampered" "$out/signing."*
mkdir -p "$out/torch-serve"
cp -r "$example/ward.yaml" "$example/app" "$out/torch-serve/"
trap 'podman rm -f "$container" >/dev/null 2>&1 || true' EXIT

step "ward keygen (cosign-compatible key pair)"
"$ward" keygen -o "$out/signing"

step "the example model: python3 model/make_model.py (same bytes on every machine)"
python3 "$example/model/make_model.py" "$out/torch-serve/model/mlp"
sha256sum "$out/torch-serve/model/mlp/"*

step "ward lock: resolve ward.yaml against the signed Debian indices"
"$ward" lock -f "$out/torch-serve/ward.yaml"

step "ward fetch: every locked .deb into the cache, checked by SHA-256"
"$ward" fetch -f "$out/torch-serve/ward.yaml" --jobs 8

step "ward build: offline, reproducible, distroless; the model signed at build time"
revision=()
rev=$(git -C "$root" rev-parse HEAD 2>/dev/null) && revision=(--annotation "org.opencontainers.image.revision=$rev")
digest=$("$ward" build -f "$out/torch-serve/ward.yaml" -o "$out/image" --tar "$out/image.tar" \
	--repo-tag "$name" --key "$out/signing.key" --init "$init" "${revision[@]}" | tail -1)
echo "image digest: $digest"

step "podman load + run: read-only root, no capabilities, no-new-privileges, ward-init as PID 1"
podman load -i "$out/image.tar"
podman run -d --name "$container" --read-only --cap-drop ALL --security-opt no-new-privileges \
	-p 127.0.0.1:18080:8080 "$name"
for _ in $(seq 1 240); do
	curl -sf http://127.0.0.1:18080/healthz >/dev/null 2>&1 && break
	sleep 0.5
done
podman logs "$container" 2>&1 | grep -E '"model_verified"|"hardened"|"server_started"' || true

step "POST /predict with request.json; compare with expected.json (computed outside the container)"
curl -sf -X POST --data-binary @"$example/request.json" http://127.0.0.1:18080/predict >"$out/answer.json"
python3 - "$out/answer.json" "$example/expected.json" <<'PY'
import json, math, sys
got, want = (json.load(open(f)) for f in sys.argv[1:3])
ok = got["labels"] == want["labels"] and all(
    math.isclose(x, y, abs_tol=1e-5)
    for k in ("logits", "probabilities") for a, b in zip(got[k], want[k]) for x, y in zip(a, b))
print("labels:", got["labels"], "torch", got["torch_version"])
print("prediction matches expected.json" if ok else "PREDICTION DIFFERS from expected.json")
sys.exit(0 if ok else 1)
PY

step "no shell in the image: podman exec /bin/sh is refused"
if podman exec "$container" /bin/sh -c true 2>/dev/null; then
	echo "demo: a shell ran in the image" >&2
	exit 1
fi
echo "refused, as it must be"
podman rm -f "$container" >/dev/null

step "ward model verify: the signature made at build time"
"$ward" model verify "$out/torch-serve/model/mlp" --key "$out/signing.pub"

step "a tampered copy is refused"
cp -r "$out/torch-serve/model/mlp" "$out/tampered"
printf '\x00' | dd of="$out/tampered/weights.bin" bs=1 seek=1000 conv=notrunc status=none
if "$ward" model verify "$out/tampered" --key "$out/signing.pub"; then
	echo "demo: tampered model was accepted" >&2
	exit 1
fi
echo "refused, as it must be (exit 1)"
