#!/usr/bin/env bash
# ward build of a small real image (python3-minimal, a stdlib HTTP server, a
# model signed at build time), checked by other people's tools: skopeo
# inspect/copy, umoci unpack, GNU tar and bsdtar list every layer without a
# warning, dpkg-deb -c says which package ships each path, md5sum -c checks
# the status.d records, Python reads the .pyc headers, and podman runs the
# image hardened (read-only, no capabilities, no-new-privileges) under the
# real ward-init, which verifies the model before the server answers.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/build_lib.sh"
podman_setup
CNAME=ward-test-build-$$-run
trap 'podman rm -f "$CNAME" >/dev/null 2>&1; podman rmi -f "$IMG_PREFIX:1" "$IMG_PREFIX-copy:1" >/dev/null 2>&1; chmod -R u+w "$T" 2>/dev/null; rm -rf "$T"' EXIT

P=$T/small
small_project "$P" || { fail "lock and fetch the small project"; finish; exit 1; }
pass "ward lock + ward fetch (python3-minimal closure, $(python3 -c 'import json,sys;print(len(json.load(open(sys.argv[1]))["packages"]))' "$P/ward.lock") packages)"

LAYOUT=$T/out/small
run "$WARD" build -f "$P/ward.yaml" -o "$LAYOUT" --key "$T/signing.key" --tar "$T/small.tar" \
	--repo-tag "$IMG_PREFIX:1" --init "$WARD_INIT"
DIGEST=$(echo "$OUT" | tail -1)
if [ "$RC" = 0 ] && [[ "$DIGEST" =~ ^sha256:[0-9a-f]{64}$ ]]; then
	pass "ward build: digest $DIGEST is the last line of stdout"
else
	fail "ward build (exit $RC): $(echo "$ERR" | tail -3)"
	finish
	exit 1
fi
grep -q "paths in the image: .* from the locked packages, .* from wheels, .* from ward.yaml, .* generated" <<<"$ERR" &&
	pass "the build prints how every path is accounted for" || fail "no accounting line: $ERR"
[ "$(layout_digest "$LAYOUT")" = "$DIGEST" ] && pass "index.json names that digest" || fail "index.json digest"
[ -f "$P/model/model.sig" ] && pass "--key signed the model (model/model.sig kept for the next build)" ||
	fail "no model.sig"

# ---- real clients ------------------------------------------------------------
check "skopeo inspect oci:" skopeo inspect "oci:$LAYOUT:1"
skopeo inspect "oci:$LAYOUT:1" >"$T/skopeo.json" && skopeo inspect --config "oci:$LAYOUT:1" >"$T/config.json"
python3 - "$T/skopeo.json" "$T/config.json" "$DIGEST" <<'PY' && pass "skopeo: digest, entrypoint /ward/init --, user 65532, port 8080, annotations" || fail "skopeo view of the image"
import json, sys
info, cfg, digest = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3]
c = cfg["config"]
assert info["Digest"] == digest, info["Digest"]
assert c["Entrypoint"] == ["/ward/init", "--", "python3", "/app/server.py"], c["Entrypoint"]
assert c["User"] == "65532:65532", c["User"]
assert "8080/tcp" in c["ExposedPorts"], c
assert "MODEL_DIR=/models/tiny" in c["Env"], c["Env"]
assert len(cfg["rootfs"]["diff_ids"]) == len([h for h in cfg["history"] if not h.get("empty_layer")])
assert all(h["created"] == cfg["created"] for h in cfg["history"])
PY
check "skopeo copy oci: -> docker-archive:" skopeo copy "oci:$LAYOUT:1" "docker-archive:$T/copy.tar:$IMG_PREFIX-copy:1"
rm -rf "$T/bundle"
check "umoci unpack" umoci unpack --image "$LAYOUT:1" "$T/bundle"
ROOT=$T/bundle/rootfs
bad=""
for blob in $(python3 -c 'import json,sys
d=json.load(open(sys.argv[1]+"/index.json"))["manifests"][0]["digest"].split(":")[1]
for l in json.load(open(sys.argv[1]+"/blobs/sha256/"+d))["layers"]: print(l["digest"].split(":")[1])' "$LAYOUT"); do
	tar -tvzf "$LAYOUT/blobs/sha256/$blob" >/dev/null 2>"$T/tar.err" && [ ! -s "$T/tar.err" ] || bad="$bad gnu:$blob"
	LC_ALL=C.UTF-8 bsdtar -tvf "$LAYOUT/blobs/sha256/$blob" >/dev/null 2>"$T/bsdtar.err" && [ ! -s "$T/bsdtar.err" ] || bad="$bad bsd:$blob"
done
[ -z "$bad" ] && pass "GNU tar and bsdtar (UTF-8 locale: the CA file names are UTF-8) list every layer without a warning" || fail "tar warnings:$bad"

# ---- every path accounted for: the record against the unpacked image and dpkg-deb
REC=$LAYOUT.build.json
python3 - "$REC" "$ROOT" "$P/ward.lock" "$CACHE" <<'PY' && pass "every path in the image is in the build record with an owner; package paths match dpkg-deb -c" || fail "accounting"
import json, os, subprocess, sys
rec, root, lock, cache = json.load(open(sys.argv[1])), sys.argv[2], json.load(open(sys.argv[3])), sys.argv[4]
paths = {p["path"]: p for p in rec["paths"]}
on_disk = set()
for d, dirs, files in os.walk(root):
    for n in dirs + files:
        on_disk.add(os.path.relpath(os.path.join(d, n), root))
assert on_disk == set(paths), (sorted(on_disk - set(paths))[:5], sorted(set(paths) - on_disk)[:5])
c = rec["counts"]
assert c["paths"] == len(paths) == c["from_packages"] + c["from_spec"] + c["from_wheels"] + c["generated"], c
assert c["from_wheels"] == 0, c
assert all(p["origin"] in ("package", "spec", "generated") and p["owner"] for p in rec["paths"])
# dpkg-deb, not ward, says what each package ships (merged /usr applied)
def merged(p):
    for d in ("bin", "sbin", "lib", "lib64"):
        if p == d or p.startswith(d + "/"):
            return "usr/" + p
    return p
shipped = {}
for pkg in lock["packages"]:
    out = subprocess.run(["dpkg-deb", "-c", "%s/blobs/sha256/%s" % (cache, pkg["sha256"])],
                         check=True, capture_output=True, text=True,
                         env=dict(os.environ, LC_ALL="C.UTF-8")).stdout
    for line in out.splitlines():
        name = line.split(None, 5)[5].split(" -> ")[0].split(" link to ")[0]
        shipped.setdefault(merged(name[2:].rstrip("/")), set()).add(pkg["name"])
for p in rec["paths"]:
    if p["origin"] == "package":
        assert p["owner"] in shipped.get(p["path"], ()), (p["path"], p["owner"])
    if p["type"] == "file":
        real = os.path.join(root, p["path"])
        assert os.path.getsize(real) == p["size"], p["path"]
spec = sorted(p["path"] for p in rec["paths"] if p["origin"] == "spec")
assert spec == ["app", "app/server.py", "models/tiny", "models/tiny/README", "models/tiny/weights.json"], spec
PY

# ---- distroless rules on the unpacked root ------------------------------------
[ ! -e "$ROOT/bin/sh" ] && [ ! -e "$ROOT/usr/bin/sh" ] && [ ! -e "$ROOT/usr/bin/dpkg" ] &&
	pass "no /bin/sh, no dpkg" || fail "a shell or dpkg in the image"
[ -z "$(find "$ROOT" -perm /6000 -type f)" ] && pass "no setuid/setgid file" || fail "setuid files"
docs=$(cd "$ROOT/usr/share/doc" && find . -type f ! -name copyright | head -3)
[ -z "$docs" ] && [ -f "$ROOT/usr/share/doc/libc6/copyright" ] && [ ! -d "$ROOT/usr/share/man" ] &&
	pass "docs and man pages dropped, copyright files kept" || fail "docs: $docs"
[ "$(readlink "$ROOT/bin")" = usr/bin ] && [ "$(readlink "$ROOT/lib64")" = usr/lib64 ] && [ -d "$ROOT/usr/lib64" ] &&
	pass "merged /usr: /bin -> usr/bin, /lib64 -> usr/lib64" || fail "usrmerge links"
[ "$(stat -c %a "$ROOT/tmp")" = 1777 ] && grep -q '^nonroot:x:65532:65532:' "$ROOT/etc/passwd" &&
	grep -q '^nonroot:x:65532:' "$ROOT/etc/group" && grep -q '^passwd: *files' "$ROOT/etc/nsswitch.conf" &&
	pass "/tmp 1777, passwd/group/nsswitch.conf generated" || fail "generated /etc files"
(cd "$ROOT" && for f in var/lib/dpkg/status.d/*.md5sums; do md5sum --quiet -c "$f" || exit 1; done) >"$T/md5.out" 2>&1 &&
	[ "$(ls "$ROOT/var/lib/dpkg/status.d" | grep -vc md5sums)" = "$(python3 -c 'import json,sys;print(len(json.load(open(sys.argv[1]))["packages"]))' "$P/ward.lock")" ] &&
	pass "status.d: one record per package; md5sum -c passes on every kept file" || fail "status.d: $(head -3 "$T/md5.out")"
ncrt=$(python3 -c 'import json,sys
print([p["sha256"] for p in json.load(open(sys.argv[1]))["packages"] if p["name"]=="ca-certificates"][0])' "$P/ward.lock" |
	xargs -I{} dpkg-deb -c "$CACHE/blobs/sha256/{}" | grep -c 'usr/share/ca-certificates/.*\.crt$')
[ "$(grep -c 'BEGIN CERTIFICATE' "$ROOT/etc/ssl/certs/ca-certificates.crt")" = "$ncrt" ] && [ "$ncrt" -gt 100 ] &&
	pass "ca_certificates: the bundle holds the package's $ncrt certificates (dpkg-deb -c counts them)" ||
	fail "CA bundle: $(grep -c 'BEGIN CERTIFICATE' "$ROOT/etc/ssl/certs/ca-certificates.crt") of $ncrt"
[ "$(readlink "$ROOT/etc/localtime")" = /usr/share/zoneinfo/Etc/UTC ] && [ -f "$ROOT/usr/share/zoneinfo/Etc/UTC" ] &&
	[ "$(cat "$ROOT/etc/timezone")" = Etc/UTC ] && pass "timezone: /etc/localtime -> zoneinfo (tzdata)" ||
	fail "timezone: $(readlink "$ROOT/etc/localtime")"
[ "$(stat -c '%U %a' "$ROOT/ward/init")" = "root 555" ] && [ "$(stat -c '%a' "$ROOT/ward/policy.json")" = 444 ] &&
	[ -f "$ROOT/ward/models/tiny/model.sig" ] && [ -f "$ROOT/ward/keys/tiny.pem" ] &&
	pass "/ward: init, policy.json, model.sig, keys; root-owned, read-only" || fail "/ward layout"
check "ward-init --check-policy on the image's policy (with --root)" "$WARD_INIT" --check-policy "$ROOT/ward/policy.json" --root "$ROOT"
check "the model in the image verifies against /ward's signature and key" \
	"$WARD" model verify "$ROOT/models/tiny" --signature "$ROOT/ward/models/tiny/model.sig" --key "$ROOT/ward/keys/tiny.pem"
python3 - "$ROOT" <<'PY' && pass ".pyc files: unchecked-hash, for this interpreter, matching their source" || fail ".pyc headers"
import glob, importlib.util, sys, os
root = sys.argv[1]
pycs = glob.glob(root + "/usr/lib/python3.11/**/__pycache__/*.cpython-311.pyc", recursive=True)
assert len(pycs) > 100, len(pycs)
for p in pycs:
    data = open(p, "rb").read(16)
    assert data[:4] == importlib.util.MAGIC_NUMBER, p
    assert int.from_bytes(data[4:8], "little") == 0b01, p   # hash-based, unchecked
    src = os.path.join(os.path.dirname(os.path.dirname(p)), os.path.basename(p).split(".")[0] + ".py")
    assert data[8:16] == importlib.util.source_hash(open(src, "rb").read()), p
PY
[ "$(stat -c %a "$ROOT/usr/bin/python3.11")" = 711 ] && pass "the interpreter is 0711 (the server is not dumpable)" ||
	fail "python3.11 mode $(stat -c %a "$ROOT/usr/bin/python3.11")"

# ---- podman: load and run hardened under ward-init ------------------------------
check "podman load (docker-archive)" podman load -i "$T/small.tar"
PORT=$(free_port)
check "podman run --read-only --cap-drop ALL --security-opt no-new-privileges" \
	podman run -d --name "$CNAME" --read-only --cap-drop ALL --security-opt no-new-privileges \
	-p "127.0.0.1:$PORT:8080" "$IMG_PREFIX:1"
if wait_http "http://127.0.0.1:$PORT/healthz" 60; then
	body=$(curl -s "http://127.0.0.1:$PORT/model")
	[ "$body" = "$(tr -d '\n' <"$WARD_SRC/tests/data/build/small/model/weights.json")" ] &&
		pass "the server answers with the signed model's contents" || fail "answer: $body"
	body=$(curl -s "http://127.0.0.1:$PORT/certs")
	[ "$body" = "{\"ca_certificates\": $ncrt}" ] && pass "in the container, OpenSSL loads the $ncrt CA certificates (SSL_CERT_FILE)" ||
		fail "certs: $body"
	body=$(curl -s "http://127.0.0.1:$PORT/timezone")
	[ "$body" = '{"timezone": "UTC"}' ] && pass "in the container, the time zone is Etc/UTC" || fail "timezone: $body"
else
	fail "the server did not answer: $(podman logs "$CNAME" 2>&1 | tail -5)"
fi
logs=$(podman logs "$CNAME" 2>&1)
grep -q '"event":"model_verified"' <<<"$logs" && grep -q '"event":"server_started"' <<<"$logs" &&
	pass "ward-init verified the model, then started the server" || fail "ward-init log: $(echo "$logs" | tail -3)"
expect_err 127 "" "no shell: podman exec /bin/sh fails" podman exec "$CNAME" /bin/sh -c true
podman rm -f "$CNAME" >/dev/null 2>&1

# ---- atomic output: a killed build leaves the previous layout, whole ----------------
# (timeout kills its whole process group: the inner bash keeps the job report quiet)
bash -c 'timeout -s KILL 2 "$@" >/dev/null 2>&1; true' _ "$WARD" build -f "$P/ward.yaml" -o "$LAYOUT" \
	--key "$T/signing.key" --init "$WARD_INIT" --no-layer-cache --tag killed 2>/dev/null
debris=$(ls -d "$T"/out/small.tmp-*/index.json 2>/dev/null)
"$WARD" image verify "$LAYOUT" >/dev/null 2>&1 && [ -z "$debris" ] &&
	pass "a build killed midway leaves a layout that verifies (old or new); no half layout with an index" ||
	fail "layout after a killed build: $("$WARD" image verify "$LAYOUT" 2>&1 | tail -1)"

finish
