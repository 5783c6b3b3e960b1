#!/usr/bin/env bash
# The PyTorch example end to end (heavy: `make check-e2e`): ward release of
# examples/torch-serve (390 packages, ~1.5 GB) with the test matrix run in a
# hardened container (the example's GET /selftest/exec as the exec probe,
# POST /predict with request.json for latency), ward verify of the release,
# ward test passing every required check, and ward audit of a stock Debian
# 12 + python3-torch image (debootstrap, podman) against ward's: the stock
# image lists its shells, package managers and setuid files (find(1) is the
# oracle), ward's has none of the severe hardening findings.  Release times
# (first, then with the layer cache warm) are printed, not asserted.
. "$(dirname "$0")/../sh/lib.sh"
. "$(dirname "$0")/../sh/build_lib.sh"
. "$(dirname "$0")/../sh/release_lib.sh"
podman_setup
EX=$WARD_SRC/examples/torch-serve

P=$T/torch-serve
mkdir -p "$P"
cp -r "$EX/ward.yaml" "$EX/app" "$P/"
python3 "$EX/model/make_model.py" "$P/model/mlp" >/dev/null
check "ward lock (the machine's apt sources)" "$WARD" lock -f "$P/ward.yaml"
check "ward fetch" "$WARD" fetch -f "$P/ward.yaml" --jobs 8
"$WARD" keygen -o "$T/signing" >/dev/null 2>&1
check "db import of shared/vulndata" "$WARD" db import "$WARD_SHARED/vulndata/pypi" \
	"$WARD_SHARED/vulndata/debian-12" --db "$DB"

rel() {
	local t0 t1
	t0=$(date +%s.%N)
	run "$WARD" release -f "$P/ward.yaml" --key "$T/signing.key" --db "$DB" -o "$T/rel" --init "$WARD_INIT" \
		--exec-probe /selftest/exec --request /predict --request-body "$EX/request.json" "$@"
	t1=$(date +%s.%N)
	SECS=$(python3 -c "import sys; print('%.1f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$t0" "$t1")
}
rel
first=$SECS
[ "$RC" = 0 ] && pass "ward release torch-serve: $(tail -1 <<<"$OUT") in ${first}s" ||
	{ fail "ward release: $(tail -5 <<<"$ERR")"; finish; exit 1; }
rel
[ "$RC" = 0 ] && pass "again (warm layer cache): ${SECS}s (first ${first}s)" || fail "second release: $(tail -3 <<<"$ERR")"
check "ward verify of the release" "$WARD" verify "$T/rel" --key "$T/signing.pub"
run "$WARD" verify "$T/rel" --key "$T/signing.pub" --rebuild
[ "$RC" = 0 ] && grep -q "rebuilt bit for bit" <<<"$ERR" &&
	pass "ward verify --rebuild: the 1.5 GB image built again from its provenance, same digest" ||
	fail "--rebuild: $RC $(tail -3 <<<"$ERR")"
python3 - "$T/rel/artifacts/test-report.json" <<'PY' && pass "the release's test matrix: every required check passed, the container ran, the server refused to exec" || fail "test matrix"
import json, sys
r = json.load(open(sys.argv[1]))
c = {x["id"]: x for x in r["checks"]}
assert r["passed"] and r["runtime"], [x for x in r["checks"] if x["result"] == "fail"]
for k in ("security.exec-blocked", "security.exec-counted", "security.writes-blocked",
          "function.request-answered", "function.tampered-model-refused", "security.run-seccomp"):
    assert c[k]["result"] == "pass", (k, c[k])
print("  startup %.0f ms, first /predict %.1f ms, %d of %d passed" % (
    c["performance.startup-time"]["value"], c["performance.first-response"]["value"],
    r["summary"]["pass"], r["summary"]["checks"]))
PY

# the stock image: the root test_sbom_torch.sh caches, else built here
BASE=$CACHE/sbom-bookworm-torch
debootstrap_root "$BASE" python3-torch || { fail "debootstrap python3-torch"; finish; exit 1; }
tar -C "$BASE" -cf - . | podman import -q --change 'CMD ["/usr/bin/python3"]' - "$IMG_PREFIX-stock:1" >/dev/null &&
	podman save -q --format docker-archive -o "$T/stock.tar" "$IMG_PREFIX-stock:1" &&
	podman rmi -f "$IMG_PREFIX-stock:1" >/dev/null && pass "stock Debian 12 + python3-torch (debootstrap, podman)" ||
	fail "stock image"
run "$WARD" audit "$T/stock.tar" --db "$DB" --compare "$T/rel/image:0.1.0" -o "$T/cmp.json"
python3 - "$BASE" "$T/cmp.json" <<'PY' && pass "audit side by side: the stock image's shells, package managers and setuid files (= find); ward's: none severe" || fail "audit: $RC"
import json, os, subprocess, sys
root = sys.argv[1]; c = json.load(open(sys.argv[2]))
l, r = c["left"], c["right"]
f = {x["id"]: x for x in l["findings"]}
suid = sorted("/" + os.path.relpath(p, root) for p in subprocess.run(
    ["find", root, "-xdev", "-type", "f", "-perm", "-4000"], capture_output=True, text=True).stdout.split())
assert f["setuid"]["evidence"] == suid, (f["setuid"]["evidence"], suid)
assert "/usr/bin/bash" in f["shell"]["evidence"] and "/usr/bin/apt-get" in f["package-manager"]["evidence"]
severe = [x["id"] for x in r["findings"] if x["severity"] in ("critical", "high") and not x["id"].startswith("vulnerable-")]
assert not severe, severe
print("  stock %d (%s) -> ward %d (%s); sizes: stock %.0f MB, ward %.0f MB" % (
    l["score"], l["grade"], r["score"], r["grade"], l["sizes"]["total_bytes"] / 1e6, r["sizes"]["total_bytes"] / 1e6))
PY
check "ward report of the release" "$WARD" report "$T/rel" -o "$T/report.html" --key "$T/signing.pub"
finish
