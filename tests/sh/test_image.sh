#!/usr/bin/env bash
# ward's image I/O against the real clients: skopeo, umoci, podman (load and
# run a static hello), GNU tar, bsdtar and Python's tarfile on every layer;
# reproducibility across thread counts, wall clocks and source mtimes;
# images made by other tools read back; damage reported clearly; hostile
# layers kept inside the unpack target.
. "$(dirname "$0")/lib.sh"

for tool in skopeo umoci podman tar bsdtar gcc faketime zstd; do
	command -v "$tool" >/dev/null || { fail "$tool is not installed (scripts/install-deps.sh --test)"; finish; exit 1; }
done
cat >"$T/containers.conf" <<'EOF'
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
[engine]
runtime = "runc"
EOF
export CONTAINERS_CONF=$T/containers.conf
NAME=localhost/ward-test-oci-$$
cleanup_images() { podman rmi -f "$NAME-hello:v1" "$NAME-sk:v1" >/dev/null 2>&1 || true; }
trap 'cleanup_images; chmod -R u+w "$T" 2>/dev/null; rm -rf "$T"' EXIT
EPOCH=1700000000

# ---- a small root file system ---------------------------------------------
R=$T/rootfs
mkdir -p "$R/etc" "$R/usr/bin" "$R/empty" "$R/long/$(printf 'd%.0s' {1..120})" "$R/caf$(printf '\xc3\xa9')"
cat >"$T/hello.c" <<'EOF'
#include <stdio.h>
int main(void) {
	char b[64] = {0};
	FILE *f = fopen("/etc/motd", "r");
	if (f && fgets(b, sizeof b, f)) printf("hello from ward: %s", b);
	return f ? 0 : 1;
}
EOF
check "a static hello program compiles" gcc -static -O2 -o "$R/usr/bin/hello" "$T/hello.c"
echo "motd ok" >"$R/etc/motd"
ln "$R/etc/motd" "$R/etc/motd.hard"
ln -s ../etc/motd "$R/usr/bin/motd-link"
ln -s "$(printf 't%.0s' {1..150})" "$R/usr/bin/long-link"
echo x >"$R/long/$(printf 'd%.0s' {1..120})/$(printf 'f%.0s' {1..60})"
echo x >"$R/caf$(printf '\xc3\xa9')/na$(printf '\xc3\xaf')ve"
chmod 4755 "$R/usr/bin/hello"
chmod 0700 "$R/empty"
touch -d @1000 "$R/etc/motd"

pack() { # pack LAYOUT THREADS [extra args]: prints the manifest digest
	local out=$1 threads=$2
	shift 2
	"$WARD" image pack "$R" -o "$out:v1" --threads "$threads" --source-date-epoch $EPOCH \
		--uid 0 --gid 0 --owner-name root --entrypoint /usr/bin/hello "$@"
}

run pack "$T/img" 1 --tar "$T/ward.tar" --tar-tag "$NAME-hello:v1"
DIGEST=$(tail -1 <<<"$OUT")
if [ "$RC" = 0 ] && [[ $DIGEST == sha256:* ]]; then pass "ward image pack prints the manifest digest"; else fail "pack: $ERR"; fi

# ---- reproducible: threads, wall clock, source mtimes, build directory -------
# (faketime preloads a library: let an ASan build accept that)
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
run faketime '2031-05-06 07:08:09' "$WARD" image pack "$R" -o "$T/other/dir/img2:v1" --threads 4 \
	--source-date-epoch $EPOCH --uid 0 --gid 0 --owner-name root --entrypoint /usr/bin/hello
[ "$(tail -1 <<<"$OUT")" = "$DIGEST" ] && pass "same digest with 4 threads, another clock and directory" ||
	fail "digest differs: $DIGEST vs $(tail -1 <<<"$OUT") $ERR"
touch -d @2000000000 "$R/etc/motd" "$R/usr/bin"
run pack "$T/img3" 2
[ "$(tail -1 <<<"$OUT")" = "$DIGEST" ] && pass "source mtimes do not leak into the image" ||
	fail "digest changed with source mtimes"
run pack "$T/imgz1" 1 --compression zstd
Z1=$(tail -1 <<<"$OUT")
run pack "$T/imgz2" 4 --compression zstd
[ "$(tail -1 <<<"$OUT")" = "$Z1" ] && pass "zstd image digest independent of threads" || fail "zstd digests differ"

# ---- skopeo and umoci read the layout ----------------------------------------
run skopeo inspect "oci:$T/img:v1"
if [ "$RC" = 0 ] && [ "$(python3 -c 'import json,sys; print(json.load(sys.stdin)["Digest"])' <<<"$OUT")" = "$DIGEST" ]; then
	pass "skopeo inspect oci:DIR:tag sees ward's manifest digest"
else
	fail "skopeo inspect: $ERR"
fi
check "skopeo inspect --config reads the config" skopeo inspect --config "oci:$T/img:v1"
grep -q '"created": "2023-11-14T22:13:20Z"' <<<"$OUT" && pass "config created = SOURCE_DATE_EPOCH" || fail "config created: $OUT"
check "skopeo copy oci: -> docker-archive:" skopeo copy -q "oci:$T/img:v1" "docker-archive:$T/sk.tar:$NAME-sk:v1"
check "skopeo copy oci: -> oci: (another layout)" skopeo copy -q "oci:$T/img:v1" "oci:$T/skoci:copied"
umoci_flags=()
[ "$(id -u)" = 0 ] || umoci_flags=(--rootless)
check "umoci unpack --image DIR:tag" umoci unpack "${umoci_flags[@]}" --image "$T/img:v1" "$T/bundle"
# umoci gets the same files (contents and modes) as the source tree
if diff -r --no-dereference "$R" "$T/bundle/rootfs" >/dev/null &&
	[ "$(stat -c %a "$T/bundle/rootfs/usr/bin/hello")" = 4755 ]; then
	pass "umoci's rootfs has the same contents and modes"
else
	fail "umoci rootfs differs: $(diff -r --no-dereference "$R" "$T/bundle/rootfs" | head -3)"
fi

# ---- podman loads ward's docker-archive and runs it hardened ------------------
check "podman load -i ward's docker-archive" podman load -q -i "$T/ward.tar"
run podman run --rm --read-only --cap-drop ALL --security-opt no-new-privileges "$NAME-hello:v1"
[ "$RC" = 0 ] && [ "$OUT" = "hello from ward: motd ok" ] && pass "podman run of the image prints its greeting" ||
	fail "podman run: rc=$RC out=$OUT err=$ERR"

# ---- every layer: GNU tar, bsdtar and Python agree, without a warning ----------
"$WARD" image files --json "$T/img:v1" >"$T/files.json"
layers=$(python3 -c 'import json,sys; print(" ".join(l["digest"].split(":")[1] for l in json.load(sys.stdin)["layers"]))' \
	< <("$WARD" image inspect --json "$T/img:v1"))
for hex in $layers $(python3 -c 'import json,sys; print(" ".join(l["digest"].split(":")[1] for l in json.load(sys.stdin)["layers"]))' \
	< <("$WARD" image inspect --json "$T/imgz1:v1")); do
	blob=$T/img/blobs/sha256/$hex
	[ -f "$blob" ] || blob=$T/imgz1/blobs/sha256/$hex
	short=${hex:0:12}
	for t in "tar" "bsdtar"; do
		mkdir -p "$T/x-$t-$short"
		if [ "$(head -c 4 "$blob" | od -An -tx1 | tr -d ' ')" = 28b52ffd ]; then
			zstd -dc "$blob" >"$T/layer.tar"
		else
			gzip -dc "$blob" >"$T/layer.tar"
		fi
		run "$t" -tvf "$T/layer.tar"
		lrc=$RC lerr=$ERR
		run "$t" -xf "$T/layer.tar" -C "$T/x-$t-$short"
		if [ "$lrc" = 0 ] && [ -z "$lerr" ] && [ "$RC" = 0 ] && [ -z "$ERR" ]; then
			pass "$t lists and extracts layer $short without warnings"
		else
			fail "$t on layer $short: $lerr $ERR"
		fi
	done
	check "python tarfile agrees on every header of layer $short" \
		python_oracle tar_headers.py "$blob" $EPOCH 0 0 root "$T/files.json"
	check "GNU tar's extraction of layer $short equals the source tree" diff -r --no-dereference "$R" "$T/x-tar-$short"
done
# the order is GNU tar's --sort=name order of the same tree
(cd "$R" && tar --sort=name -cf - . | tar -tf - | sed 's|^\./||; s|/$||' | grep -v '^$') >"$T/gnu-order"
tar -tzf "$T/img/blobs/sha256/${layers%% *}" | sed 's|/$||' >"$T/ward-order"
cmp -s "$T/gnu-order" "$T/ward-order" && pass "entries come in GNU tar --sort=name order" ||
	fail "order differs from GNU tar --sort=name: $(diff "$T/gnu-order" "$T/ward-order" | head -4)"

# ---- images written by other tools ------------------------------------------
check "skopeo copy containers-storage: -> oci:" skopeo copy -q "containers-storage:$NAME-hello:v1" "oci:$T/fromstore:v1"
check "skopeo copy containers-storage: -> docker-archive:" skopeo copy -q "containers-storage:$NAME-hello:v1" "docker-archive:$T/fromstore.tar"
check "podman save --format oci-archive" podman save -q --format oci-archive -o "$T/saved-oci.tar" "$NAME-hello:v1"
check "podman save --format docker-archive" podman save -q --format docker-archive -o "$T/saved-docker.tar" "$NAME-hello:v1"
"$WARD" image files "$T/img:v1" | awk '{print $1, $2, $NF}' >"$T/ours"
for img in "$T/fromstore:v1" "$T/fromstore.tar" "$T/saved-oci.tar" "$T/saved-docker.tar" "$T/sk.tar:$NAME-sk:v1" "$T/skoci:copied"; do
	short=${img#"$T"/}
	run "$WARD" image verify "$img"
	[ "$RC" = 0 ] && pass "ward verifies $short" || fail "verify $short: $ERR"
	run "$WARD" image files "$img"
	if [ "$RC" = 0 ] && cmp -s <(awk '{print $1, $2, $NF}' <<<"$OUT") "$T/ours"; then
		pass "ward lists the same files in $short"
	else
		fail "files of $short differ: $ERR $(diff <(awk '{print $1, $2, $NF}' <<<"$OUT") "$T/ours" | head -3)"
	fi
done
check "ward unpacks skopeo's docker-archive" "$WARD" image unpack "$T/fromstore.tar" "$T/unpacked"
if diff -r --no-dereference "$R" "$T/unpacked" >/dev/null && [ "$(stat -c %a "$T/unpacked/usr/bin/hello")" = 4755 ] &&
	[ "$(stat -c %h "$T/unpacked/etc/motd")" = 2 ]; then
	pass "unpacked tree equals the source (contents, setuid mode, hard link)"
else
	fail "unpacked tree differs: $(diff -r --no-dereference "$R" "$T/unpacked" | head -3)"
fi
run "$WARD" image inspect --json "$T/saved-oci.tar"
grep -q '"kind": "oci-archive"' <<<"$OUT" && pass "podman's oci-archive is read as oci-archive" || fail "oci-archive kind: $OUT"

# ---- damage: clear errors, right exit codes ----------------------------------
cp -r "$T/img" "$T/bad"
hex=${layers%% *}
python3 - "$T/bad/blobs/sha256/$hex" <<'PY'
import sys
p = sys.argv[1]; b = bytearray(open(p, 'rb').read()); b[len(b) // 2] ^= 1; open(p, 'wb').write(b)
PY
expect_err 1 "sha256:$hex" "a flipped byte in a layer fails verify, naming the blob" "$WARD" image verify "$T/bad:v1"
one_line && pass "the error is one line" || fail "error is not one line: $ERR"
expect_err 1 "sha256:$hex" "unpack of the damaged image fails too" "$WARD" image unpack "$T/bad:v1" "$T/bad-root"
[ ! -e "$T/bad-root" ] && pass "no half-unpacked tree is left" || fail "bad-root exists"
rm "$T/bad/blobs/sha256/$hex"
expect_err 2 "missing" "a missing blob is named" "$WARD" image verify "$T/bad:v1"
printf '{"schemaVersion":2,\n"manifests":[' >"$T/bad/index.json"
expect_err 2 "index.json:2:" "broken index.json: file, line and column" "$WARD" image inspect "$T/bad"
size=$(stat -c %s "$T/ward.tar")
head -c $((size / 2)) "$T/ward.tar" >"$T/truncated.tar"
expect_err 2 "truncated" "a truncated docker-archive is reported as truncated" "$WARD" image inspect "$T/truncated.tar"
python3 - "$T/ward.tar" "$T/badmanifest.tar" <<'PY'
import io, sys, tarfile
src, dst = sys.argv[1], sys.argv[2]
with tarfile.open(src) as a, tarfile.open(dst, "w", format=tarfile.USTAR_FORMAT) as b:
    for m in a.getmembers():
        data = a.extractfile(m).read() if m.isfile() else None
        if m.name == "manifest.json":
            data = b'[{"Config": 3, "Layers": []}]'
            m.size = len(data)
        b.addfile(m, io.BytesIO(data) if data is not None else None)
PY
expect_err 2 "Config" "a bad docker-archive manifest.json names the field" "$WARD" image inspect "$T/badmanifest.tar"
expect_err 2 "no image tagged" "an unknown tag lists the tags there are" "$WARD" image inspect "$T/img:nope"
expect_err 2 "not a directory or file" "a missing image path" "$WARD" image inspect "$T/does-not-exist"

# ---- a hostile image stays inside its unpack target ----------------------------
python3 - "$T/evil-root" <<'PY'
import io, os, sys, tarfile
d = sys.argv[1]; os.makedirs(d)
def add(t, name, kind, link=None, data=b""):
    m = tarfile.TarInfo(name); m.type = kind; m.mtime = 0
    if link: m.linkname = link
    m.size = len(data) if kind == tarfile.REGTYPE else 0
    t.addfile(m, io.BytesIO(data) if m.size else None)
with tarfile.open(d + "/l0.tar", "w", format=tarfile.PAX_FORMAT) as t:
    add(t, "escape", tarfile.SYMTYPE, "/")
    add(t, "up", tarfile.SYMTYPE, "../../../../../../../..")
with tarfile.open(d + "/l1.tar", "w", format=tarfile.PAX_FORMAT) as t:
    add(t, "escape/pwned-abs", tarfile.REGTYPE, data=b"x")
    add(t, "up/pwned-rel", tarfile.REGTYPE, data=b"x")
PY
mkdir -p "$T/evil-dirs/l0/x" "$T/evil-dirs/l1/x"
check "a two-layer hostile layout is assembled" "$WARD" image pack "$T/evil-dirs/l0" "$T/evil-dirs/l1" -o "$T/evil:v1" --source-date-epoch 0
# swap the packed layers for the hostile tars (config diff_ids and digests follow)
python3 - "$T/evil" "$T/evil-root" <<'PY'
import hashlib, json, os, sys
lay, src = sys.argv[1], sys.argv[2]
def put(data):
    h = hashlib.sha256(data).hexdigest()
    open(os.path.join(lay, "blobs/sha256", h), "wb").write(data)
    return "sha256:" + h
tars = [open(os.path.join(src, n), "rb").read() for n in ("l0.tar", "l1.tar")]
digests = [put(t) for t in tars]
cfg = {"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": digests}}
cb = json.dumps(cfg).encode()
man = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
       "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": put(cb), "size": len(cb)},
       "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": d, "size": len(t)}
                  for d, t in zip(digests, tars)]}
mb = json.dumps(man).encode()
idx = {"schemaVersion": 2, "manifests": [{"mediaType": man["mediaType"], "digest": put(mb), "size": len(mb),
       "annotations": {"org.opencontainers.image.ref.name": "v1"}}]}
open(os.path.join(lay, "index.json"), "w").write(json.dumps(idx))
PY
mkdir -p "$T/jail"
check "ward unpacks the hostile image" "$WARD" image unpack "$T/evil:v1" "$T/jail/root"
if [ -f "$T/jail/root/pwned-abs" ] && [ -f "$T/jail/root/pwned-rel" ] && [ ! -e /pwned-abs ] && [ ! -e /pwned-rel ] &&
	[ ! -e "$T/jail/pwned-rel" ]; then
	pass "symlinked parents resolve inside the target (like a chroot)"
else
	fail "hostile entries went somewhere else"
fi

# ---- an interrupted pack leaves the previous layout intact ---------------------
mkdir -p "$T/big"
head -c $((96 << 20)) /dev/urandom >"$T/big/blob"
"$WARD" image pack "$T/big" -o "$T/img:v1" --threads 1 --source-date-epoch $EPOCH >/dev/null 2>&1 &
pid=$!
sleep 0.5
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
killed=$?
run skopeo inspect "oci:$T/img:v1"
[ "$killed" = 137 ] && [ "$RC" = 0 ] && grep -q "$DIGEST" <<<"$OUT" && pass "after kill -9 the previous layout is still whole" ||
	fail "previous layout damaged after kill -9 (pack exit $killed): $ERR"
ls -d "$T"/img.tmp-* >/dev/null 2>&1 && pass "the killed run left its temporary tree (not the layout)" ||
	fail "no temporary tree: was the pack really interrupted?"
check "the next pack succeeds" pack "$T/img" 1
ls -d "$T"/img.tmp-* >/dev/null 2>&1 && fail "stale temporary tree not removed" ||
	pass "the next run removed the stale temporary tree"

# numeric options are checked whole, with the option named
expect_err 2 "--level abc" "--level abc: usage error naming the option" "$WARD" image pack "$R" -o "$T/never" --level abc
expect_err 2 "out of range" "--level 15 for gzip: out of range" sh -c "echo hi | '$WARD' image compress --level 15 >/dev/null"
[ ! -e "$T/never" ] && pass "(nothing written)" || fail "$T/never was written"

finish
