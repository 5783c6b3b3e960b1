#!/usr/bin/env bash
# The Debian 13 example end to end (heavy: `make check-e2e`):
# examples/onnx-serve (trixie, python3-onnxruntime) locked from per-suite
# mirrors (the main archive and the security archive are different trees),
# released with the test matrix, verified, rebuilt from its provenance to
# the same digest, and run under the podman line `ward deploy` writes; its
# predictions must equal expected.json.  The model and expected.json are
# computed OUTSIDE the image, in a Debian 13 root made by debootstrap
# (examples/onnx-serve/make_expected.sh), and must equal the checked-in
# files: the model is reproducible and the answer is onnxruntime's.
. "$(dirname "$0")/../sh/lib.sh"
. "$(dirname "$0")/../sh/build_lib.sh"
. "$(dirname "$0")/../sh/release_lib.sh"
CACHE=${WARD_E2E_CACHE:-$CACHE}
export WARD_CACHE=$CACHE
podman_setup
EX=$WARD_SRC/examples/onnx-serve
CNAME=ward-test-onnx-$$
LOCAL=localhost/ward-test-onnx-$$:0.1.0
trap 'podman rm -f "$CNAME" >/dev/null 2>&1; podman rmi -f "$LOCAL" >/dev/null 2>&1; chmod -R u+w "$T" 2>/dev/null; rm -rf "$T"' EXIT

# Where the machine's apt sources find Debian and its security archive.
read -r MAIN SECURITY < <(python3 - <<'PY'
import glob, re
main = sec = ""
for path in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
    for stanza in open(path).read().split("\n\n"):
        f = dict(re.findall(r"^([A-Za-z-]+):\s*(.*)$", stanza, re.M))
        suites = f.get("Suites", "").split()
        if "deb" in f.get("Types", "").split():
            if "bookworm" in suites and not main: main = f["URIs"].split()[0]
            if "bookworm-security" in suites and not sec: sec = f["URIs"].split()[0]
for path in ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*.list")):
    try:
        for line in open(path):
            m = re.match(r"^deb\s+(?:\[[^]]*\]\s+)?(\S+)\s+(\S+)\s", line)
            if m and m.group(2) == "bookworm" and not main: main = m.group(1)
            if m and m.group(2) == "bookworm-security" and not sec: sec = m.group(1)
    except FileNotFoundError:
        pass
print(main or "-", sec or "-")
PY
)
[ "$MAIN" != - ] && [ "$SECURITY" != - ] ||
	{ fail "no Debian and Debian security mirror in the apt sources"; finish; exit 1; }

# ---- the reference: a Debian 13 root made by debootstrap, not by ward ------
ROOT=$CACHE/trixie-onnx-root
(
	flock 9
	[ -f "$ROOT.ok" ] && exit 0
	rm -rf "$ROOT"
	debootstrap --variant=minbase --include=python3-onnxruntime,python3-onnx,python3-numpy,libre2-11 \
		trixie "$ROOT" "$MAIN" >"$ROOT.log" 2>&1 || { tail -3 "$ROOT.log" >&2; exit 1; }
	rm -f "$ROOT"/var/cache/apt/archives/*.deb
	touch "$ROOT.ok"
) 9>"$ROOT.lock" || { fail "debootstrap trixie with python3-onnxruntime"; finish; exit 1; }
check "make_expected.sh: the model and the answer, computed in the debootstrap root" \
	bash "$EX/make_expected.sh" "$ROOT" "$T/ref"
for f in request.json expected.json; do
	cmp -s "$T/ref/$f" "$EX/$f" && pass "examples/onnx-serve/$f is what Debian 13's onnxruntime computes" ||
		fail "$f differs from the checked-in one: $(diff "$T/ref/$f" "$EX/$f" | head -5)"
done
check "make_expected.sh again" bash "$EX/make_expected.sh" "$ROOT" "$T/ref2"
cmp -s "$T/ref/model/classifier/model.onnx" "$T/ref2/model/classifier/model.onnx" &&
	pass "make_model.py is reproducible ($(sha256sum <"$T/ref/model/classifier/model.onnx" | cut -c1-16)...)" ||
	fail "two runs of make_model.py wrote different models"

# ---- lock, fetch, release, verify, rebuild ---------------------------------
P=$T/onnx-serve
mkdir -p "$P"
cp -r "$EX/ward.yaml" "$EX/app" "$P/"
cp -r "$T/ref/model" "$P/"
export WARD_MIRROR="$MAIN *-security=$SECURITY"
check "ward lock (trixie, per-suite mirrors: $WARD_MIRROR)" "$WARD" lock -f "$P/ward.yaml"
python3 - "$P/ward.lock" <<'PY' && pass "the lock: trixie and trixie-security indices, onnxruntime 1.21, Python 3.13, t64 libraries" || fail "ward.lock: $(head -c 300 "$P/ward.lock")"
import json, sys
l = json.load(open(sys.argv[1]))
suites = {x["suite"] for x in l["indices"]}
assert {"trixie", "trixie-security"} <= suites, suites
p = {x["name"]: x["version"] for x in l["packages"]}
assert p["python3-onnxruntime"].startswith("1.21"), p["python3-onnxruntime"]
assert "python3.13-minimal" in p and "python3.11-minimal" not in p
assert any(n.endswith("t64") for n in p), "no t64 library"
assert not any(n in p for n in ("bash", "dash", "dpkg", "apt")), "forbidden package"
PY
check "ward fetch" "$WARD" fetch -f "$P/ward.yaml" --jobs 8
"$WARD" keygen -o "$T/signing" >/dev/null 2>&1
check "db import of shared/vulndata" "$WARD" db import "$WARD_SHARED/vulndata/pypi" \
	"$WARD_SHARED/vulndata/debian-12" --db "$DB"
run "$WARD" release -f "$P/ward.yaml" --key "$T/signing.key" --db "$DB" -o "$T/rel" --init "$WARD_INIT" \
	--request /predict --request-body "$EX/request.json"
[ "$RC" = 0 ] && pass "ward release onnx-serve: $(tail -1 <<<"$OUT")" ||
	{ fail "ward release: $(tail -5 <<<"$ERR")"; finish; exit 1; }
check "ward verify of the release" "$WARD" verify "$T/rel" --key "$T/signing.pub"
run "$WARD" verify "$T/rel" --key "$T/signing.pub" --rebuild
[ "$RC" = 0 ] && grep -q "rebuilt bit for bit" <<<"$ERR" &&
	pass "ward verify --rebuild: the Debian 13 image built again from its provenance, same digest" ||
	fail "--rebuild: $RC $(tail -3 <<<"$ERR")"
python3 - "$T/rel/artifacts/test-report.json" <<'PY' && pass "the release's test matrix passed, the container answered /predict" || fail "test matrix"
import json, sys
r = json.load(open(sys.argv[1]))
c = {x["id"]: x for x in r["checks"]}
assert r["passed"] and r["runtime"], [x for x in r["checks"] if x["result"] == "fail"]
assert c["function.request-answered"]["result"] == "pass", c["function.request-answered"]
PY

# ---- the deploy line runs it and it answers like onnxruntime outside ---------
IMG=$T/rel/image
check "skopeo copy into podman's storage" skopeo copy -q "oci:${IMG}:0.1.0" "containers-storage:$LOCAL"
PORT=$(free_port)
run "$WARD" deploy podman "$IMG" --name "$CNAME" --seccomp "$T/seccomp.json" --publish "$PORT:8080"
CMD=$OUT
[ "$RC" = 0 ] && pass "ward deploy podman" || fail "ward deploy podman (exit $RC): $ERR"
echo "    $CMD"
for flag in "--read-only" "--cap-drop ALL" "--security-opt no-new-privileges" "--user 65532:65532"; do
	grep -qF -- " $flag" <<<"$CMD" || fail "the command lacks $flag"
done
run eval "$CMD"
[ "$RC" = 0 ] && pass "the command starts the container" || fail "podman run (exit $RC): $(echo "$ERR" | tail -3)"
if wait_http "http://127.0.0.1:$PORT/healthz" 180; then
	curl -s -X POST --data-binary @"$EX/request.json" "http://127.0.0.1:$PORT/predict" >"$T/answer.json"
	python3 - "$T/answer.json" "$EX/expected.json" <<'PY' &&
import json, math, sys
got, want = (json.load(open(f)) for f in sys.argv[1:3])
assert got["labels"] == want["labels"], (got["labels"], want["labels"])
for a, b in zip(got["probabilities"], want["probabilities"]):
    assert len(a) == len(b) and all(math.isclose(x, y, abs_tol=1e-5) for x, y in zip(a, b))
print("    labels", got["labels"])
PY
		pass "it serves predictions: POST /predict equals expected.json" ||
		fail "prediction differs: $(head -c 300 "$T/answer.json")"
else
	fail "the server did not answer: $(podman logs "$CNAME" 2>&1 | tail -5)"
fi
logs=$(podman logs "$CNAME" 2>&1)
grep -q '"event":"model_verified"' <<<"$logs" && grep -q '"event":"hardened"' <<<"$logs" &&
	pass "ward-init verified the model and hardened before onnxruntime started" ||
	fail "ward-init log: $(echo "$logs" | head -3)"

finish
