#!/usr/bin/env bash
# The unpacked-package cache (<cache>/unpacked/<sha256 of the .deb>/): the
# first build records every package's tree, a later build whose package
# layers are not cached reads the trees instead of decompressing the .debs,
# and the image is the same, byte for byte, as one built from the .debs
# with no cache and another thread count.  A damaged tree -- a file
# changed, short or missing, an index edited or cut, a leftover of an
# interrupted run -- is never used: a warning names it, the .deb is
# unpacked and recorded again, and the digest does not move.
# --no-layer-cache (ward release's and verify --rebuild's independent
# build) neither reads nor writes the trees.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/build_lib.sh"

P=$T/p
small_project "$P" || { fail "lock and fetch the small project"; finish; exit 1; }
C=$T/cache
private_cache "$C" "$P/ward.lock"
NPKG=$(ls "$C/blobs/sha256" | wc -l)
U=$C/unpacked
B=(build -f "$P/ward.yaml" --cache "$C" --key "$T/signing.key" --init "$WARD_INIT" --json)
field() { python3 -c 'import json,sys; print(json.loads(sys.stdin.read())[sys.argv[1]])' "$1" <<<"$OUT"; }

# build NAME [ARGS...]: a build whose package layers are not cached
build() {
	local name=$1
	shift
	rm -rf "$C/layers"
	run "$WARD" "${B[@]}" -o "$T/$name" "$@"
}

build a
[ "$RC" = 0 ] && [ "$(field packages_from_unpacked_cache)" = 0 ] &&
	[ "$(ls "$U" | wc -l)" = "$NPKG" ] && [ -z "$(ls "$U" | grep -v '^[0-9a-f]\{64\}$')" ] &&
	pass "first build: every package unpacked from its .deb, $NPKG trees recorded under their .deb digest" ||
	fail "first build (exit $RC): from cache $(field packages_from_unpacked_cache 2>/dev/null), trees: $(ls "$U" 2>&1 | head -3) $ERR"
DA=$(field digest)

build b
[ "$RC" = 0 ] && [ "$(field packages_from_unpacked_cache)" = "$NPKG" ] && [ "$(field digest)" = "$DA" ] &&
	! grep -q "unpacked-package cache" <<<"$ERR" &&
	pass "second build: all $NPKG packages from their trees, same digest ($DA)" ||
	fail "second build (exit $RC): from cache $(field packages_from_unpacked_cache 2>/dev/null), digest $(field digest 2>/dev/null) vs $DA $ERR"
python3 - "$T/b.build.json" <<'PY' && pass "the build record still has the unpack step (the package stage ran)" ||
import json, sys
steps = [s["name"] for s in json.load(open(sys.argv[1]))["steps"]]
assert "unpack packages" in steps, steps
PY
	fail "no unpack step in the record"

# an independent build: no cache read or written, same bytes, one thread
ls -lR --full-time "$U" >"$T/trees.before"
run "$WARD" build -f "$P/ward.yaml" --cache "$C" --key "$T/signing.key" --init "$WARD_INIT" --json \
	-o "$T/c" --no-layer-cache --threads 1
ls -lR --full-time "$U" >"$T/trees.after"
[ "$RC" = 0 ] && [ "$(field digest)" = "$DA" ] && [ "$(field packages_from_unpacked_cache)" = 0 ] &&
	cmp -s "$T/trees.before" "$T/trees.after" &&
	pass "--no-layer-cache --threads 1: from the .debs, same digest, the trees untouched" ||
	fail "--no-layer-cache (exit $RC): $(field digest 2>/dev/null) vs $DA, from cache $(field packages_from_unpacked_cache 2>/dev/null) $(diff "$T/trees.before" "$T/trees.after" | head -5) $ERR"

# The package with the most regular files: the one to damage.
read -r VICTIM NAME < <(python3 - "$U" "$P/ward.lock" <<'PY'
import json, os, sys
names = {p["sha256"]: p["name"] for p in json.load(open(sys.argv[2]))["packages"]}
best = max(os.listdir(sys.argv[1]), key=lambda d: len([f for f in os.listdir(os.path.join(sys.argv[1], d)) if f.startswith("f")]))
print(best, names[best])
PY
)
V=$U/$VICTIM
# the largest file of that tree, and what its index says about it
BIG=$(ls -S "$V" | grep '^f' | head -1)

# damaged DESCRIPTION: the next build warns about the victim, unpacks its
# .deb again (one package less from the cache), same digest, and leaves a
# good tree: the build after it reads every package from the cache again.
damaged() {
	build d
	if [ "$RC" = 0 ] && [ "$(field digest)" = "$DA" ] &&
		[ "$(field packages_from_unpacked_cache)" = "$((NPKG - 1))" ] &&
		grep -q "unpacked-package cache of $NAME .* is damaged (.*$1.*): unpacking the .deb again" <<<"$ERR"; then
		build e
		if [ "$RC" = 0 ] && [ "$(field digest)" = "$DA" ] && [ "$(field packages_from_unpacked_cache)" = "$NPKG" ] &&
			! grep -q "damaged" <<<"$ERR"; then
			pass "$2: warned ($1), unpacked from the .deb, recorded again, same digest"
		else
			fail "$2: the tree was not recorded again (exit $RC): $(field packages_from_unpacked_cache 2>/dev/null) $ERR"
		fi
	else
		fail "$2 (exit $RC): digest $(field digest 2>/dev/null) vs $DA, from cache $(field packages_from_unpacked_cache 2>/dev/null): $ERR"
	fi
}

chmod u+w "$V/$BIG"
flip_byte "$V/$BIG" 7
damaged "contents differ from the index" "one byte of a file changed"

chmod u+w "$V/$BIG"
truncate -s -1 "$V/$BIG"
damaged "not the size in the index" "a file cut short"

rm -f "$V/$BIG"
damaged "missing" "a file removed"

chmod u+w "$V/index"
truncate -s -20 "$V/index"
damaged "malformed" "the index cut (an interrupted copy)"

# an entry's mode edited (setuid on a file) without the index's digest
chmod u+w "$V/index"
python3 - "$V/index" <<'PY'
import sys
p = sys.argv[1]
lines = open(p, "rb").read().split(b"\n")
for i, l in enumerate(lines):
    if l.startswith(b"e f 644 "):
        lines[i] = l.replace(b"e f 644 ", b"e f 4755 ", 1)
        break
open(p, "wb").write(b"\n".join(lines))
PY
damaged "malformed" "an entry's mode edited in the index"

chmod u+w "$V/m-control"
echo "Essential: yes" >>"$V/m-control"
damaged "m-control: contents differ" "the kept control paragraph edited"

rm -f "$V/index"
damaged "no index" "a tree without its index"

# A leftover of an interrupted recording (nobody holds its lock) is removed
# when the package is recorded next; the tree itself is not touched.
mkdir -p "$U/$VICTIM.tmp-999999-1" && echo partial >"$U/$VICTIM.tmp-999999-1/f0"
rm -rf "$V"
build f
[ "$RC" = 0 ] && [ "$(field digest)" = "$DA" ] && [ ! -e "$U/$VICTIM.tmp-999999-1" ] && [ -f "$V/index" ] &&
	pass "an interrupted recording's leftover is removed and the tree recorded whole" ||
	fail "leftover (exit $RC): $(ls "$U" | grep tmp) $ERR"

# The cache cannot be written (its directory is in the way): the build
# goes on and says so, with the same image.
rm -rf "$U"
echo "not a directory" >"$U"
build g
[ "$RC" = 0 ] && [ "$(field digest)" = "$DA" ] && grep -q "unpacked-package cache: cannot create $U" <<<"$ERR" &&
	[ "$(cat "$U")" = "not a directory" ] &&
	pass "an unwritable cache: the build goes on without it (warned), same digest, nothing replaced" ||
	fail "unwritable cache (exit $RC): $ERR"
rm -f "$U"

# Two builds at once sharing the cache: both succeed with the same image
# and one tree stays for each package.
rm -rf "$U" "$C/layers"
"$WARD" "${B[@]}" -o "$T/h1" >"$T/h1.json" 2>"$T/h1.err" &
p1=$!
"$WARD" "${B[@]}" -o "$T/h2" >"$T/h2.json" 2>"$T/h2.err" &
p2=$!
wait $p1
r1=$?
wait $p2
r2=$?
d1=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["digest"])' "$T/h1.json" 2>/dev/null)
d2=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["digest"])' "$T/h2.json" 2>/dev/null)
[ "$r1" = 0 ] && [ "$r2" = 0 ] && [ "$d1" = "$DA" ] && [ "$d2" = "$DA" ] &&
	[ "$(ls "$U" | wc -l)" = "$NPKG" ] && ! grep -q "damaged\|not recorded" "$T/h1.err" "$T/h2.err" &&
	pass "two builds filling the cache at once: both $DA, one tree per package" ||
	fail "concurrent builds: $r1 $r2 $d1 $d2 $(ls "$U" | grep -v '^[0-9a-f]\{64\}$' | head -3) $(tail -2 "$T/h1.err" "$T/h2.err")"

finish
