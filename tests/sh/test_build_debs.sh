#!/usr/bin/env bash
# What ward build does with packages, on a signed archive of hand-made .debs
# (dpkg-deb, dpkg-scanpackages, gpg) served on 127.0.0.1: merged /usr for
# packages that ship /bin and /lib, update-alternatives links from postinst
# (highest priority wins, slaves follow), an ld.so.cache when a package adds
# a library directory (read back with the host's ldconfig -p), setuid bits
# cleared, hard links, documentation and man pages left out but copyright
# kept; a forbidden file fails the build naming its package and chain, two
# packages with the same file fail naming both.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/deb_lib.sh"
export WARD_APT_LISTS="$T/no-apt-lists" WARD_PASSWORD=ward-test LC_ALL=C
export WARD_CACHE=$T/cache

deb_gpg_setup || { fail "gpg cannot make a key"; finish; exit; }
M=$T/mirror
P=$M/pool/buildtest

base_a() {
	local d=$1
	mkdir -p "$d/bin" "$d/lib/x86_64-linux-gnu" "$d/usr/bin" "$d/usr/lib/extra" "$d/etc/ld.so.conf.d" \
		"$d/usr/share/man/man1" "$d/DEBIAN"
	printf '#!/usr/bin/tool\nserver\n' >"$d/bin/tool"
	chmod 755 "$d/bin/tool"
	ln "$d/bin/tool" "$d/bin/tool2" # a hard link
	printf 'lib a\n' >"$d/lib/x86_64-linux-gnu/liba.so.1"
	cp /usr/lib/x86_64-linux-gnu/libz.so.1 "$d/usr/lib/extra/libz.so.1" # a real ELF with a SONAME
	printf '/usr/lib/extra\n' >"$d/etc/ld.so.conf.d/extra.conf"
	printf 'suid\n' >"$d/usr/bin/suid"
	chmod 4755 "$d/usr/bin/suid"
	printf 'ed a\n' >"$d/usr/bin/ed-a"
	printf 'changes\n' >"$d/usr/share/doc/base-a/changelog"
	printf 'manual\n' >"$d/usr/share/man/man1/tool.1"
	cat >"$d/DEBIAN/postinst" <<'EOF'
#!/bin/sh
set -e
if [ "$1" = configure ]; then
	update-alternatives --install /usr/bin/editor editor /usr/bin/ed-a 10 \
		--slave /usr/bin/view view /usr/bin/ed-a
fi
EOF
	chmod 755 "$d/DEBIAN/postinst"
}
base_b() {
	local d=$1
	mkdir -p "$d/usr/bin" "$d/DEBIAN"
	printf 'ed b\n' >"$d/usr/bin/ed-b"
	printf '#!/bin/sh\nupdate-alternatives --install /usr/bin/editor editor /usr/bin/ed-b 20 || true\n' \
		>"$d/DEBIAN/postinst"
	chmod 755 "$d/DEBIAN/postinst"
}
bad_c() {
	mkdir -p "$1/usr/bin"
	printf 'not really a shell\n' >"$1/usr/bin/busybox"
	chmod 755 "$1/usr/bin/busybox"
}
dup_d() {
	mkdir -p "$1/bin"
	printf 'another tool\n' >"$1/bin/tool"
}
make_deb "$P" base-a 1.0 amd64 "" xz base_a
make_deb "$P" base-b 1.0 amd64 "Depends: base-a" xz base_b
make_deb "$P" bad-c 1.0 amd64 "" xz bad_c
make_deb "$P" wants-c 1.0 amd64 "Depends: bad-c"
make_deb "$P" dup-d 1.0 amd64 "" xz dup_d
make_suite "$M" buildtest
start_mirror "$M"

spec() { # spec DIR PACKAGES...
	local d=$1
	shift
	mkdir -p "$d"
	cat >"$d/ward.yaml" <<EOF
name: ward-test-build-debs
version: "1"
sources:
  - suites: [buildtest]
    mirror: $MIRROR_URL
    keyring: $KEYRING
packages: [$(
		IFS=,
		echo "$*"
	)]
entrypoint: [/usr/bin/tool]
source_date_epoch: 1700000000
EOF
	"$WARD" lock -f "$d/ward.yaml" --download >/dev/null 2>"$T/lock.err" &&
		"$WARD" fetch -f "$d/ward.yaml" >/dev/null 2>>"$T/lock.err" || cat "$T/lock.err"
}

spec "$T/good" base-b
run "$WARD" build -f "$T/good/ward.yaml" -o "$T/good/out" --init "$WARD_INIT"
[ "$RC" = 0 ] && pass "ward build of the hand-made packages" || { fail "build (exit $RC): $ERR"; finish; exit 1; }
check "ward image unpack" "$WARD" image unpack "$T/good/out" "$T/root"
R=$T/root
REC=$T/good/out.build.json
[ "$(readlink "$R/bin")" = usr/bin ] && [ "$(readlink "$R/lib")" = usr/lib ] && [ -f "$R/usr/bin/tool" ] &&
	[ -f "$R/usr/lib/x86_64-linux-gnu/liba.so.1" ] &&
	pass "merged /usr: /bin/tool and /lib/... of the package are under /usr" || fail "usrmerge: $(ls -la "$R")"
cmp -s "$R/usr/bin/tool" "$R/usr/bin/tool2" && [ "$(stat -c %h "$R/usr/bin/tool2")" -ge 1 ] &&
	pass "a hard link of the package: the same contents" || fail "hard link"
[ "$(readlink "$R/usr/bin/editor")" = /etc/alternatives/editor ] && [ "$(readlink "$R/etc/alternatives/editor")" = /usr/bin/ed-b ] &&
	pass "update-alternatives: editor -> /etc/alternatives/editor -> /usr/bin/ed-b (priority 20 beats 10)" ||
	fail "alternatives: $(ls -la "$R/usr/bin" "$R/etc/alternatives" 2>&1 | tail -5)"
[ ! -e "$R/usr/bin/view" ] && pass "the loser's slave link is not made" || fail "view exists"
[ "$(stat -c %a "$R/usr/bin/suid")" = 755 ] && python3 - "$REC" <<'PY' && pass "setuid bit cleared (and listed in the record)" || fail "setuid: $(stat -c %a "$R/usr/bin/suid")"
import json, sys
assert json.load(open(sys.argv[1]))["setid_cleared"] == ["usr/bin/suid"]
PY
[ -f "$R/usr/share/doc/base-a/copyright" ] && [ ! -e "$R/usr/share/doc/base-a/changelog" ] && [ ! -e "$R/usr/share/man" ] &&
	pass "copyright kept, changelog and man pages left out" || fail "docs: $(find "$R/usr/share" | head)"
if [ -f "$R/etc/ld.so.cache" ] && /sbin/ldconfig -p -C "$R/etc/ld.so.cache" 2>/dev/null | grep -q "libz.so.1 .*=> /usr/lib/extra/libz.so.1"; then
	pass "ld.so.cache made for /usr/lib/extra (read back by ldconfig -p)"
else
	fail "ld.so.cache: $(/sbin/ldconfig -p -C "$R/etc/ld.so.cache" 2>&1 | head -3)"
fi
python3 - "$REC" <<'PY' && pass "record: owners and reasons (generated links belong to the winning package)" || fail "record owners"
import json, sys
paths = {p["path"]: p for p in json.load(open(sys.argv[1]))["paths"]}
assert paths["usr/bin/tool"]["owner"] == "base-a" and paths["usr/bin/tool"]["origin"] == "package"
assert paths["usr/bin/editor"]["owner"] == "base-b" and "update-alternatives editor" in paths["usr/bin/editor"]["why"]
assert paths["etc/ld.so.cache"]["origin"] == "generated"
assert paths["var/lib/dpkg/status.d/base-a"]["owner"] == "base-a"
assert paths["bin"]["link"] == "usr/bin"
PY

spec "$T/bad" wants-c
expect_err 2 "forbidden file /usr/bin/busybox (shell) in the image, from package bad-c (ward.yaml -> wants-c -> bad-c)" \
	"a forbidden file fails the build, naming the package and its chain" \
	"$WARD" build -f "$T/bad/ward.yaml" -o "$T/bad/out" --init "$WARD_INIT"
[ ! -e "$T/bad/out" ] && pass "nothing written" || fail "output written"
sed -i -e 's/^packages: .*/packages: [wants-c]\nallow: [bad-c]/' -e 's|^entrypoint: .*|entrypoint: [/usr/bin/busybox]|' "$T/bad/ward.yaml"
"$WARD" lock -f "$T/bad/ward.yaml" --download >/dev/null 2>&1
check "allow: lets that package's file in" "$WARD" build -f "$T/bad/ward.yaml" -o "$T/bad/out" --init "$WARD_INIT"

spec "$T/dup" base-a dup-d
expect_err 2 "/usr/bin/tool is shipped by both base-a and dup-d" "two packages with the same path: both named" \
	"$WARD" build -f "$T/dup/ward.yaml" -o "$T/dup/out" --init "$WARD_INIT"

finish
