#!/usr/bin/env bash
# How ward model sign/verify walk a model (issue 15's OMS items): a file
# name that is not UTF-8 is refused at sign time, naming the file (OMS
# manifests name files in UTF-8; the file used to be left out silently and
# verification failed later); with --allow-symlinks a link that points
# outside the model is signed with a warning (OMS v1.0 6.1.1) and a link
# cycle is reported as a cycle; an empty model is an error, not undefined
# behaviour (the sanitizer build ran qsort(NULL, 0)).
. "$(dirname "$0")/lib.sh"

export WARD_PASSWORD=test-password
"$WARD" keygen -o "$T/k" >/dev/null 2>&1 || { fail "keygen"; finish; exit; }

# ---- names that are not UTF-8 ---------------------------------------------
mkdir -p "$T/m1/sub"
echo w >"$T/m1/weights.bin"
echo x >"$T/m1/sub/$(printf 'bad\xff\xfename')"
expect_err 2 'sub/bad\xff\xfename: file name is not valid UTF-8' \
	"a non-UTF-8 file name is refused at sign time, named with its bytes escaped" \
	"$WARD" model sign "$T/m1" --key "$T/k.key"
one_line && pass "one line" || fail "not one line: $ERR"
[ ! -e "$T/m1/model.sig" ] && pass "no signature written" || fail "a signature was written"
check "--ignore-path leaves it out" "$WARD" model sign "$T/m1" --key "$T/k.key" \
	--ignore-path "$T/m1/sub/$(printf 'bad\xff\xfename')"
check "and that signature verifies" "$WARD" model verify "$T/m1" --key "$T/k.pub" \
	--ignore-path "$T/m1/sub/$(printf 'bad\xff\xfename')"
# Overlong and surrogate encodings are not UTF-8 either; real UTF-8 is fine.
for bytes in '\xc0\xaf' '\xed\xa0\x80' '\xf4\x90\x80\x80'; do
	rm -rf "$T/m2" && mkdir -p "$T/m2" && echo w >"$T/m2/w.bin" && echo x >"$T/m2/$(printf "n$bytes")"
	run "$WARD" model sign "$T/m2" --key "$T/k.key"
	[ "$RC" = 2 ] && grep -q "not valid UTF-8" <<<"$ERR" || fail "$bytes accepted: $RC $ERR"
done
pass "overlong, surrogate and out-of-range encodings refused"
rm -rf "$T/m2" && mkdir -p "$T/m2" && echo w >"$T/m2/w.bin" && echo x >"$T/m2/modèle-模型.txt"
check "UTF-8 names sign" "$WARD" model sign "$T/m2" --key "$T/k.key"
check "and verify" "$WARD" model verify "$T/m2" --key "$T/k.pub"

# ---- symbolic links --------------------------------------------------------
mkdir -p "$T/m3" "$T/outside"
echo w >"$T/m3/weights.bin"
echo secret >"$T/outside/data.bin"
ln -s ../outside/data.bin "$T/m3/link.bin"
expect_err 1 "symbolic link" "without --allow-symlinks a link is refused" "$WARD" model sign "$T/m3" --key "$T/k.key"
run "$WARD" model sign "$T/m3" --key "$T/k.key" --allow-symlinks
[ "$RC" = 0 ] && grep -q "link.bin: symbolic link to $T/outside/data.bin, outside the model" <<<"$ERR" &&
	pass "a link outside the model is signed with a warning naming both ends" || fail "outside link: $RC $ERR"
ln -s weights.bin "$T/m3/inside.bin"
rm "$T/m3/link.bin"
run "$WARD" model sign "$T/m3" --key "$T/k.key" --allow-symlinks
[ "$RC" = 0 ] && ! grep -q "outside the model" <<<"$ERR" && pass "a link inside the model: no warning" || fail "inside link: $ERR"
mkdir -p "$T/m4/a"
echo w >"$T/m4/a/w.bin"
ln -s .. "$T/m4/a/up"
expect_err 2 "symbolic link cycle" "a directory link back to an ancestor is reported as a cycle" \
	"$WARD" model sign "$T/m4" --key "$T/k.key" --allow-symlinks
mkdir -p "$T/m5"
echo w >"$T/m5/w.bin"
ln -s self "$T/m5/self"
expect_err 2 "symbolic link cycle" "a link to itself is reported as a cycle" \
	"$WARD" model sign "$T/m5" --key "$T/k.key" --allow-symlinks

# ---- empty ---------------------------------------------------------------
mkdir -p "$T/empty"
expect_err 2 "no files to sign" "an empty model: a clear error (no qsort(NULL, 0))" "$WARD" model sign "$T/empty" --key "$T/k.key"
finish
