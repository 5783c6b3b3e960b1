#!/usr/bin/env bash
# ward fetch: parallel verified downloads from a local HTTP mirror that
# misbehaves on request (connection cut mid-body, corrupt bytes, missing
# files, no server), resume, offline mode, corrupt cached blobs, a full
# disk (tmpfs), --from; then a small closure from the real Debian mirror,
# checked with sha256sum and dpkg-deb.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/deb_lib.sh"
export WARD_APT_LISTS="$T/no-apt-lists"

deb_gpg_setup || { fail "gpg cannot make a key"; finish; exit; }
M="$T/mirror"
P="$M/pool/wardtest"
big_payload() { head -c 3000000 /dev/urandom >"$1/usr/share/doc/big/payload"; }
make_deb "$P" big 1.0 amd64 "" none big_payload
make_deb "$P" small-one 1.0 amd64
make_deb "$P" small-two 1:2.0-1 amd64
make_deb "$P" small-three 1.0 all
make_deb "$P" app 1.0 amd64 "Depends: big, small-one, small-two (>= 1:2), small-three"
make_suite "$M" wardtest
start_mirror "$M"

mkdir -p "$T/p"
cat >"$T/p/ward.yaml" <<EOF
name: fetchtest
sources:
  - suites: [wardtest]
    mirror: $MIRROR_URL
    keyring: $KEYRING
packages: [app]
EOF
F=(-f "$T/p/ward.yaml")
check "ward lock --download" "$WARD" lock "${F[@]}" --download --cache "$T/c0"
blob_of() { python3 -c 'import json,sys
print([p["sha256"] for p in json.load(open(sys.argv[1]))["packages"] if p["name"]==sys.argv[2]][0])' "$T/p/ward.lock" "$1"; }
BIG=$(blob_of big)
# blobs_ok CACHE: every file in blobs/sha256 is named by its own SHA-256.
blobs_ok() {
	local f
	for f in "$1"/blobs/sha256/*; do
		[ -e "$f" ] || continue
		[ "$(sha256sum <"$f" | cut -d' ' -f1)" = "$(basename "$f")" ] || return 1
	done
}
count_blobs() { find "$1/blobs/sha256" -type f 2>/dev/null | wc -l; }

# ---- a clean parallel fetch -----------------------------------------------------
: >"$MIRROR_LOG"
check "ward fetch --threads 3" "$WARD" fetch "${F[@]}" --cache "$T/c1" --threads 3 --json
grep -q '"downloaded": 5' <<<"$OUT" && pass "5 downloaded" || fail "fetch: $OUT"
python3 - "$T/p/ward.lock" "$M" "$T/c1" <<'PY' && pass "every blob is the pool's file (sha256 by Python)" || fail "fetched blobs do not match"
import hashlib, json, os, sys
lock, mirror, cache = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]
for p in lock["packages"]:
    want = open(os.path.join(mirror, p["filename"]), "rb").read()
    got = open(os.path.join(cache, "blobs/sha256", p["sha256"]), "rb").read()
    assert want == got and hashlib.sha256(got).hexdigest() == p["sha256"], p["name"]
PY
if [ "$(count_blobs "$T/c1")" = 5 ] && blobs_ok "$T/c1" && [ -z "$(ls -A "$T/c1/partial")" ]; then pass "5 blobs, named by their digest, nothing left in partial/"; else fail "cache content: $(find "$T/c1" -type f)"; fi
if [ "$(stat -c %a "$T/c1/blobs/sha256/$BIG")" = 444 ]; then pass "blobs are read-only"; else fail "blob mode $(stat -c %a "$T/c1/blobs/sha256/$BIG")"; fi
: >"$MIRROR_LOG"
check "second fetch" "$WARD" fetch "${F[@]}" --cache "$T/c1" --json
if [ ! -s "$MIRROR_LOG" ] && grep -q '"cached": 5' <<<"$OUT"; then pass "second fetch: everything cached, no request"; else fail "second fetch went to the network: $(cat "$MIRROR_LOG")"; fi

# ---- a connection cut mid-body is resumed with a Range request --------------------
stop_mirror
start_mirror "$M" --cut big_:1:1000000
sed -i "s|mirror: .*|mirror: $MIRROR_URL|" "$T/p/ward.yaml"
check "fetch survives a cut connection" "$WARD" fetch "${F[@]}" --cache "$T/c2"
if grep -q "big_1.0_amd64.deb - 200 cut" "$MIRROR_LOG" && grep -q "big_1.0_amd64.deb bytes=1000000- 206" "$MIRROR_LOG"; then pass "resumed at byte 1000000 (Range, 206)"; else fail "no resume: $(cat "$MIRROR_LOG")"; fi
blobs_ok "$T/c2" && [ -e "$T/c2/blobs/sha256/$BIG" ] && pass "the resumed blob verifies" || fail "resumed blob wrong"

# ---- a connection that always breaks: clear error, no blob ------------------------
stop_mirror
start_mirror "$M" --cut big_:100:500000
sed -i "s|mirror: .*|mirror: $MIRROR_URL|" "$T/p/ward.yaml"
expect_err 3 "big 1.0" "network failure mid-download fails after retries" \
	"$WARD" fetch "${F[@]}" --cache "$T/c3" --retries 2
last=$(tail -1 <<<"$ERR")
if grep -q "^ward: big 1.0: $MIRROR_URL/pool/wardtest/big_1.0_amd64.deb: " <<<"$last" && grep -q "after" <<<"$last"; then pass "one-line error names the package and URL: $last"; else fail "error: $ERR"; fi
[ ! -e "$T/c3/blobs/sha256/$BIG" ] && blobs_ok "$T/c3" && pass "no blob for the broken download; the others verify" || fail "half-written blob in the cache"
[ "$(grep -c 'big_1.0_amd64.deb' "$MIRROR_LOG")" = 3 ] && pass "1 + 2 retries" || fail "attempts: $(grep -c big_ "$MIRROR_LOG")"
# The next run resumes from what the failed one kept in partial/.
stop_mirror
start_mirror "$M"
sed -i "s|mirror: .*|mirror: $MIRROR_URL|" "$T/p/ward.yaml"
check "a later run completes it" "$WARD" fetch "${F[@]}" --cache "$T/c3"
grep -q "big_1.0_amd64.deb bytes=1500000- 206" "$MIRROR_LOG" && blobs_ok "$T/c3" && [ -e "$T/c3/blobs/sha256/$BIG" ] &&
	pass "each attempt resumed (3 x 500000 bytes kept), the next run too" || fail "no resume across runs: $(cat "$MIRROR_LOG")"

# ---- the mirror sends wrong bytes ----------------------------------------------------
stop_mirror
start_mirror "$M" --corrupt small-one_
sed -i "s|mirror: .*|mirror: $MIRROR_URL|" "$T/p/ward.yaml"
expect_err 1 "small-one 1.0: downloaded" "corrupt download fails verification" \
	"$WARD" fetch "${F[@]}" --cache "$T/c4" --retries 1
[ "$(count_blobs "$T/c4")" = 4 ] && [ -z "$(ls -A "$T/c4/partial")" ] && pass "nothing of the bad file is kept" || fail "bad file kept: $(find "$T/c4" -type f)"

# ---- missing on the mirror ---------------------------------------------------------------
stop_mirror
start_mirror "$M"
sed -i "s|mirror: .*|mirror: $MIRROR_URL|" "$T/p/ward.yaml"
mv "$P/small-three_1.0_all.deb" "$T/small-three.deb"
expect_err 3 "not found on the mirror (HTTP 404)" "a 404 is not retried" "$WARD" fetch "${F[@]}" --cache "$T/c5"
[ "$(grep -c small-three "$MIRROR_LOG")" = 1 ] && pass "one request for the missing file" || fail "404 retried"
mv "$T/small-three.deb" "$P/small-three_1.0_all.deb"

# ---- a lock that no longer matches ward.yaml ---------------------------------------------
cp "$T/p/ward.yaml" "$T/p/ward.yaml.orig"
sed -i 's/^packages: \[app\]/packages: [app, small-one]/' "$T/p/ward.yaml"
expect_err 2 "ward.lock is out of date with ward.yaml (packages changed)" "stale lock refused" \
	"$WARD" fetch "${F[@]}" --cache "$T/c5"
cp "$T/p/ward.yaml.orig" "$T/p/ward.yaml"

# ---- offline ------------------------------------------------------------------------------
: >"$MIRROR_LOG"
expect_err 3 "offline: 5 of 5 packages are not in the cache" "--offline on an empty cache" \
	"$WARD" fetch "${F[@]}" --cache "$T/c6" --offline
if grep -q "missing big 1.0 (sha256 $BIG)" <<<"$ERR" && [ ! -s "$MIRROR_LOG" ]; then pass "lists what is missing, touches no network"; else fail "offline output: $ERR / $(cat "$MIRROR_LOG")"; fi
check "--offline with a full cache" "$WARD" fetch "${F[@]}" --cache "$T/c1" --offline

# ---- a corrupt blob in the cache -------------------------------------------------------------
chmod u+w "$T/c1/blobs/sha256/$BIG"
printf 'X' | dd of="$T/c1/blobs/sha256/$BIG" bs=1 seek=123456 conv=notrunc status=none
expect_err 3 "offline: 1 of 5" "offline: a bit-flipped blob is found and reported" \
	"$WARD" fetch "${F[@]}" --cache "$T/c1" --offline
grep -q "is corrupt" <<<"$ERR" && [ ! -e "$T/c1/blobs/sha256/$BIG" ] && pass "the corrupt blob is deleted, never used" || fail "corrupt blob: $ERR"
printf 'X' >>"$T/c2/blobs/sha256/$(blob_of small-two)" 2>/dev/null || { chmod u+w "$T/c2/blobs/sha256/$(blob_of small-two)"; printf 'X' >>"$T/c2/blobs/sha256/$(blob_of small-two)"; }
check "online: a corrupt blob is fetched again" "$WARD" fetch "${F[@]}" --cache "$T/c2" --json
grep -q '"corrupt_copy_deleted": true' <<<"$OUT" && blobs_ok "$T/c2" && [ "$(count_blobs "$T/c2")" = 5 ] && pass "re-fetched and verified" || fail "re-fetch: $OUT"

# ---- --from a local directory (apt's archive names) ------------------------------------------
mkdir -p "$T/archives"
cp "$P"/*.deb "$T/archives/"
mv "$T/archives/small-two_1:2.0-1_amd64.deb" "$T/archives/small-two_1%3a2.0-1_amd64.deb"
: >"$MIRROR_LOG"
check "--from DIR" "$WARD" fetch "${F[@]}" --cache "$T/c7" --from "$T/archives" --json
grep -q '"copied": 5' <<<"$OUT" && [ ! -s "$MIRROR_LOG" ] && blobs_ok "$T/c7" && pass "copied and verified, no download" || fail "--from: $OUT"

# ---- no server at all -------------------------------------------------------------------------
stop_mirror
expect_err 3 "connect to 127.0.0.1" "mirror down: a clear error" "$WARD" fetch "${F[@]}" --cache "$T/c8" --retries 1 -j 1

# ---- disk full (a 1 MB tmpfs) -------------------------------------------------------------------
start_mirror "$M"
sed -i "s|mirror: .*|mirror: $MIRROR_URL|" "$T/p/ward.yaml"
mkdir -p "$T/tiny"
if mount -t tmpfs -o size=1m ward-test-tiny "$T/tiny" 2>/dev/null; then
	expect_err 3 "No space left on device" "disk full: a clear error" "$WARD" fetch "${F[@]}" --cache "$T/tiny" -j 1
	last=$(tail -1 <<<"$ERR")
	[ "${last#ward: }" != "$last" ] && pass "error: $last" || fail "error: $ERR"
	if [ ! -e "$T/tiny/blobs/sha256/$BIG" ] && [ -z "$(ls -A "$T/tiny/partial")" ] && blobs_ok "$T/tiny"; then pass "nothing half-written in the cache"; else fail "full disk left: $(find "$T/tiny" -type f)"; fi
	umount "$T/tiny"
else
	echo "skip - cannot mount a tmpfs (not root)"
fi
stop_mirror

# ---- the real Debian mirror: a small closure -------------------------------------------------------
unset WARD_APT_LISTS
if ls /var/lib/apt/lists/*_InRelease >/dev/null 2>&1 && grep -rqs '^[^#]*\(URIs:\|deb \)' /etc/apt/sources.list /etc/apt/sources.list.d/; then
	mkdir -p "$T/real"
	cat >"$T/real/ward.yaml" <<'EOF'
name: real
sources:
  - suites: [bookworm, bookworm-updates]
  - suites: [bookworm-security]
packages: [zlib1g, libzstd1]
EOF
	check "lock a small closure on the apt lists" "$WARD" lock -f "$T/real/ward.yaml" --offline
	check "fetch it from the configured mirror" "$WARD" fetch -f "$T/real/ward.yaml" --cache "$T/rc" --jobs 4
	ok=1
	while read -r name sha size; do
		f="$T/rc/blobs/sha256/$sha"
		[ "$(sha256sum <"$f" | cut -d' ' -f1)" = "$sha" ] && [ "$(stat -c %s "$f")" = "$size" ] || { ok=0; echo "digest mismatch: $name"; }
		[ "$(dpkg-deb -f "$f" Package)" = "$name" ] || { ok=0; echo "not $name: $f"; }
		diff <(dpkg-deb -f "$f") <("$WARD" deb control "$f") >/dev/null || { ok=0; echo "control differs: $name"; }
		diff <(TZ=UTC dpkg-deb -c "$f" | tr -s ' ') <("$WARD" deb contents "$f" | tr -s ' ') >/dev/null || { ok=0; echo "contents differ: $name"; }
	done < <(python3 -c 'import json,sys
for p in json.load(open(sys.argv[1]))["packages"]: print(p["name"], p["sha256"], p["size"])' "$T/real/ward.lock")
	[ "$ok" = 1 ] && pass "real mirror: sha256sum and dpkg-deb -f/-c agree with the lock and ward" || fail "real mirror checks failed"
else
	echo "skip - no apt sources or lists on this machine"
fi

finish
