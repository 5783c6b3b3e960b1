#!/usr/bin/env bash
# Untrusted input never hangs, never escapes, never lies (issue 15), for the
# commands that read images, specs, keys and models: a FIFO anywhere an
# input file is expected is refused at once (exit 2), a symlinked blob is
# named as such, an -o directory ward did not write is never replaced, a
# failed write to stdout is exit 3, and no message carries raw control
# bytes.  Every command runs under `timeout`: a hang shows as exit 124.
. "$(dirname "$0")/lib.sh"
export WARD_PASSWORD=ward-test
W() { timeout 20 "$WARD" "$@"; }

mkdir -p "$T/root/etc" "$T/root/usr/bin"
echo hello >"$T/root/etc/hello"
printf '#!/bin/true\n' >"$T/root/usr/bin/app" && chmod 755 "$T/root/usr/bin/app"
check "a small image to attack" W image pack "$T/root" -o "$T/img:v1"
IMG=$T/img
manifest=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"][7:])' "$IMG/index.json")
config=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["config"]["digest"][7:])' "$IMG/blobs/sha256/$manifest")
layer=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["layers"][0]["digest"][7:])' "$IMG/blobs/sha256/$manifest")

# copy_with_fifo NAME PATH-IN-LAYOUT: a copy of the image with a FIFO there.
copy_with_fifo() {
	rm -rf "$T/$1" && cp -r "$IMG" "$T/$1" && rm -f "$T/$1/$2" && mkfifo "$T/$1/$2"
}

# ---- 5: a FIFO as an input never hangs ------------------------------------
copy_with_fifo fifo-index index.json
expect_err 2 "index.json: is a FIFO, expected a regular file" "FIFO index.json: refused, no hang" \
	W image inspect "$T/fifo-index"
copy_with_fifo fifo-config "blobs/sha256/$config"
expect_err 2 "is a FIFO, expected a regular file" "FIFO config blob: refused, no hang" \
	W image inspect "$T/fifo-config"
copy_with_fifo fifo-layer "blobs/sha256/$layer"
expect_err 2 "is a FIFO, expected a regular file" "FIFO layer blob: refused, no hang" \
	W image files "$T/fifo-layer"
expect_err 2 "is a FIFO, expected a regular file" "FIFO layer blob: sbom refuses too" \
	W sbom "$T/fifo-layer" --format cyclonedx
mkfifo "$T/ward.yaml" "$T/key.fifo" "$T/archive.tar"
expect_err 2 "ward.yaml: is a FIFO" "FIFO as ward.yaml (-f): refused, no hang" W lock -f "$T/ward.yaml"
expect_err 2 "ward.yaml: is a FIFO" "FIFO as ward.yaml of build" W build -f "$T/ward.yaml"
expect_err 2 "key.fifo: is a FIFO" "FIFO as --key (sign): refused, no hang" \
	W sign "$IMG:v1" --key "$T/key.fifo"
expect_err 2 "archive.tar: is a FIFO" "FIFO as an image archive: refused, no hang" \
	W image inspect "$T/archive.tar"
mkdir -p "$T/model" && echo weights >"$T/model/w.bin"
W keygen -o "$T/k" >/dev/null 2>&1
expect_err 2 "key.fifo: is a FIFO" "FIFO as --key (model verify)" \
	W model verify "$T/model" --key "$T/key.fifo"

# every other command that takes a file: a .deb, a scan/vex target, an
# OSV archive (each hung before: exit 124 under timeout)
for sub in inspect control contents; do
	expect_err 2 "archive.tar: is a FIFO" "FIFO as a .deb (deb $sub): refused, no hang" \
		W deb "$sub" "$T/archive.tar"
done
W db import "$WARD_SHARED/vulndata/pypi" --db "$T/fifo-db" >/dev/null 2>&1
expect_err 2 "archive.tar: is a FIFO" "FIFO as a scan target: refused, no hang" \
	W scan "$T/archive.tar" --db "$T/fifo-db"
expect_err 2 "archive.tar: is a FIFO" "FIFO as a vex target: refused, no hang" \
	W vex "$T/archive.tar" --db "$T/fifo-db"
expect_err 2 "archive.tar: is a FIFO" "FIFO as an OSV archive (db import): refused, no hang" \
	W db import "$T/archive.tar" --db "$T/fifo-db2"

# ---- 11: clear messages ----------------------------------------------------
rm -rf "$T/symblob" && cp -r "$IMG" "$T/symblob"
mv "$T/symblob/blobs/sha256/$layer" "$T/elsewhere"
ln -s "$T/elsewhere" "$T/symblob/blobs/sha256/$layer"
expect_err 2 "is a symbolic link" "a symlinked blob is named as a symlink (not 'Too many levels')" \
	W image files "$T/symblob"
echo '[{"not": "an image"}]' >"$T/array.json"
expect_err 2 "not a tar archive" "a JSON array given as an image: 'not a tar archive', not 'truncated tar'" \
	W image inspect "$T/array.json"
mkdir -p "$T/esc"
expect_err 2 'no\ese\nx' "control characters in a file name are escaped in the message" \
	W image inspect "$T/esc/no"$'\033'"se"$'\n'"x"
printf '%s' "$ERR" | grep -q "$(printf '\033')" && fail "raw ESC byte on stderr" || pass "no raw ESC byte on stderr"

# a name no file system can hold is the image's fault: exit 2, not 3
python3 - "$T/longname.tar" <<'PY'
import hashlib, io, json, sys, tarfile
def tar(members):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w", format=tarfile.GNU_FORMAT) as t:
        for name, data in members:
            i = tarfile.TarInfo(name); i.size = len(data); i.mtime = 1700000000
            t.addfile(i, io.BytesIO(data))
    return b.getvalue()
layer = tar([("etc/ok", b"x"), ("etc/" + "n" * 300, b"long")])
diff = "sha256:" + hashlib.sha256(layer).hexdigest()
config = json.dumps({"architecture": "amd64", "os": "linux",
                     "rootfs": {"type": "layers", "diff_ids": [diff]}}).encode()
ch = hashlib.sha256(config).hexdigest()
manifest = json.dumps([{"Config": ch + ".json", "RepoTags": ["long:1"],
                        "Layers": ["layer.tar"]}]).encode()
open(sys.argv[1], "wb").write(tar([("manifest.json", manifest), (ch + ".json", config),
                                   ("layer.tar", layer)]))
PY
expect_err 2 "a name of 300 bytes" "a 300-byte name in a layer: unpack exits 2 naming it" \
	W image unpack "$T/longname.tar" "$T/longname-root"
[ ! -e "$T/longname-root" ] && pass "nothing unpacked" || fail "a partial tree was left"

# ward pull has an overall deadline: a registry dripping a byte now and then
# (each within curl's low-speed window) is cut off at --timeout
DRIP_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 - "$DRIP_PORT" <<'PY' &
import socket, sys, threading, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8)
def drip(c):
    try:
        c.recv(65536)
        for b in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 100000:
            c.send(bytes([b])); time.sleep(0.5)
    except OSError:
        pass
while True:
    c, _ = s.accept(); threading.Thread(target=drip, args=(c,), daemon=True).start()
PY
DRIP=$!
for _ in $(seq 100); do (: <"/dev/tcp/127.0.0.1/$DRIP_PORT") 2>/dev/null && break; sleep 0.1; done
t0=$(date +%s)
expect_err 3 "did not finish within 3 s" "ward pull from a dripping registry stops at --timeout 3 (exit 3)" \
	timeout 60 "$WARD" pull "127.0.0.1:$DRIP_PORT/slow/img:1" "$T/pulled" --insecure --timeout 3
[ $(($(date +%s) - t0)) -lt 20 ] && pass "within seconds, not minutes" || fail "took $(($(date +%s) - t0)) s"
kill $DRIP 2>/dev/null

# ward db import: a symlinked record is not followed, a FIFO not read, and a
# malformed record's bytes are not quoted back
mkdir -p "$T/osv"
cp "$(ls "$WARD_SHARED"/vulndata/pypi/*.json | head -1)" "$T/osv/good.json"
echo "TOPSECRET-1 password" >"$T/secret.txt"
ln -s "$T/secret.txt" "$T/osv/leak.json"
mkfifo "$T/osv/fifo.json"
echo "TOPSECRET-2 {" >"$T/osv/bad.json"
expect 0 "db import of a tree with a symlink, a FIFO and a malformed record: no hang" \
	W db import "$T/osv" --db "$T/osvdb"
grep -q "leak.json: a symbolic link, not followed" <<<"$ERR" && pass "the symlinked record is named and skipped" ||
	fail "symlink: $ERR"
! grep -q TOPSECRET <<<"$OUT$ERR" && pass "no byte of the symlink's target or of the bad record is quoted" ||
	fail "content quoted: $(grep TOPSECRET <<<"$OUT$ERR")"

# ward deb inspect of a .deb whose fields and script names carry ESC
# sequences and that lacks Version: escaped, "(none)", never "(null)"
python3 - "$T/esc.deb" <<'PY'
import io, sys, tarfile
def tgz(members):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w:gz") as t:
        for name, data in members:
            i = tarfile.TarInfo(name); i.size = len(data); t.addfile(i, io.BytesIO(data))
    return b.getvalue()
control = tgz([("./control", b"Package: evil\x1b[2J\x1b[H\nArchitecture: all\n"
                             b"Description: x\n y\n"),
               ("./postinst\x1b]0;pwned\x07", b"#!/bin/sh\n")])
data = tgz([])
out = b"!<arch>\n"
for name, body in ((b"debian-binary", b"2.0\n"), (b"control.tar.gz", control), (b"data.tar.gz", data)):
    out += b"%-16s%-12s%-6s%-6s%-8s%-10d`\n" % (name, b"0", b"0", b"0", b"100644", len(body)) + body
    if len(body) & 1:
        out += b"\n"
open(sys.argv[1], "wb").write(out)
PY
run W deb inspect "$T/esc.deb"
if [ "$RC" = 0 ] || [ "$RC" = 2 ]; then
	! grep -q "$(printf '\033')" <<<"$OUT$ERR" && ! grep -q "(null)" <<<"$OUT$ERR" &&
		pass "deb inspect: no raw ESC, no (null) (exit $RC)" ||
		fail "deb inspect printed raw bytes or (null): $(printf '%s' "$OUT$ERR" | od -c | head -3)"
else
	fail "deb inspect: exit $RC: $ERR"
fi

# names from an image or a package, printed for a terminal: escaped, so an
# ESC sequence never reaches it and a newline never forges a line
mkdir -p "$T/escroot/etc" && printf x >"$T/escroot/etc/evil"$'\033'"[2J"$'\n'"forged"
check "an image with a file named with ESC and a newline" W image pack "$T/escroot" -o "$T/escimg:v1"
run W image files "$T/escimg:v1"
if [ "$RC" = 0 ] && ! grep -q "$(printf '\033')" <<<"$OUT" && ! grep -q "^forged" <<<"$OUT" &&
	grep -qF 'etc/evil\e[2J\nforged' <<<"$OUT"; then
	pass "image files: the name is escaped (no raw ESC, no forged line)"
else
	fail "image files printed: $(printf '%s' "$OUT" | od -c | grep -m2 '033\|forged')"
fi
run W audit "$T/escimg:v1"
if [ "$RC" = 0 ] && grep -qF 'etc/evil\e[2J\nforged' <<<"$OUT" && ! grep -q "$(printf '\033')" <<<"$OUT" &&
	! grep -q "^forged" <<<"$OUT"; then
	pass "audit table: the image's file names escaped"
else
	fail "audit table (exit $RC): $(printf '%s' "$OUT" | od -c | grep -m2 '033\|forged')"
fi
python3 - "$T/escname.deb" <<'PY'
import io, sys, tarfile
def tgz(members):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w:gz", format=tarfile.GNU_FORMAT) as t:
        for name, data, owner in members:
            i = tarfile.TarInfo(name); i.size = len(data); i.uname = owner; i.gname = owner
            t.addfile(i, io.BytesIO(data))
    return b.getvalue()
control = tgz([("./control", b"Package: esc\nVersion: 1\nArchitecture: all\nDescription: x\n y\n", "root")])
data = tgz([("./usr/evil\x1b[2J\nforged", b"x", "ro\x1b]0;t\x07ot")])
out = b"!<arch>\n"
for name, body in ((b"debian-binary", b"2.0\n"), (b"control.tar.gz", control), (b"data.tar.gz", data)):
    out += b"%-16s%-12s%-6s%-6s%-8s%-10d`\n" % (name, b"0", b"0", b"0", b"100644", len(body)) + body
    if len(body) & 1:
        out += b"\n"
open(sys.argv[1], "wb").write(out)
PY
run W deb contents "$T/escname.deb"
if [ "$RC" = 0 ] && ! grep -q "$(printf '\033')" <<<"$OUT" && ! grep -q "^forged" <<<"$OUT" &&
	[ "$(wc -l <<<"$OUT")" = 1 ]; then
	pass "deb contents: name and owner escaped (as tar -tv), one line"
else
	fail "deb contents (exit $RC): $(printf '%s' "$OUT$ERR" | od -c | head -4)"
fi
# --sha256 writes sha256sum's own format (a newline in a name escaped, the
# line marked with a backslash): one line, and sha256sum -c reads it back
run W deb contents "$T/escname.deb" --sha256
mkdir -p "$T/escx" && dpkg-deb -x "$T/escname.deb" "$T/escx" 2>/dev/null
if [ "$RC" = 0 ] && [ "$(wc -l <<<"$OUT")" = 1 ] && ! grep -q "^forged" <<<"$OUT" &&
	(cd "$T/escx" && sha256sum --quiet -c <<<"$OUT" >/dev/null 2>&1); then
	pass "deb contents --sha256: one line for a name with a newline, sha256sum -c agrees"
else
	fail "deb contents --sha256 (exit $RC): $(printf '%s' "$OUT$ERR" | od -c | head -4)"
fi

# ---- 2: -o never replaces a directory ward did not write --------------------
mkdir -p "$T/project/src"
echo 'int main(void) { return 0; }' >"$T/project/src/main.c"
echo 'name: demo' >"$T/project/ward.yaml"
(cd "$T/project" && find . -type f | sort | xargs sha256sum) >"$T/project.sums"
expect_err 2 "refusing to replace a directory it did not create" "sbom -o an existing project directory: refused" \
	W sbom "$IMG:v1" -o "$T/project"
(cd "$T/project" && sha256sum -c --quiet "$T/project.sums") && [ -f "$T/project/src/main.c" ] &&
	pass "the project is untouched" || fail "the project was changed: $(ls -R "$T/project")"
(cd "$T/project" && expect_err 2 "refusing to replace" "sbom -o \"\$PWD\" refused" W sbom "$IMG:v1" -o "$PWD")
[ -f "$T/project/src/main.c" ] && pass "still there after -o \$PWD" || fail "project erased"
check "sbom -o a new directory" W sbom "$IMG:v1" -o "$T/sbom"
check "sbom -o its own previous output (replaced whole)" W sbom "$IMG:v1" -o "$T/sbom"
touch "$T/sbom/notes.txt"
expect_err 2 "notes.txt" "a user file added to an SBOM directory: no longer replaced" \
	W sbom "$IMG:v1" -o "$T/sbom"
expect_err 2 "refusing to replace" "image pack -o a project directory: refused" \
	W image pack "$T/root" -o "$T/project:v1"
expect_err 2 "refusing to replace" "image unpack into a project directory: refused" \
	W image unpack "$IMG:v1" "$T/project"
[ -f "$T/project/src/main.c" ] && pass "the project survived pack and unpack" || fail "project erased"

# ---- 7: stdout write errors ------------------------------------------------
full() { # full DESCRIPTION CMD...: stdout to /dev/full is exit 3 with a message
	local what=$1
	shift
	"$@" >/dev/full 2>"$T/full.err"
	local rc=$?
	if [ "$rc" = 3 ] && grep -q "standard output: write failed" "$T/full.err"; then
		pass "$what > /dev/full: exit 3"
	else
		fail "$what > /dev/full: exit $rc: $(tail -2 "$T/full.err")"
	fi
}
full "image files" W image files "$IMG:v1"
full "image inspect" W image inspect "$IMG:v1"
full "sbom" W sbom "$IMG:v1" --format cyclonedx
full "audit" W audit "$IMG:v1"
W model sign "$T/model" --key "$T/k.key" >/dev/null 2>&1
full "model verify --json" W model verify "$T/model" --key "$T/k.pub" --json
full "version" W version
W db import "$WARD_SHARED/vulndata/pypi" --db "$T/db" >/dev/null 2>&1
full "scan" W scan "$IMG:v1" --db "$T/db"

# ---- CLI drift: -f is --file and -j is --threads in every command ---------
expect_err 2 "invalid option" "scan -f is not --format (-f is --file everywhere)" \
	W scan "$IMG:v1" -f json --db "$T/db"
W scan "$IMG:v1" --format json --db "$T/db" >/dev/null 2>&1 && pass "scan --format json still works" ||
	fail "scan --format json: exit $?"
expect_err 2 "--threads: expected 1 to 64" "fetch -j is --threads, as in build, audit, release, report" \
	W fetch -j 0
W fetch --help | grep -q -- "-j, --threads N" && pass "fetch --help: -j, --threads" || fail "fetch --help"

finish
