#!/usr/bin/env bash
# The bytecode cache (<cache>/pyc, lib/build/pyc.c): a build whose package
# stage runs again (its package layers are not in the layer cache) takes
# every .pyc it compiled before from the cache and starts no interpreter;
# the image is the same, byte for byte, as the first build's and as an
# independent one (--no-layer-cache, one thread).  A damaged, truncated,
# misplaced or linked entry is never used: the build warns naming it,
# compiles the module again and replaces the entry.  --no-layer-cache
# neither reads the cache (no warning about a damaged entry) nor writes it.
# Two builds filling one cache at once both succeed, leaving whole entries.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/build_lib.sh"

P=$T/p
small_project "$P" || { fail "lock and fetch the small project"; finish; exit 1; }
# a private cache holding only the locked .debs: no layer or bytecode of another test
C=$T/cache
private_cache "$C" "$P/ward.lock"
B=(-v build -f "$P/ward.yaml" --cache "$C" --key "$T/signing.key" --init "$WARD_INIT" --json)
digest() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["digest"])' "$1"; }
# counts RECORD: "<pyc> <pyc_cached> <steps>" of a build record
counts() { python3 -c 'import json,sys
d=json.load(open(sys.argv[1])); c=d["counts"]
print(c["pyc"], c.get("pyc_cached", "absent"), ",".join(s["name"] for s in d["steps"]))' "$1"; }
# the cache's entries and their state (name, size, inode, mtime), sorted
listing() { (cd "$C/pyc" 2>/dev/null && find . -printf '%p %s %i %T@\n' | sort); }
# check_entries RECORD: every entry is whole (header: key = its name, size,
# SHA-256 of the bytecode) and holds the bytes of one .pyc of the image;
# prints the number of entries
check_entries() {
	python3 - "$C/pyc" "$1" <<'PY'
import hashlib, json, os, re, sys
root, record = sys.argv[1], sys.argv[2]
image = {p["sha256"] for p in json.load(open(record))["paths"] if p["path"].endswith(".pyc")}
n = 0
for sub in sorted(os.listdir(root)):
    if sub == "tmp":
        continue
    assert re.fullmatch(r"[0-9a-f]{2}", sub), sub
    for name in os.listdir(os.path.join(root, sub)):
        data = open(os.path.join(root, sub, name), "rb").read()
        head, _, pyc = data.partition(b"\n\n")
        m = re.fullmatch(rb"ward-pyc 1\nkey ([0-9a-f]{64})\nsize (\d+)\nsha256 ([0-9a-f]{64})", head)
        assert m, (name, head[:100])
        key, size, sha = m.group(1).decode(), int(m.group(2)), m.group(3).decode()
        assert name == key + ".pyc" and key.startswith(sub), (sub, name, key)
        assert len(pyc) == size and hashlib.sha256(pyc).hexdigest() == sha, name
        assert sha in image, ("entry holds no .pyc of the image", name)
        n += 1
print(n)
PY
}

# 1. empty cache: everything compiled, and stored
run "$WARD" "${B[@]}" -o "$T/a"
echo "$OUT" >"$T/a.json"
read -r PYC CACHED STEPS <<<"$(counts "$T/a.build.json" 2>/dev/null)"
[ "$RC" = 0 ] && [ "${PYC:-0}" -gt 100 ] && [ "$CACHED" = 0 ] &&
	grep -q "python bytecode: $PYC of [0-9]* modules: 0 from the bytecode cache, $PYC compiled" <<<"$ERR" &&
	pass "first build: $PYC modules compiled, none from the bytecode cache" ||
	fail "first build (exit $RC): pyc=$PYC cached=$CACHED $(grep -i 'bytecode\|error' <<<"$ERR" | tail -3)"
DA=$(digest "$T/a.json")
N=$(check_entries "$T/a.build.json")
[ "$N" = "$PYC" ] && pass "the bytecode cache holds every .pyc of the image, each whole ($N entries)" ||
	fail "bytecode cache entries: $N, want $PYC"

# 2. the package stage again (no layer cache): every .pyc from the cache
rm -rf "$C/layers"
run "$WARD" "${B[@]}" -o "$T/b"
echo "$OUT" >"$T/b.json"
read -r PYC_B CACHED_B STEPS_B <<<"$(counts "$T/b.build.json" 2>/dev/null)"
[ "$RC" = 0 ] && [ "$PYC_B" = "$PYC" ] && [ "$CACHED_B" = "$PYC" ] &&
	[[ "$STEPS_B" == *"unpack packages"* && "$STEPS_B" == *"python bytecode"* ]] &&
	grep -q "python bytecode: $PYC of [0-9]* modules: $PYC from the bytecode cache, 0 compiled" <<<"$ERR" &&
	pass "package stage again: all $PYC .pyc from the bytecode cache, nothing compiled" ||
	fail "warm bytecode build (exit $RC): pyc=$PYC_B cached=$CACHED_B steps=$STEPS_B $(grep -i 'bytecode\|error' <<<"$ERR" | tail -3)"
[ "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["paths"]["pyc_cached"])' "$T/b.json")" = "$PYC" ] &&
	pass "--json summary: paths.pyc_cached" || fail "--json summary lacks pyc_cached: $(cat "$T/b.json")"
[ "$(digest "$T/b.json")" = "$DA" ] && pass "same image from the bytecode cache ($DA)" ||
	{ fail "digest with cached bytecode differs: $(digest "$T/b.json") vs $DA"; explain_diff "$T/a" "$T/b"; }

# 3. damage four entries: a flipped byte, a truncated one, another key's
# entry copied under this name (integrity check valid, key wrong), a link
mapfile -t E < <(cd "$C/pyc" 2>/dev/null && find . -name '*.pyc' -type f | sort | head -5)
[ "${#E[@]}" = 5 ] || { fail "no bytecode cache entries to damage"; finish; exit 1; }
python3 - "$C/pyc/${E[0]}" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[-10] ^= 0x40
open(p, "wb").write(bytes(b))
PY
truncate -s 150 "$C/pyc/${E[1]}"
cp "$C/pyc/${E[4]}" "$C/pyc/${E[2]}"
rm "$C/pyc/${E[3]}" && ln -s "$(basename "${E[4]}")" "$C/pyc/${E[3]}"
# a leftover of an interrupted build (nobody holds its lock)
mkdir -p "$C/pyc/tmp" && echo partial >"$C/pyc/tmp/e.tmp-999999-1"

# 4. --no-layer-cache: neither reads (no warning) nor writes the cache
BEFORE=$(listing)
run "$WARD" -v build -f "$P/ward.yaml" --cache "$C" --key "$T/signing.key" --init "$WARD_INIT" --json \
	-o "$T/c" --no-layer-cache --threads 1
echo "$OUT" >"$T/c.json"
read -r PYC_C CACHED_C _ <<<"$(counts "$T/c.build.json" 2>/dev/null)"
[ "$RC" = 0 ] && [ "$(digest "$T/c.json")" = "$DA" ] && [ "$PYC_C" = "$PYC" ] && [ "$CACHED_C" = 0 ] &&
	pass "--no-layer-cache --threads 1: the same image, all $PYC compiled" ||
	{ fail "independent build (exit $RC): $(digest "$T/c.json" 2>/dev/null) vs $DA, pyc=$PYC_C cached=$CACHED_C $(tail -3 <<<"$ERR")"; explain_diff "$T/a" "$T/c"; }
! grep -q "bytecode cache:" <<<"$ERR" && pass "--no-layer-cache never reads the bytecode cache (no warning about the damaged entries)" ||
	fail "--no-layer-cache read the bytecode cache: $(grep 'bytecode cache' <<<"$ERR" | head -3)"
[ "$BEFORE" = "$(listing)" ] && pass "--no-layer-cache leaves <cache>/pyc untouched" ||
	fail "--no-layer-cache changed <cache>/pyc: $(diff <(echo "$BEFORE") <(listing) | head -5)"

# 5. the damaged entries are misses: warned, compiled again, replaced
rm -rf "$C/layers"
run "$WARD" "${B[@]}" -o "$T/d"
echo "$OUT" >"$T/d.json"
read -r PYC_D CACHED_D _ <<<"$(counts "$T/d.build.json" 2>/dev/null)"
warned=0
for i in 0 1 2 3; do grep -q "bytecode cache: .*${E[$i]#./}" <<<"$ERR" && warned=$((warned + 1)); done
[ "$RC" = 0 ] && [ "$warned" = 4 ] && [ "$CACHED_D" = $((PYC - 4)) ] &&
	grep -q "python bytecode: $PYC of [0-9]* modules: $((PYC - 4)) from the bytecode cache, 4 compiled" <<<"$ERR" &&
	pass "flipped, truncated, misplaced and linked entries: each warned about and compiled again" ||
	fail "damaged entries (exit $RC): $warned of 4 warned, cached=$CACHED_D of $PYC: $(grep 'bytecode' <<<"$ERR" | head -6)"
[ "$(digest "$T/d.json")" = "$DA" ] && pass "same image after the damaged entries" ||
	{ fail "digest after damaged entries: $(digest "$T/d.json") vs $DA"; explain_diff "$T/a" "$T/d"; }
N=$(check_entries "$T/d.build.json")
[ "$N" = "$PYC" ] && [ ! -L "$C/pyc/${E[3]}" ] && pass "the damaged entries were replaced by whole ones" ||
	fail "after replacement: $N whole entries of $PYC"
[ ! -e "$C/pyc/tmp/e.tmp-999999-1" ] && [ -z "$(ls "$C/pyc/tmp")" ] &&
	pass "an interrupted build's temporary entry is removed, none of this build's left" ||
	fail "temporary files left in <cache>/pyc/tmp: $(ls "$C/pyc/tmp")"

rm -rf "$C/layers"
run "$WARD" "${B[@]}" -o "$T/e"
echo "$OUT" >"$T/e.json"
read -r _ CACHED_E _ <<<"$(counts "$T/e.build.json" 2>/dev/null)"
[ "$RC" = 0 ] && [ "$CACHED_E" = "$PYC" ] && ! grep -q "bytecode cache:.*again" <<<"$ERR" &&
	[ "$(digest "$T/e.json")" = "$DA" ] &&
	pass "next build: all from the cache again, no warning, same image" ||
	fail "after repair (exit $RC): cached=$CACHED_E $(grep 'bytecode' <<<"$ERR" | head -3)"

# 6. two builds filling one empty bytecode cache at once: both succeed with
# the same image, and every entry is whole
rm -rf "$C/layers" "$C/pyc"
"$WARD" "${B[@]}" -o "$T/f1" >"$T/f1.json" 2>"$T/f1.err" &
p1=$!
"$WARD" "${B[@]}" -o "$T/f2" >"$T/f2.json" 2>"$T/f2.err" &
p2=$!
wait "$p1"; r1=$?
wait "$p2"; r2=$?
[ "$r1" = 0 ] && [ "$r2" = 0 ] && [ "$(digest "$T/f1.json")" = "$DA" ] && [ "$(digest "$T/f2.json")" = "$DA" ] &&
	pass "two concurrent builds sharing the cache: the same image" ||
	fail "concurrent builds: exit $r1 $r2: $(tail -2 "$T/f1.err") $(tail -2 "$T/f2.err")"
N=$(check_entries "$T/f1.build.json")
[ "$N" = "$PYC" ] && [ -z "$(ls "$C/pyc/tmp")" ] &&
	pass "after concurrent builds: $N whole entries, no temporary left" ||
	fail "after concurrent builds: $N whole entries of $PYC, tmp: $(ls "$C/pyc/tmp" | head -3)"

finish
