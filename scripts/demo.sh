#!/usr/bin/env bash
# demo.sh: ward's main job, end to end, in out/demo/.
#   1. a signing key; the example model's weights (reproducible); the
#      vulnerability store from the vendored OSV records
#   2. ward lock + ward fetch: examples/torch-serve's packages, pinned and verified
#   3. ward release: build the distroless PyTorch image (model signed at build
#      time), make the 11 artifacts, run the test matrix in a hardened
#      container, sign and attach everything -- in one step
#   4. ward verify: the release, every artifact, with the public key; then
#      --rebuild: the image built again from its provenance, same digest
#   5. podman runs it (the line ward deploy writes) under ward-init; a
#      prediction is checked against the answer computed outside the container
#   6. the server is asked to run a shell (GET /selftest/exec): refused, and
#      the refusal shows in ward-init's /metrics
#   7. ward report: one static HTML page for the release (path printed)
#   8. model signatures: verify, and a tampered copy is refused
# WARD_CACHE sets the package/layer cache (default ~/.cache/ward); a second
# run reuses it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
ward=${WARD:-$root/build/bin/ward}
init=${WARD_INIT:-$root/build/bin/ward-init}
out=$root/out/demo
example=$root/examples/torch-serve
name=localhost/ward-demo-torch-serve:0.1.0
container=ward-demo-torch-serve
port=18080
export WARD_PASSWORD=${WARD_PASSWORD:-demo-password}
shared=$root/../shared
[ -d "$shared/vulndata" ] || shared=$root/tests/data/shared

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
rm -rf "$out/torch-serve" "$out/tampered" "$out/signing."* "$out/vulns" "$out/report.html"
mkdir -p "$out/torch-serve"
cp -r "$example/ward.yaml" "$example/app" "$out/torch-serve/"
trap 'podman rm -f "$container" >/dev/null 2>&1 || true' EXIT

step "ward keygen (cosign-compatible key pair)"
"$ward" keygen -o "$out/signing"

step "the example model: python3 model/make_model.py (same bytes on every machine)"
python3 "$example/model/make_model.py" "$out/torch-serve/model/mlp"
sha256sum "$out/torch-serve/model/mlp/"*

step "ward db import: the offline vulnerability store (OSV records of Debian 12 and PyPI)"
"$ward" db import "$shared/vulndata/debian-12" "$shared/vulndata/pypi" --db "$out/vulns"

step "ward lock: resolve ward.yaml against the signed Debian indices"
"$ward" lock -f "$out/torch-serve/ward.yaml"

step "ward fetch: every locked .deb into the cache, checked by SHA-256"
"$ward" fetch -f "$out/torch-serve/ward.yaml" --jobs 8

step "ward release: build + SBOMs, provenance, build log, tests, vulnerabilities, VEX, signatures"
digest=$("$ward" release -f "$out/torch-serve/ward.yaml" --key "$out/signing.key" --db "$out/vulns" \
	-o "$out/release" --tar --repo-tag "$name" --init "$init" \
	--exec-probe /selftest/exec --request /predict --request-body "$example/request.json" | tail -1)
echo "image digest: $digest"
ls "$out/release" "$out/release/artifacts"
python3 - "$out/release/artifacts/test-report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
s = r["summary"]
print("test matrix: %d checks, %d passed, %d failed, %d warnings, %d skipped (container run: %s)"
      % (s["checks"], s["pass"], s["fail"], s["warn"], s["skip"], r["runtime"]))
for c in r["checks"]:
    if c["id"] in ("performance.startup-time", "performance.first-response", "security.exec-blocked",
                   "function.tampered-model-refused"):
        print("  %-34s %-4s %s" % (c["id"], c["result"], c["evidence"]))
PY

step "ward verify: the release -- image, signatures, 10 attestations, every artifact file"
"$ward" verify "$out/release" --key "$out/signing.pub" 2>&1 | tail -4

step "ward verify --rebuild: build it again from the provenance's inputs (offline, no layer cache)"
"$ward" verify "$out/release" --key "$out/signing.pub" --rebuild 2>&1 | grep -E 'rebuild:|verified release'

step "podman load + the run line ward deploy writes: read-only, no capabilities, ward's seccomp profile"
podman load -i "$out/release/image.tar"
"$ward" deploy podman "$out/release/image:0.1.0" --name "$container" --publish "$port:8080" \
	--seccomp "$out/seccomp.json" -o "$out/run.sh"
cat "$out/run.sh"
bash "$out/run.sh" >/dev/null
for _ in $(seq 1 240); do
	curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
	sleep 0.5
done
podman logs "$container" 2>&1 | grep -E '"model_verified"|"hardened"|"server_started"' || true

step "POST /predict with request.json; compare with expected.json (computed outside the container)"
curl -sf -X POST --data-binary @"$example/request.json" "http://127.0.0.1:$port/predict" >"$out/answer.json"
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

step "a shell from inside the server (GET /selftest/exec), and what ward-init's /metrics says"
curl -sf "http://127.0.0.1:$port/selftest/exec"
pid=$(podman inspect -f '{{.State.Pid}}' "$container")
# /metrics is bound to the container's loopback (the policy): read it from
# inside its network namespace (root, as this demo runs)
nsenter -t "$pid" -n curl -sf http://127.0.0.1:9090/metrics >"$out/metrics.txt"
grep -E '^ward_exec_attempts_total|^ward_hardening_enabled|^ward_model_verified' "$out/metrics.txt"
if ! grep -qE '^ward_exec_attempts_total\{.*result="denied"\} [1-9]' "$out/metrics.txt"; then
	echo "demo: no denied exec in /metrics" >&2
	exit 1
fi
if podman exec "$container" /bin/sh -c true 2>/dev/null; then
	echo "demo: a shell ran in the image" >&2
	exit 1
fi
echo "podman exec /bin/sh: refused too (there is no shell in the image)"
podman rm -f "$container" >/dev/null

step "ward audit: the released image's hardening score"
"$ward" audit "$out/release/image:0.1.0" --db "$out/vulns" | sed -n '1,12p'

step "ward report: one static HTML page (no script, no network)"
report=$("$ward" report "$out/release" -o "$out/report.html" --key "$out/signing.pub" | tail -1)
echo "open $report"

step "ward model verify: the signature made at build time"
"$ward" model verify "$out/torch-serve/model/mlp" --key "$out/signing.pub"

step "a tampered copy is refused"
cp -r "$out/torch-serve/model/mlp" "$out/tampered"
python3 -c "import sys; f=open(sys.argv[1],'r+b'); f.seek(1000); b=f.read(1); f.seek(1000); f.write(bytes([b[0]^1]))" \
	"$out/tampered/weights.bin"  # one bit flipped (a written 0x00 could equal the old byte)
if "$ward" model verify "$out/tampered" --key "$out/signing.pub"; then
	echo "demo: tampered model was accepted" >&2
	exit 1
fi
echo "refused, as it must be (exit 1)"
echo
echo "report: $report"
