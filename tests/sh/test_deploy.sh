#!/usr/bin/env bash
# ward deploy: the podman command it writes runs a ward image here (read-only,
# no capabilities, ward's seccomp profile, tmpfs, a read-only model volume)
# and serves; podman itself reports the hardening; the profile denies what it
# should in the kernel; the Kubernetes documents validate against the
# Kubernetes and CRD schemas and pass the restricted Pod Security Standard;
# bad input is refused.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/deploy_lib.sh"
K8S_CHECK=$WARD_SRC/tests/py/k8s_check.py

if ! deploy_build_image; then
	fail "test image could not be built"
	finish
	exit 1
fi
pass "test image built and loaded into podman"
IMG=$T/img
DIGEST=$(skopeo inspect "oci:$T/img:latest" --format '{{.Digest}}' 2>/dev/null)
CONFIG_ID=$(podman image inspect "$DEPLOY_IMAGE" --format '{{.Id}}' 2>/dev/null)

# ---- podman: the generated command runs the image and it serves ------------
NAME=ward-test-deploy-$$
DEPLOY_CONTAINERS+=("$NAME")
HP=$(free_port)
MP=$(free_port)
mkdir -p "$T/prof dir"
expect 0 "ward deploy podman writes a command" \
	"$WARD" deploy podman "$IMG" --name "$NAME" --seccomp "$T/prof dir/it's.json" \
	--model "/models/m=$T/model" --publish "$HP:8080" --publish "$MP:9090" --cpus 1
CMD=$OUT
echo "    $CMD"
run "$WARD" deploy podman "$IMG" --name "$NAME" --seccomp "$T/prof dir/it's.json" \
	--model "/models/m=$T/model" --publish "$HP:8080" --publish "$MP:9090" --cpus 1 --json
echo "$OUT" >"$T/run.json"
# The shell reads the line back as exactly the argv of --json.
eval "set -- $CMD"
python3 - "$T/run.json" "$@" <<'PY' && pass "the command line is shell-safe (eval gives --json's argv)" || fail "shell quoting"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["argv"] == sys.argv[2:], (j["argv"], sys.argv[2:])
assert j["seccomp"].endswith("/prof dir/it's.json")
PY
[ "$(echo "$OUT" | python3 -c 'import json,sys; print(json.load(sys.stdin)["image"])')" = "sha256:$CONFIG_ID" ] &&
	pass "without --ref the image is run by its ID (what podman load/skopeo copy give)" ||
	fail "image reference is not the config digest $CONFIG_ID"
[ -s "$T/prof dir/it's.json" ] && pass "the seccomp profile was written beside" || fail "no profile file"

run eval "$CMD"
if [ "$RC" = 0 ] && wait_http "http://127.0.0.1:$HP/" 30; then
	pass "the container runs"
else
	fail "the container does not serve (exit $RC): $(echo "$ERR" | tail -3); $(podman logs "$NAME" 2>&1 | tail -5)"
fi
ANSWER=$(curl -s "http://127.0.0.1:$HP/predict")
echo "    $ANSWER"
python3 - "$ANSWER" <<'PY' && pass "it serves predictions as uid 65532, model mounted read-only, only declared paths writable" || fail "answer: $ANSWER"
import errno, json, sys
a = json.loads(sys.argv[1])
assert a["prediction"] == 42 and a["uid"] == 65532, a
assert a["model_bytes"] == 4096, a                      # the signed model is mounted
assert a["tmp_write"] == 0 and a["cache_write"] == 0, a  # writable tmpfs
assert a["model_write"] in (errno.EROFS, errno.EACCES), a
assert a["root_write"] in (errno.EROFS, errno.EACCES), a
PY
curl -sf "http://127.0.0.1:$MP/healthz" >/dev/null && pass "ward-init's /healthz answers on the published metrics port" ||
	fail "no /healthz"
if command -v promtool >/dev/null; then
	curl -s "http://127.0.0.1:$MP/metrics" | promtool check metrics >/dev/null 2>&1 &&
		pass "its /metrics pass promtool" || fail "promtool rejects /metrics"
fi
grep -q '"event":"hardened"' <<<"$(podman logs "$NAME" 2>&1)" && pass "ward-init hardened and started the server (models verified)" ||
	fail "ward-init log: $(podman logs "$NAME" 2>&1 | tail -3)"

# podman's own record of the container is the oracle for the hardening.
podman inspect "$NAME" >"$T/inspect.json" 2>/dev/null
python3 - "$T/inspect.json" "$T/prof dir/it's.json" <<'PY' && pass "podman inspect: read-only root, no capabilities, no-new-privileges, seccomp, user, tmpfs, limits" || fail "podman inspect disagrees"
import json, sys
c = json.load(open(sys.argv[1]))[0]
h = c["HostConfig"]
def need(cond, what):
    if not cond:
        sys.exit("%s: %s" % (what, json.dumps(h)[:3000]))
need(h["ReadonlyRootfs"] is True, "ReadonlyRootfs")
need(not c.get("EffectiveCaps") and not c["State"].get("EffectiveCaps"), "EffectiveCaps")
need(len(h["CapDrop"]) >= 10, "CapDrop")
need("no-new-privileges" in h["SecurityOpt"], "no-new-privileges")
need("seccomp=" + sys.argv[2] in h["SecurityOpt"], "seccomp profile")
need(c["Config"]["User"] == "65532:65532", "user")
need(h["Memory"] == 256 << 20 and h["MemorySwap"] == 256 << 20, "memory from the label")
need(h["PidsLimit"] == 64, "pids from the label")
need(h["NanoCpus"] == 10**9, "cpus")
tmpfs = h.get("Tmpfs") or {}
for p in ("/tmp", "/var/cache/app"):
    opts = tmpfs.get(p, "")
    need(all(o in opts.split(",") for o in ("noexec", "nosuid", "nodev", "size=64m")), "tmpfs " + p)
need(set(tmpfs) == {"/tmp", "/var/cache/app"}, "no other tmpfs (--read-only-tmpfs=false)")
model = [m for m in c["Mounts"] if m["Destination"] == "/models/m"]
need(len(model) == 1 and model[0]["RW"] is False, "model mount read-only")
PY
podman rm -f "$NAME" >/dev/null 2>&1

# ---- seccomp: the kernel denies what the profile denies --------------------
probe() { # probe SECURITY-OPT...: the probe's "name errno" lines
	podman run --rm --read-only --cap-drop ALL --security-opt no-new-privileges "$@" \
		--user 65532:65532 --entrypoint /srv/probe "$CONFIG_ID" 2>/dev/null
}
WARD_RES=$(probe --security-opt "seccomp=$T/prof dir/it's.json")
BASE_RES=$(probe)
echo "    ward:    $(echo $WARD_RES)"
echo "    default: $(echo $BASE_RES)"
python3 - "$WARD_RES" "$BASE_RES" <<'PY' && pass "the profile denies ptrace, keyctl, user namespaces, dumpable, ASLR-off, packet sockets (podman's default lets most through)" || fail "probe results"
import errno, sys
def parse(s):
    return {l.split()[0]: int(l.split()[1]) for l in s.splitlines() if l.strip()}
w, d = parse(sys.argv[1]), parse(sys.argv[2])
assert len(w) == 11 and len(d) == 11, (w, d)
for ok in ("getpid", "socket_inet_stream", "prctl_dumpable_0", "personality_query"):
    assert w[ok] == 0, (ok, w)
for denied in ("prctl_dumpable_1", "personality_no_aslr", "keyctl", "unshare_newuser",
               "ptrace_traceme", "socket_packet"):
    assert w[denied] == errno.EPERM, (denied, w)
assert w["clone3"] == errno.ENOSYS, w
# Under podman's default profile these go through: the denial is the profile's.
for name in ("prctl_dumpable_1", "keyctl", "ptrace_traceme"):
    assert d[name] != errno.EPERM, (name, d)
PY

# The profile: an allow list within podman's default (plus three newer calls
# podman's list predates), none of ward-init's denials allowed.
"$WARD" deploy seccomp "$IMG" -o "$T/seccomp.json" 2>/dev/null
cmp -s "$T/seccomp.json" "$T/prof dir/it's.json" && pass "deploy seccomp writes the profile deploy podman uses" ||
	fail "two different profiles"
"$WARD_INIT" --print-seccomp-profile >"$T/init-seccomp.json"
python3 - "$T/seccomp.json" "$T/init-seccomp.json" /usr/share/containers/seccomp.json <<'PY' && pass "profile: allow list within podman's default; ward-init's denials all denied" || fail "profile contents"
import json, os, sys
w = json.load(open(sys.argv[1]))
init = json.load(open(sys.argv[2]))
assert w["defaultAction"] == "SCMP_ACT_ERRNO" and w["defaultErrnoRet"] == 1
allowed = set(n for r in w["syscalls"] if r["action"] == "SCMP_ACT_ALLOW" and not r.get("args")
              for n in r["names"])
denied = set(n for r in init["syscalls"] if not r.get("args") for n in r["names"])
assert not (allowed & denied), allowed & denied
if os.path.exists(sys.argv[3]):
    pd = json.load(open(sys.argv[3]))
    pallow = set()
    for r in pd["syscalls"]:
        inc = r.get("includes") or {}
        if r["action"] == "SCMP_ACT_ALLOW" and not r.get("args") and not inc.get("caps") \
                and (not inc.get("arches") or "amd64" in inc["arches"]):
            pallow |= set(r["names"])
    extra = allowed - pallow
    assert extra <= {"fchmodat2", "futex_waitv", "map_shadow_stack"}, extra
PY

# ---- docker: the same hardening in docker's words --------------------------
run "$WARD" deploy docker "$IMG" --name "$NAME" --no-seccomp --model "/models/m=$T/model" \
	--ref registry.example/ai/deploy-test --json
python3 - "$OUT" "$T/model" "$DIGEST" <<'PY' && pass "docker: --mount for the model, no podman-only flags, image by digest" || fail "docker argv: $OUT"
import json, sys
j = json.loads(sys.argv[1])
a = j["argv"]
assert a[:3] == ["docker", "run", "--detach"], a
assert "--read-only-tmpfs=false" not in a and "--security-opt" in a
assert a[a.index("--mount") + 1] == "type=bind,source=%s,target=/models/m,readonly" % sys.argv[2]
assert not any(x.startswith("seccomp=") for x in a), a
assert a[-1] == "registry.example/ai/deploy-test@" + sys.argv[3], a[-1]
assert j["seccomp"] is None
PY
grep -q "/var/cache/app in the image is mode 0755 owned by 0: runc gives the tmpfs that mode" <<<"$ERR" &&
	pass "docker: warns that runc gives the tmpfs the mode of the image's 0755 directory" ||
	fail "no warning about /var/cache/app: $ERR"

# ---- Kubernetes ------------------------------------------------------------
K8S_ARGS=(k8s "$IMG" --ref registry.example/ai/deploy-test --model /models/m=mlp-weights
	--namespace ai --deny-egress --key "$T/signing.pub" --memory 512Mi --cpus 500m
	--tmpfs-size /tmp=32M --seccomp-localhost ward/deploy-test.json)
expect 0 "ward deploy k8s writes YAML" "$WARD" deploy "${K8S_ARGS[@]}" -o "$T/k8s.yaml"
expect 0 "and the same documents as JSON" "$WARD" deploy "${K8S_ARGS[@]}" --json -o "$T/k8s.json"
check "the YAML reads back (PyYAML) as exactly the JSON documents" python3 "$K8S_CHECK" same "$T/k8s.yaml" "$T/k8s.json"
check "every document validates against its Kubernetes / CRD JSON schema" python3 "$K8S_CHECK" schema "$T/k8s.yaml"
check "the pod passes the restricted Pod Security Standard" python3 "$K8S_CHECK" pss "$T/k8s.yaml"
openssl pkey -pubin -in "$T/signing.pub" -out "$T/signing-openssl.pub" 2>/dev/null
check "the admission policies carry the key and what their engines need" \
	python3 "$K8S_CHECK" policies "$T/k8s.yaml" "$T/signing-openssl.pub"
python3 - "$T/k8s.yaml" "$DIGEST" <<'PY' && pass "every restricted-PSS field, emptyDir, read-only model, probes, scrape annotations, digest" || fail "manifest fields"
import sys, yaml
docs = list(yaml.safe_load_all(open(sys.argv[1])))
kinds = [d["kind"] for d in docs]
assert kinds == ["Deployment", "Service", "NetworkPolicy", "NetworkPolicy", "ClusterImagePolicy", "ClusterPolicy"], kinds
dep = docs[0]
pod = dep["spec"]["template"]["spec"]
c = pod["containers"][0]
sc, psc = c["securityContext"], pod["securityContext"]
assert psc["runAsNonRoot"] is True and psc["runAsUser"] == 65532 and psc["runAsGroup"] == 65532
assert sc["runAsNonRoot"] is True and sc["runAsUser"] == 65532
assert sc["allowPrivilegeEscalation"] is False and sc["privileged"] is False
assert sc["capabilities"] == {"drop": ["ALL"]}
assert sc["readOnlyRootFilesystem"] is True
for s in (sc, psc):
    assert s["seccompProfile"] == {"type": "Localhost", "localhostProfile": "ward/deploy-test.json"}
assert pod["automountServiceAccountToken"] is False and pod["enableServiceLinks"] is False
assert not any(pod.get(k) for k in ("hostNetwork", "hostPID", "hostIPC"))
assert c["image"] == "registry.example/ai/deploy-test@" + sys.argv[2], c["image"]
vols = {v["name"]: v for v in pod["volumes"]}
mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
assert vols[mounts["/tmp"]["name"]]["emptyDir"] == {"medium": "Memory", "sizeLimit": "32Mi"}
assert vols[mounts["/var/cache/app"]["name"]]["emptyDir"] == {"medium": "Memory", "sizeLimit": "64Mi"}
assert vols[mounts["/models/m"]["name"]]["persistentVolumeClaim"] == {"claimName": "mlp-weights", "readOnly": True}
assert mounts["/models/m"]["readOnly"] is True
for p in ("startupProbe", "livenessProbe", "readinessProbe"):
    assert c[p]["httpGet"] == {"path": "/healthz", "port": 9090}, c[p]
ann = dep["spec"]["template"]["metadata"]["annotations"]
assert ann == {"prometheus.io/scrape": "true", "prometheus.io/port": "9090", "prometheus.io/path": "/metrics"}
assert c["resources"]["limits"] == {"cpu": "500m", "memory": "512Mi"}
assert "command" not in c  # metrics already listen on every address
assert docs[1]["spec"]["ports"] == [{"name": "tcp-8080", "port": 8080, "targetPort": "tcp-8080", "protocol": "TCP"}]
sel = {"matchLabels": {"app.kubernetes.io/name": dep["metadata"]["name"]}}
# Ingress only to the declared port and ward-init's metrics: a listener the
# server opens on another port (listen() autobind) is unreachable from other pods.
assert docs[2]["metadata"]["name"] == dep["metadata"]["name"] + "-ingress", docs[2]["metadata"]
assert docs[2]["spec"] == {"podSelector": sel, "policyTypes": ["Ingress"],
                           "ingress": [{"ports": [{"protocol": "TCP", "port": 8080},
                                                  {"protocol": "TCP", "port": 9090}]}]}, docs[2]["spec"]
assert docs[3]["spec"] == {"podSelector": sel, "policyTypes": ["Egress"], "egress": []}
assert all(d["metadata"].get("namespace") == "ai" for d in docs[:4])
PY
# The checkers are not vacuous: a weakened manifest fails them.
sed 's/allowPrivilegeEscalation: false/allowPrivilegeEscalation: true/' "$T/k8s.yaml" >"$T/bad1.yaml"
expect 1 "the PSS checker catches allowPrivilegeEscalation: true" python3 "$K8S_CHECK" pss "$T/bad1.yaml"
sed 's/readOnlyRootFilesystem: true/readOnlyRootFilesystem: "yes"/; s/sizeLimit: "32Mi"/sizeLimt: "32Mi"/' \
	"$T/k8s.yaml" >"$T/bad2.yaml"
expect 1 "the schema check catches a string boolean and a misspelt field" python3 "$K8S_CHECK" schema "$T/bad2.yaml"
sed 's/ignoreTlog: true/ignoreTlog: "on"/' "$T/k8s.yaml" >"$T/bad3.yaml"
expect 1 "the CRD schema check catches a quoted boolean in the Kyverno policy" python3 "$K8S_CHECK" schema "$T/bad3.yaml"

# Loopback metrics in the policy: ward-init's --metrics moves them for the kubelet.
sed 's/"address": ":9090"/"address": "127.0.0.1:9191"/' "$T/root/ward/policy.json" >"$T/p.json" &&
	cp "$T/p.json" "$T/root/ward/policy.json"
"$WARD" image pack "$T/root" -o "$T/img2:latest" --entrypoint /ward/init --entrypoint -- \
	--entrypoint /srv/server --cmd 8080 --user 65532:65532 --port 8080/tcp >/dev/null 2>&1
run "$WARD" deploy k8s "$T/img2" --ref registry.example/ai/x --model /models/m=w --json
python3 - "$OUT" <<'PY' && pass "k8s: loopback metrics moved with ward-init --metrics :PORT, Cmd kept as args" || fail "metrics override: $OUT"
import json, sys
c = json.loads(sys.argv[1])["documents"][0]["spec"]["template"]["spec"]["containers"][0]
assert c["command"] == ["/ward/init", "--metrics", ":9191", "--", "/srv/server"], c["command"]
assert c["args"] == ["8080"], c["args"]
assert c["livenessProbe"]["httpGet"]["port"] == 9191
assert {"name": "metrics", "containerPort": 9191, "protocol": "TCP"} in c["ports"]
ing = json.loads(sys.argv[1])["documents"][2]
assert ing["kind"] == "NetworkPolicy" and ing["spec"]["ingress"] == [
    {"ports": [{"protocol": "TCP", "port": 8080}, {"protocol": "TCP", "port": 9191}]}], ing
PY
run "$WARD" deploy k8s "$T/img2" --ref registry.example/ai/x --model /models/m=w --json --any-ingress
python3 -c 'import json,sys; k=[d["kind"] for d in json.loads(sys.argv[1])["documents"]]; assert k==["Deployment","Service"], k' "$OUT" &&
	grep -q -- "--any-ingress" <<<"$ERR" && pass "--any-ingress leaves the ingress NetworkPolicy out, with a warning" ||
	fail "--any-ingress: $OUT $ERR"
run "$WARD" deploy podman "$T/img2" --no-seccomp --model /models/m=/x --json
python3 -c 'import json,sys; a=json.loads(sys.argv[1])["argv"]; assert not any(":9191" in x for x in a), a' "$OUT" &&
	pass "podman: loopback metrics are not published" || fail "loopback metrics published: $OUT"

# ---- determinism -----------------------------------------------------------
"$WARD" deploy "${K8S_ARGS[@]}" -o "$T/k8s-again.yaml" 2>/dev/null
cmp -s "$T/k8s.yaml" "$T/k8s-again.yaml" && pass "the same image and options give the same bytes" || fail "output differs between runs"

# ---- docker-archive input --------------------------------------------------
run "$WARD" deploy podman "$T/img.tar" --no-seccomp --model "/models/m=$T/model" --json
python3 -c 'import json,sys; j=json.loads(sys.argv[1]); assert j["image"]=="sha256:"+sys.argv[2], j["image"]; assert "--name" in j["argv"] and j["argv"][j["argv"].index("--name")+1]=="ward-test-deploy-archive", j["argv"]' \
	"$OUT" "$CONFIG_ID" && pass "docker-archive: run by its image ID, named after its RepoTag" || fail "docker-archive: $OUT $ERR"
expect_err 2 "--digest" "k8s from a docker-archive needs the pushed digest" \
	"$WARD" deploy k8s "$T/img.tar" --ref registry.example/x --model /models/m=w
expect 0 "which --digest gives" "$WARD" deploy k8s "$T/img.tar" --ref registry.example/x --model /models/m=w --digest "$DIGEST"

# ---- refusals --------------------------------------------------------------
expect_err 2 "--model /models/m=SOURCE" "a model neither in the image nor mounted is refused" \
	"$WARD" deploy podman "$IMG" --no-seccomp
one_line && pass "as one line" || fail "multi-line error: $ERR"
expect_err 2 "--ref" "k8s without a registry reference is refused" "$WARD" deploy k8s "$IMG" --model /models/m=w
expect_err 2 "not a model" "--model for a path that is not a model" \
	"$WARD" deploy podman "$IMG" --model /x=/y --no-seccomp
expect_err 2 "does not expose" "--publish for a port the image does not expose" \
	"$WARD" deploy podman "$IMG" --publish 1:1234 --model "/models/m=$T/model"
expect_err 2 "for k8s" "k8s-only options are refused for podman" "$WARD" deploy podman "$IMG" --deny-egress
expect_err 2 "unknown target" "an unknown target" "$WARD" deploy nomad "$IMG"
expect_err 2 "--memory" "a malformed size" "$WARD" deploy podman "$IMG" --memory lots
expect_err 2 "" "a missing image" "$WARD" deploy podman "$T/nope"

# A plain image running as root: refused until given a user; a named user
# resolves through the image's /etc/passwd.
mkdir -p "$T/plain/etc" "$T/plain/bin"
printf 'root:x:0:0::/:/x\napp:x:1234:1234::/:/x\n' >"$T/plain/etc/passwd"
printf 'root:x:0:\napp:x:1234:\nstaff:x:50:\n' >"$T/plain/etc/group"
cp "$T/root/srv/server" "$T/plain/bin/server"
"$WARD" image pack "$T/plain" -o "$T/plain-img:latest" --entrypoint /bin/server --cmd 8080 --port 8080/tcp >/dev/null 2>&1
expect_err 2 "runs as root" "an image that would run as root is refused" "$WARD" deploy podman "$T/plain-img" --no-seccomp
expect 0 "unless --user gives another" "$WARD" deploy podman "$T/plain-img" --no-seccomp --user 1000:1000
"$WARD" image pack "$T/plain" -o "$T/plain-app:latest" --entrypoint /bin/server --user app:staff >/dev/null 2>&1
run "$WARD" deploy podman "$T/plain-app" --no-seccomp --json
python3 -c 'import json,sys; a=json.loads(sys.argv[1])["argv"]; assert a[a.index("--user")+1]=="1234:50", a' "$OUT" &&
	pass "a named user and group resolve through the image's /etc/passwd and /etc/group" || fail "user: $OUT $ERR"
grep -q "not a ward image" <<<"$ERR" && pass "a non-ward image is named as such" || fail "no warning: $ERR"

finish
