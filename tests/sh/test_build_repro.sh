#!/usr/bin/env bash
# Reproducibility: the same lockfile and inputs give the same image digest
# whatever the thread count, the build directory, the cache state (a cold
# cache holding only the .debs vs the warm layer cache) and the wall clock
# (faketime).  On a mismatch, diffoscope says why.  Also: a changed app file
# changes only the app layer; --compression zstd is reproducible too.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/build_lib.sh"
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 # faketime preloads

A=$T/a/project
small_project "$A" || { fail "lock and fetch the small project"; finish; exit 1; }

# A cold cache: the locked .debs (hard links), no layer, no index.
COLD=$T/cold
mkdir -p "$COLD/blobs/sha256"
for sha in $(python3 -c 'import json,sys
for p in json.load(open(sys.argv[1]))["packages"]: print(p["sha256"])' "$A/ward.lock"); do
	ln "$CACHE/blobs/sha256/$sha" "$COLD/blobs/sha256/$sha" 2>/dev/null || cp "$CACHE/blobs/sha256/$sha" "$COLD/blobs/sha256/$sha"
done

[ "$(faketime '2001-02-03 04:05:06' date -u +%Y)" = 2001 ] || fail "faketime does not fake the clock here"

# Build 1: cold cache, 1 thread, faked clock in 2001.
run faketime '2001-02-03 04:05:06' "$WARD" build -f "$A/ward.yaml" -o "$T/a/out" --cache "$COLD" --threads 1 \
	--key "$T/signing.key" --init "$WARD_INIT"
D1=$(echo "$OUT" | tail -1)
[ "$RC" = 0 ] && pass "build 1: cold cache, 1 thread, clock at 2001 -> $D1" || fail "build 1 (exit $RC): $(echo "$ERR" | tail -3)"
[ -f "$A/model/model.sig" ] || fail "build 1 wrote no model signature"

# Build 2: another directory (the project copied with its ward.lock and the
# model signature, which is an input like the lock), the shared cache, 4
# threads, the real clock.
B=$T/b/elsewhere/project
mkdir -p "$(dirname "$B")"
cp -r "$A" "$B"
run "$WARD" build -f "$B/ward.yaml" -o "$T/b/out" --threads 4 --key "$T/signing.key" --init "$WARD_INIT"
D2=$(echo "$OUT" | tail -1)
[ "$RC" = 0 ] && pass "build 2: other directory, shared cache, 4 threads -> $D2" || fail "build 2 (exit $RC): $(echo "$ERR" | tail -3)"

# Build 3: warm layer cache (build 2 filled it), faked clock in 2038.
run faketime '2038-01-01 00:00:00' "$WARD" build -f "$B/ward.yaml" -o "$T/c/out" --threads 2 --json \
	--key "$T/signing.key" --init "$WARD_INIT"
D3=$(python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["digest"])' <<<"$OUT" 2>/dev/null)
cached=$(python3 -c 'import json,sys; j=json.loads(sys.stdin.read()); print(sum(l["cached"] for l in j["layers"]), len(j["layers"]))' <<<"$OUT" 2>/dev/null)
[ "$RC" = 0 ] && [ "${cached% *}" = "${cached#* }" ] && pass "build 3: every layer from the layer cache ($cached), clock at 2038 -> $D3" ||
	fail "build 3 (exit $RC, cached $cached): $(echo "$ERR" | tail -3)"

if [ -n "$D1" ] && [ "$D1" = "$D2" ] && [ "$D2" = "$D3" ]; then
	pass "identical digests: threads, directories, cold/warm cache and clock change nothing"
else
	fail "digests differ: $D1 / $D2 / $D3"
	echo "---- diffoscope $T/a/out $T/b/out"
	explain_diff "$T/a/out" "$T/b/out"
fi
python3 - "$T/a/out.build.json" "$T/b/out.build.json" <<'PY' && pass "the build records list the same paths, owners and digests" || fail "records differ"
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
assert a["paths"] == b["paths"]
assert [l["diff_id"] for l in a["layers"]] == [l["diff_id"] for l in b["layers"]]
PY

# One app file changed: only the app layer differs (the others come from the cache).
echo "# changed" >>"$B/app/server.py"
run "$WARD" build -f "$B/ward.yaml" -o "$T/d/out" --json --key "$T/signing.key" --init "$WARD_INIT"
python3 - "$T/b/out.build.json" "$T/d/out.build.json" <<'PY' && pass "one app file changed: only the app layer is new, the rest reused from the layer cache" || fail "app change: $(echo "$ERR" | tail -2)"
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
for x, y in zip(a["layers"], b["layers"]):
    same = x["digest"] == y["digest"]
    assert same == (x["name"] != "app"), (x["name"], same)
    assert y["cached"] == (x["name"] != "app"), (y["name"], y["cached"])
PY

# zstd: reproducible across thread counts too.
run "$WARD" build -f "$B/ward.yaml" -o "$T/z1" --compression zstd --threads 1 --no-layer-cache --key "$T/signing.key" --init "$WARD_INIT"
Z1=$(echo "$OUT" | tail -1)
run "$WARD" build -f "$B/ward.yaml" -o "$T/z2" --compression zstd --threads 3 --key "$T/signing.key" --init "$WARD_INIT"
Z2=$(echo "$OUT" | tail -1)
[ -n "$Z1" ] && [ "$Z1" = "$Z2" ] && [ "$Z1" != "$D2" ] && skopeo inspect "oci:$T/z2:1" >/dev/null 2>&1 &&
	pass "--compression zstd: same digest for 1 and 3 threads, readable by skopeo" || fail "zstd: $Z1 / $Z2"

finish
