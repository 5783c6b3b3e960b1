#!/usr/bin/env bash
# ward deploy on the PyTorch example (examples/torch-serve): the podman
# command it writes — read-only root, no capabilities, no-new-privileges,
# ward's seccomp profile, a noexec tmpfs for /tmp — runs the image here and
# it serves predictions equal to expected.json (computed outside the
# container); podman inspect shows the hardening; the Kubernetes documents
# for the same image validate and pass the restricted Pod Security Standard.
#
# The image is built here (ward lock/fetch/build, as tests/e2e/
# test_build_torch.sh does), or taken from WARD_TORCH_IMAGE=LAYOUT[:TAG]
# when an example image was already built.
. "$(dirname "$0")/../sh/lib.sh"
. "$(dirname "$0")/../sh/build_lib.sh"
CACHE=${WARD_E2E_CACHE:-$CACHE}
export WARD_CACHE=$CACHE
podman_setup
CNAME=ward-test-deploy-torch-$$
LOCAL=localhost/ward-test-deploy-torch-$$:0.1.0
trap 'podman rm -f "$CNAME" >/dev/null 2>&1; podman rmi -f "$LOCAL" >/dev/null 2>&1; chmod -R u+w "$T" 2>/dev/null; rm -rf "$T"' EXIT
K8S_CHECK=$WARD_SRC/tests/py/k8s_check.py

if [ -n "${WARD_TORCH_IMAGE:-}" ]; then
	IMG=$WARD_TORCH_IMAGE
	pass "using the example image $IMG"
else
	P=$T/torch-serve
	mkdir -p "$P/model"
	cp -r "$WARD_SRC/examples/torch-serve/ward.yaml" "$WARD_SRC/examples/torch-serve/app" "$P/"
	check "model/make_model.py writes the weights" python3 "$WARD_SRC/examples/torch-serve/model/make_model.py" "$P/model/mlp"
	check "ward lock (apt lists)" "$WARD" lock -f "$P/ward.yaml" --offline
	check "ward fetch" "$WARD" fetch -f "$P/ward.yaml" --jobs 8
	"$WARD" keygen -o "$T/signing" 2>/dev/null
	run "$WARD" build -f "$P/ward.yaml" -o "$T/out" --key "$T/signing.key" --init "$WARD_INIT"
	[ "$RC" = 0 ] && pass "ward build torch-serve" ||
		{ fail "ward build (exit $RC): $(echo "$ERR" | tail -5)"; finish; exit 1; }
	IMG=$T/out
fi
check "skopeo copy into podman's storage" skopeo copy -q "oci:${IMG}" "containers-storage:$LOCAL"

# ---- the generated podman command runs it and it serves ---------------------
PORT=$(free_port)
run "$WARD" deploy podman "$IMG" --name "$CNAME" --seccomp "$T/seccomp.json" --publish "$PORT:8080"
CMD=$OUT
[ "$RC" = 0 ] && pass "ward deploy podman" || fail "ward deploy podman (exit $RC): $ERR"
echo "    $CMD"
for flag in "--read-only" "--cap-drop ALL" "--security-opt no-new-privileges" \
	"--security-opt seccomp=$T/seccomp.json" "--user 65532:65532" \
	"--tmpfs /tmp:rw,noexec,nosuid,nodev,size=64m"; do
	grep -qF -- " $flag" <<<"$CMD" || fail "the command lacks $flag"
done
run eval "$CMD"
[ "$RC" = 0 ] && pass "the command starts the container" || fail "podman run (exit $RC): $(echo "$ERR" | tail -3)"
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
print("    labels", got["labels"])
PY
		pass "it serves predictions: POST /predict equals expected.json" ||
		fail "prediction differs: $(head -c 300 "$T/answer.json")"
else
	fail "the server did not answer: $(podman logs "$CNAME" 2>&1 | tail -5)"
fi
logs=$(podman logs "$CNAME" 2>&1)
grep -q '"event":"model_verified"' <<<"$logs" && grep -q '"event":"hardened"' <<<"$logs" &&
	grep -q '"seccomp":true' <<<"$logs" &&
	pass "ward-init verified the model, hardened (its own seccomp filter under ward's profile) and started python" ||
	fail "ward-init log: $(echo "$logs" | head -3)"
podman inspect "$CNAME" >"$T/inspect.json" 2>/dev/null
python3 - "$T/inspect.json" "$T/seccomp.json" <<'PY' && pass "podman inspect: read-only, no capabilities, no-new-privileges, ward's seccomp profile, nonroot" || fail "podman inspect disagrees"
import json, sys
c = json.load(open(sys.argv[1]))[0]
h = c["HostConfig"]
assert h["ReadonlyRootfs"] is True
assert "no-new-privileges" in h["SecurityOpt"] and "seccomp=" + sys.argv[2] in h["SecurityOpt"]
assert len(h["CapDrop"]) >= 10 and not h["CapAdd"]
assert c["Config"]["User"] == "65532:65532"
assert set(h["Tmpfs"]) == {"/tmp"}
PY
podman rm -f "$CNAME" >/dev/null 2>&1

# ---- Kubernetes for the same image -------------------------------------------
run "$WARD" deploy k8s "$IMG" --ref registry.example/ai/torch-serve --deny-egress -o "$T/k8s.yaml"
[ "$RC" = 0 ] && pass "ward deploy k8s" || fail "ward deploy k8s (exit $RC): $ERR"
check "its documents validate against the Kubernetes schemas" python3 "$K8S_CHECK" schema "$T/k8s.yaml"
check "and pass the restricted Pod Security Standard" python3 "$K8S_CHECK" pss "$T/k8s.yaml"

finish
