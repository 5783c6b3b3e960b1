#!/usr/bin/env bash
# Python wheels pinned by hash: ward lock chooses one wheel per package for
# the image's interpreter (from a wheelhouse, a loopback simple index, or
# the URLs of a pylock.toml), ward fetch puts them into the cache checked
# by SHA-256.  Real wheels: the ones Debian ships (python3-pip-whl,
# python3-setuptools-whl, python3-wheel-whl).  Bad locks are one-line
# errors with exit 2; a wheel that does not match its hash is exit 1.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/build_lib.sh"

WHL=/usr/share/python-wheels
for w in pip setuptools wheel; do
	ls "$WHL"/$w-*-py3-none-any.whl >/dev/null 2>&1 ||
		{ fail "python3-$w-whl is not installed (scripts/install-deps.sh --test)"; finish; exit 1; }
done

P=$T/p
small_project "$P" || { fail "lock and fetch the small project"; finish; exit 1; }
cp "$P/ward.yaml" "$T/base.yaml"
export WARD_CACHE=$T/cache # wheel tests start from an empty cache

mkdir -p "$P/wheels"
cp "$WHL"/*.whl "$P/wheels/"
sha() { sha256sum "$1" | cut -d' ' -f1; }
PIP=$(basename "$WHL"/pip-*.whl)
SETUPTOOLS=$(basename "$WHL"/setuptools-*.whl)
WHEEL=$(basename "$WHL"/wheel-*.whl)
ver() { echo "$1" | cut -d- -f2; }

# --- requirements.txt (hash-checking mode) + wheelhouse
{
	echo "# pinned with hashes"
	echo "pip==$(ver "$PIP") --hash=sha256:$(sha "$P/wheels/$PIP")"
	echo "setuptools==$(ver "$SETUPTOOLS") \\"
	echo "    --hash=sha256:$(sha "$P/wheels/$SETUPTOOLS")"
	echo "wheel==$(ver "$WHEEL") ; python_version >= '3.7' --hash=sha256:$(sha "$P/wheels/$WHEEL")"
	echo "colorama==0.4.6 ; sys_platform == 'win32' --hash=sha256:$(printf 1%.0s {1..64})"
} >"$P/requirements.txt"
cat "$T/base.yaml" - >"$P/ward.yaml" <<'EOF'
python:
  lock: requirements.txt
  wheelhouse: wheels
EOF
check "ward lock with a requirements file and a wheelhouse" "$WARD" lock -f "$P/ward.yaml" --offline
python3 - "$P/ward.lock" "$P/wheels" <<'PY' && pass "ward.lock pins the three wheels (sorted, digests, sizes, CPython of the lock)" || fail "ward.lock python section"
import hashlib, json, os, sys
l = json.load(open(sys.argv[1]))["python"]
assert l["format"] == "requirements" and l["lock"] == "requirements.txt", l
assert l["python"].startswith("3.11."), l["python"]
assert l["platform"] == "manylinux_2_36_x86_64", l["platform"]
names = [w["name"] for w in l["wheels"]]
assert names == ["pip", "setuptools", "wheel"], names
for w in l["wheels"]:
    p = os.path.join(sys.argv[2], w["filename"])
    assert w["sha256"] == hashlib.sha256(open(p, "rb").read()).hexdigest(), w
    assert w["size"] == os.path.getsize(p) and w["url"] is None, w
PY
check "ward fetch copies the wheels from the wheelhouse into the cache" "$WARD" fetch -f "$P/ward.yaml"
grep -q "3 wheels in" <<<"$ERR" || fail "fetch summary: $ERR"
missing=""
for w in "$PIP" "$SETUPTOOLS" "$WHEEL"; do
	cmp -s "$WARD_CACHE/blobs/sha256/$(sha "$P/wheels/$w")" "$P/wheels/$w" || missing="$missing $w"
done
[ -z "$missing" ] && pass "every wheel is in the cache under its SHA-256" || fail "not in the cache:$missing"

# A changed lock file makes ward.lock stale; ward fetch says so.
echo "# edited" >>"$P/requirements.txt"
expect_err 2 "ward.lock is out of date with $P/requirements.txt" \
	"ward fetch refuses a ward.lock older than the requirements file" "$WARD" fetch -f "$P/ward.yaml"
one_line || fail "stale lock: more than one line: $ERR"
sed -i '$d' "$P/requirements.txt"

# --- a loopback simple index (PEP 691 JSON, then PEP 503 HTML)
mkdir -p "$T/index"
cp "$P/wheels/"*.whl "$T/index/"
start_index() {
	rm -f "$T/port" "$T/index.log"
	python3 "$WARD_SRC/tests/py/simple_index.py" "$T/index" "$T/port" "$T/index.log" "$@" &
	INDEX_PID=$!
	for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.1; done
	INDEX=http://127.0.0.1:$(cat "$T/port")/simple
}
stop_index() { kill "$INDEX_PID" 2>/dev/null; wait "$INDEX_PID" 2>/dev/null; }
trap stop_index EXIT
index_spec() {
	cat "$T/base.yaml" - >"$P/ward.yaml" <<EOF
python:
  lock: requirements.txt
  index: $INDEX
EOF
}
start_index
index_spec
rm -rf "$WARD_CACHE"
check "ward lock against a PEP 691 index" "$WARD" lock -f "$P/ward.yaml" --offline
grep -q "GET /simple/pip/ json 200" "$T/index.log" || fail "the index was not asked for JSON: $(cat "$T/index.log")"
python3 -c 'import json,sys; w=json.load(open(sys.argv[1]))["python"]["wheels"]; assert all(x["url"].startswith(sys.argv[2]) and "/files/" in x["url"] for x in w), w' \
	"$P/ward.lock" "${INDEX%/simple}" && pass "pins carry the index's file URLs (relative links resolved)" || fail "index URLs in ward.lock"
check "ward fetch downloads the wheels from the index" "$WARD" fetch -f "$P/ward.yaml"
grep -q "GET /files/$PIP html 200" "$T/index.log" || fail "pip was not downloaded: $(cat "$T/index.log")"
stop_index

start_index --html-only
index_spec
check "ward lock against a PEP 503 (HTML) index" "$WARD" lock -f "$P/ward.yaml" --offline
cp "$P/ward.lock" "$T/html.lock"
stop_index

# A PEP 503 page without hashes: nothing can be matched to the lock.
start_index --no-hashes --html-only
index_spec
expect_err 2 "no file with a listed --hash in the index" "an index page without digests matches nothing" \
	"$WARD" lock -f "$P/ward.yaml" --offline
stop_index

# --- pylock.toml (PEP 751) with URLs into the index and a local path
start_index
cat >"$P/pylock.toml" <<EOF
lock-version = "1.0"
created-by = "ward tests"
requires-python = ">=3.9"

[[packages]]
name = "pip"
version = "$(ver "$PIP")"
wheels = [{url = "${INDEX%/simple}/files/$PIP", hashes = {sha256 = "$(sha "$P/wheels/$PIP")"}}]

[[packages]]
name = "wheel"
version = "$(ver "$WHEEL")"

[[packages.wheels]]
path = "wheels/$WHEEL"
size = $(stat -c %s "$P/wheels/$WHEEL")
hashes = {sha256 = "$(sha "$P/wheels/$WHEEL")"}

[[packages]]
name = "colorama"
version = "0.4.6"
marker = "sys_platform == 'win32'"
sdist = {url = "https://files.invalid/colorama-0.4.6.tar.gz", hashes = {sha256 = "$(printf 2%.0s {1..64})"}}
EOF
cat "$T/base.yaml" - >"$P/ward.yaml" <<'EOF'
python:
  lock: pylock.toml
EOF
rm -rf "$WARD_CACHE"
check "ward lock with a pylock.toml" "$WARD" lock -f "$P/ward.yaml" --offline
python3 -c '
import json,sys
l = json.load(open(sys.argv[1]))["python"]
assert l["format"] == "pylock" and [w["name"] for w in l["wheels"]] == ["pip", "wheel"], l
assert l["wheels"][1]["url"] == "path:wheels/" + sys.argv[2], l["wheels"][1]
assert l["wheels"][0]["size"] > 0' "$P/ward.lock" "$WHEEL" && pass "pylock: a URL wheel (size learnt, checked) and a path wheel" || fail "pylock pins: $(cat "$P/ward.lock" | tail -30)"
check "ward fetch of a pylock.toml" "$WARD" fetch -f "$P/ward.yaml"
stop_index

# --- refusals: each one line, exit 2, nothing written
lock_bad() {
	local needle=$1 what=$2
	rm -f "$P/ward.lock"
	expect_err 2 "$needle" "$what" "$WARD" lock -f "$P/ward.yaml" --offline
	one_line || fail "$what: more than one line: $ERR"
	[ ! -e "$P/ward.lock" ] || fail "$what: ward.lock was written"
}
sed -i 's/^hashes = {sha256 = "[0-9a-f]*"}/hashes = {md5 = "00"}/' "$P/pylock.toml"
lock_bad "wheels[0] ($WHEEL): no sha256 hash" "pylock: a wheel without a sha256 hash"

cat "$T/base.yaml" - >"$P/ward.yaml" <<'EOF'
python:
  lock: requirements.txt
  wheelhouse: wheels
EOF
cp "$P/requirements.txt" "$T/req.good"
sed -i "s/^pip==\(.*\) --hash=.*/pip==\1/" "$P/requirements.txt"
lock_bad "requirements.txt:2: no --hash=sha256: for \"pip\"" "requirements: a line without a hash"
cp "$T/req.good" "$P/requirements.txt"

# A wheel for another interpreter: the error names the tag.
BAD=pip-$(ver "$PIP")-cp312-cp312-manylinux_2_17_x86_64.whl
mv "$P/wheels/$PIP" "$P/wheels/$BAD"
lock_bad "no wheel runs on the image (CPython 3.11" "a wheel for CPython 3.12 (tag named)"
grep -qF "$BAD: tag cp312-cp312 needs another Python" <<<"$ERR" || fail "the tag is not named: $ERR"
mv "$P/wheels/$BAD" "$P/wheels/$PIP"

sed -i 's/^  wheelhouse: wheels/  wheelhouse: wheels\n  frobnicate: 1/' "$P/ward.yaml"
lock_bad 'unknown key "frobnicate"' "an unknown key under python:"
sed -i '/frobnicate/d' "$P/ward.yaml"

# A wheel replaced after ward lock: fetch refuses it (exit 1), caches nothing.
check "lock again" "$WARD" lock -f "$P/ward.yaml" --offline
check "fetch" "$WARD" fetch -f "$P/ward.yaml" --offline
rm -f "$WARD_CACHE/blobs/sha256/$(sha "$P/wheels/$WHEEL")"
cp "$P/wheels/$WHEEL" "$T/wheel.orig"
printf 'x' >>"$P/wheels/$WHEEL"
run "$WARD" fetch -f "$P/ward.yaml" --offline
[ "$RC" != 0 ] && grep -q "wheel $(ver "$WHEEL")" <<<"$ERR" && pass "a wheelhouse file that no longer matches is refused" ||
	fail "tampered wheel: exit $RC: $ERR"
[ ! -e "$WARD_CACHE/blobs/sha256/$(sha "$T/wheel.orig")" ] || fail "the tampered wheel was cached"
cp "$T/wheel.orig" "$P/wheels/$WHEEL"

# Until wheels are installed by ward build, a build with python: stops
# (exit 2) instead of leaving them out of the image.
check "fetch again" "$WARD" fetch -f "$P/ward.yaml" --offline
rm -rf "$T/img"
expect_err 2 "python: ward build does not install wheels yet" "ward build refuses python: for now" \
	"$WARD" build -f "$P/ward.yaml" -o "$T/img" --init "$WARD_INIT"
[ ! -e "$T/img" ] || fail "ward build wrote an image without the wheels"

finish
