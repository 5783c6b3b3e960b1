#!/usr/bin/env bash
# Package layers are reused per package set: after a package is added to
# the lock (a framework: libyaml-0-2), the package stage runs again, but the
# base-library and interpreter layers hold exactly what they held and are
# taken from the layer cache (not compressed again); only the frameworks
# layer is written.  The image is the same, byte for byte, as one built
# with no layer cache and another thread count; the next unchanged build
# skips the package stage entirely.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/build_lib.sh"

P=$T/p
small_project "$P" || { fail "lock and fetch the small project"; finish; exit 1; }
# a private cache holding only the locked .debs: no layer of another test
C=$T/cache
private_cache "$C" "$P/ward.lock"
B=(build -f "$P/ward.yaml" --cache "$C" --key "$T/signing.key" --init "$WARD_INIT" --json)
# cached NAME JSON: "true"/"false" for the layer of that name
cached() { python3 -c 'import json,sys
d=json.load(open(sys.argv[1]))
print({l["name"]: l["cached"] for l in d["layers"]}.get(sys.argv[2], "absent"))' "$2" "$1"; }

run "$WARD" "${B[@]}" -o "$T/a"
[ "$RC" = 0 ] && echo "$OUT" >"$T/a.json" && [ "$(cached base "$T/a.json")" = False ] &&
	pass "first build: every layer written" || fail "first build (exit $RC): $ERR"

sed -i 's/^  - python3-minimal$/  - python3-minimal\n  - libyaml-0-2/' "$P/ward.yaml"
check "lock with libyaml-0-2 added" "$WARD" lock -f "$P/ward.yaml" --offline
check "fetch it" "$WARD" fetch -f "$P/ward.yaml"
private_cache "$C" "$P/ward.lock"
run "$WARD" "${B[@]}" -o "$T/b"
echo "$OUT" >"$T/b.json"
[ "$RC" = 0 ] && [ "$(cached base "$T/b.json")" = True ] && [ "$(cached python "$T/b.json")" = True ] &&
	[ "$(cached frameworks "$T/b.json")" = False ] &&
	pass "one package added: base and python layers reused from the cache, frameworks written" ||
	fail "reuse (exit $RC): base $(cached base "$T/b.json") python $(cached python "$T/b.json") frameworks $(cached frameworks "$T/b.json") $ERR"
DB=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["digest"])' "$T/b.json")

run "$WARD" build -f "$P/ward.yaml" --cache "$C" --key "$T/signing.key" --init "$WARD_INIT" --json \
	-o "$T/c" --no-layer-cache --threads 1
[ "$RC" = 0 ] && [ "$(python3 -c 'import json,sys; print(json.load(sys.stdin)["digest"])' <<<"$OUT")" = "$DB" ] &&
	pass "the same image with no layer cache and one thread ($DB)" ||
	{ fail "digest differs from the uncached build: $DB vs $OUT $ERR"; explain_diff "$T/b" "$T/c"; }

run "$WARD" "${B[@]}" -o "$T/d"
echo "$OUT" >"$T/d.json"
[ "$RC" = 0 ] && [ "$(cached frameworks "$T/d.json")" = True ] && [ "$(cached base "$T/d.json")" = True ] &&
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["digest"]==sys.argv[2]' "$T/d.json" "$DB" &&
	pass "unchanged again: every package layer from the cache, same digest" ||
	fail "unchanged rebuild (exit $RC): $(cat "$T/d.json") $ERR"
python3 - "$T/d.build.json" <<'PY' && pass "the unchanged rebuild skipped the package stage (no unpack step)" || fail "the package stage ran again"
import json, sys
steps = [s["name"] for s in json.load(open(sys.argv[1]))["steps"]]
assert not any("unpack" in s for s in steps), steps
PY

finish
