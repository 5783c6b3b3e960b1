#!/usr/bin/env bash
# ward test and ward audit on real images: the small ward image (released,
# so signed and attested) and a stock Debian 12 image made by debootstrap
# and podman (a shell, apt, setuid files).  Oracles: find(1) over the stock
# root filesystem (setuid/setgid files, shells, package managers), podman
# inspect and /proc for the running container, promtool for /metrics.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/build_lib.sh"
. "$(dirname "$0")/release_lib.sh"
podman_setup

release_setup || { fail "lock, fetch and the vulnerability store"; finish; exit 1; }
REL=$T/rel
release_small "$REL" --no-run
[ "$RC" = 0 ] && pass "ward release --no-run (a signed image to test)" || {
	fail "release: $(echo "$ERR" | tail -3)"
	finish
	exit 1
}
IMG=$REL/image:1

# ---- ward test on the ward image ------------------------------------------------
"$WARD" test "$IMG" --key "$T/signing.pub" --bundle "$REL/artifacts/attestations.jsonl" \
	--db "$DB" --vex "$REL/artifacts/vex.openvex.json" -o "$T/test.json" --junit "$T/test.xml" \
	--require-run --save-metrics "$T/metrics.txt" >"$T/test.out" 2>"$T/test.err" &
TPID=$!
wait "$TPID"
RC=$?
OUT=$(cat "$T/test.out")
ERR=$(cat "$T/test.err")
[ "$RC" = 0 ] && pass "ward test: every required check passes (exit 0)" ||
	fail "ward test (exit $RC): $(grep -E '^FAIL' <<<"$OUT" | head -5) $(tail -2 <<<"$ERR")"
python3 - "$T/test.json" "$T/test.xml" <<'PY' && pass ">= 80 named checks in three groups, the container ones ran; JSON and JUnit agree" || fail "test report shape"
import json, sys, xml.etree.ElementTree as ET
r = json.load(open(sys.argv[1]))
c = {x["id"]: x for x in r["checks"]}
assert len(c) >= 80 and r["runtime"] is True, (len(c), r["runtime_note"])
for must in ("function.container-starts", "function.health-endpoint", "function.tampered-model-refused",
             "function.model-verifies", "function.model-tamper-detected", "function.metrics-endpoint",
             "security.no-shell", "security.no-package-manager", "security.no-compiler",
             "security.no-debugger", "security.no-setuid", "security.no-setgid",
             "security.no-world-writable", "security.non-root-user", "function.sbom-complete",
             "security.signatures-verify", "security.vulnerabilities-vex", "security.run-non-root",
             "security.run-no-capabilities", "security.run-seccomp", "security.exec-blocked",
             "security.exec-counted", "security.writes-blocked", "security.podman-exec-shell",
             "security.run-not-privileged", "security.run-no-host-namespaces",
             "security.run-no-sensitive-mounts", "security.no-sudo", "security.no-empty-password",
             "security.unique-ids", "security.no-secrets-in-env", "security.no-sensitive-volumes"):
    assert c[must]["result"] == "pass", (must, c[must])
for m in ("performance.startup-time", "performance.first-response"):
    assert c[m]["unit"] == "ms" and c[m]["value"] > 0, c[m]
cases = ET.parse(sys.argv[2]).getroot().findall(".//testcase")
assert sorted(e.get("name") for e in cases) == sorted(c), "junit names"
PY
check "promtool accepts the /metrics ward test read" bash -c "promtool check metrics <'$T/metrics.txt'"
python3 - "$T/test.json" "$T/metrics.txt" <<'PY' && pass "ward's sample count = the samples in the saved text" || fail "metrics count"
import json, re, sys
c = {x["id"]: x for x in json.load(open(sys.argv[1]))["checks"]}
lines = [l for l in open(sys.argv[2]) if l.strip() and not l.startswith("#")]
assert c["function.metrics-endpoint"]["evidence"].startswith("%d samples" % len(lines)), (c["function.metrics-endpoint"], len(lines))
PY
python3 - "$T/test.json" <<'PY' && pass "the probe's exec attempts were refused by ward-init (EPERM), writes by the read-only root (EROFS)" || fail "probe evidence"
import json, sys
c = {x["id"]: x for x in json.load(open(sys.argv[1]))["checks"]}
ev = c["security.exec-blocked"]["evidence"]
assert "exec-shell blocked" in ev and "exec-interpreter blocked (EPERM)" in ev, ev
assert "write-root blocked (EROFS)" in c["security.writes-blocked"]["evidence"]
assert "denied" in c["security.exec-counted"]["evidence"]
PY
run "$WARD" test "$IMG" --no-run --json
[ "$RC" = 0 ] && python3 -c 'import json,sys; r=json.load(sys.stdin); assert r["runtime"] is False and any(c["result"]=="skip" and c["id"]=="function.container-starts" for c in r["checks"])' <<<"$OUT" &&
	pass "--no-run: the image checks only; container checks reported as skipped" || fail "--no-run: $RC $ERR"
run "$WARD" test "$IMG" --no-run --json --startup-max 1
[ "$RC" = 0 ] && pass "thresholds only apply to measurements that ran" || fail "threshold without a run: $RC"
[ -z "$(podman ps -a --format '{{.Names}}' --filter "name=^ward-check-$TPID-")" ] &&
	[ -z "$(podman images --format '{{.Repository}}' --filter "reference=localhost/ward-check-$TPID")" ] &&
	pass "no container or image of ward test is left behind" || fail "ward test left containers or images"

# ---- ward test on a stock image: it must fail, naming why ---------------------------
stock_image "$T/stock.tar" || { fail "debootstrap + podman: the stock image"; finish; exit 1; }
pass "a stock Debian 12 image (debootstrap minbase, podman import/save)"
run "$WARD" test "$T/stock.tar" --no-run --json
[ "$RC" = 1 ] && python3 -c '
import json, sys
c = {x["id"]: x for x in json.load(sys.stdin)["checks"]}
for k in ("security.no-shell", "security.no-package-manager", "security.no-setuid", "security.non-root-user",
          "function.entrypoint-ward-init"):
    assert c[k]["result"] == "fail", (k, c[k])
assert "/usr/bin/bash" in c["security.no-shell"]["evidence"]' <<<"$OUT" &&
	pass "ward test on the stock image: exit 1, no-shell / no-package-manager / no-setuid / non-root fail" ||
	fail "ward test on the stock image: exit $RC"

# ---- ward audit ---------------------------------------------------------------
check "ward audit of the stock image" "$WARD" audit "$T/stock.tar" --db "$DB" -o "$T/stock.json"
python3 - "$T/stock.json" "$STOCK_ROOT" <<'PY' && pass "stock audit = find(1): every setuid/setgid file, its shells and package managers, root user; score < 40" || fail "stock audit vs find"
import json, os, stat, subprocess, sys
a = json.load(open(sys.argv[1])); root = sys.argv[2]
f = {x["id"]: x for x in a["findings"]}
def find(perm):
    out = subprocess.run(["find", root, "-xdev", "-type", "f", "-perm", perm], capture_output=True, text=True).stdout
    return sorted("/" + os.path.relpath(p, root) for p in out.split())
suid, sgid = find("-4000"), find("-2000")
assert f["setuid"]["count"] == len(suid) and f["setuid"]["evidence"] == suid, (f["setuid"], suid)
assert f["setgid"]["count"] == len(sgid) and f["setgid"]["evidence"] == sgid, (f["setgid"], sgid)
for sh in ("/usr/bin/bash", "/usr/bin/dash", "/usr/bin/sh"):
    assert os.path.lexists(root + sh) and sh in f["shell"]["evidence"], sh
for pm in ("/usr/bin/apt-get", "/usr/bin/dpkg"):
    assert os.path.exists(root + pm) and pm in f["package-manager"]["evidence"], pm
assert f["root-user"]["severity"] == "high" and "no-healthcheck" in f
assert f["shell"]["severity"] == "critical" and f["shell"]["explanation"].count("\n") == 0
assert a["score"] < 40 and a["grade"] in "DF", a["score"]
assert a["vulnerabilities"]["scanned"] is True
total = sum(c["bytes"] for c in a["sizes"]["categories"])
assert total == a["sizes"]["total_bytes"] and a["sizes"]["categories"][3]["category"] == "python"
PY
check "ward audit of the released ward image" "$WARD" audit "$IMG" -o "$T/ward.json"
python3 - "$T/ward.json" <<'PY' && pass "ward image audit: none of the severe (critical/high) hardening findings; score >= 90" || fail "ward image audit"
import json, sys
a = json.load(open(sys.argv[1]))
severe = [x["id"] for x in a["findings"] if x["severity"] in ("critical", "high")]
assert not severe, severe
assert a["score"] >= 90 and a["ward_image"] is True, (a["score"], a["ward_image"])
PY
expect_err 1 "critical finding" "--fail-on high: exit 1 on the stock image" "$WARD" audit "$T/stock.tar" --fail-on high
expect 0 "--fail-on high: exit 0 on the ward image" "$WARD" audit "$IMG" --fail-on high
check "ward audit of an unpacked root filesystem (the same stock root)" "$WARD" audit "$STOCK_ROOT" -o "$T/dir.json"
python3 -c '
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
fa = {x["id"]: x["evidence"] for x in a["findings"]}
fb = {x["id"]: x["evidence"] for x in b["findings"]}
for k in ("shell", "package-manager", "setuid", "setgid"):
    assert fa[k] == fb[k], k' "$T/stock.json" "$T/dir.json" &&
	pass "the directory and the docker-archive give the same file findings" || fail "dir vs archive"
run "$WARD" audit "$T/stock.tar" --compare "$P/ward.yaml" --key "$T/signing.key" --json
[ "$RC" = 0 ] && python3 -c '
import json, sys
c = json.load(sys.stdin)
assert c["comparison"] and c["score_difference"] > 50, c["score_difference"]
r = {x["id"]: x for x in c["rules"]}
assert r["shell"]["left"] >= 3 and r["shell"]["right"] == 0 and r["setuid"]["right"] == 0' <<<"$OUT" &&
	pass "--compare ward.yaml: the ward rebuild side by side (shells, setuid: 0; score up)" ||
	fail "--compare: $RC $(tail -2 <<<"$ERR")"
expect_err 2 "no such" "audit of a missing image: exit 2" "$WARD" audit "$T/nothing.tar"
expect_err 2 "--min-score 101" "--min-score outside 0..100: usage error" "$WARD" audit "$T/stock.tar" --min-score 101
expect_err 2 "--startup-max 5ms" "--startup-max must be a number" "$WARD" test "$T/stock.tar" --startup-max 5ms
expect_err 2 "--startup-timeout 0" "--startup-timeout must be at least 1" "$WARD" test "$T/stock.tar" --startup-timeout 0
finish
