#!/usr/bin/env bash
# ward build of a malicious package set (issue 15): packages from a signed
# repository (so lock and fetch accept them) that try to write outside the
# staging tree -- symlink escapes, a symlink of one package under which
# another writes, absolute and ".." names, hard links to host files,
# device nodes, setuid bits -- and an "interpreter" that tries to leave
# the build sandbox (network, host files, mount, namespaces, chroot,
# ptrace, capabilities).  A canary tree on the host stays untouched,
# checked with `find -newer`; ward release and ward audit --compare, which
# build the same way, are held to the same.  The .debs come from dpkg-deb;
# members dpkg-deb would never write are added by tests/py/deb_craft.py,
# and dpkg-deb -c lists every result (the oracle for what the attack is).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/deb_lib.sh"
export WARD_APT_LISTS="$T/no-apt-lists" WARD_PASSWORD=ward-test LC_ALL=C
export WARD_CACHE=$T/cache
W() { timeout 300 "$WARD" "$@"; }

deb_gpg_setup || { fail "gpg cannot make a key"; finish; exit; }
M=$T/mirror
P=$M/pool/hostile
CANARY=$T/canary
mkdir -p "$CANARY/sub"
echo "host secret" >"$CANARY/secret"
echo keep >"$CANARY/sub/file"
chmod 644 "$CANARY/secret"
touch -d '2020-01-01' "$CANARY" "$CANARY"/* "$CANARY/sub"/*
sleep 1
touch "$T/stamp"
sleep 1

# craft NAME VERSION JSON: make_deb's package with extra data.tar members
craft() {
	local name=$1 ver=$2 json=$3 deb="$P/${1}_${2}_amd64.deb"
	make_deb "$P" "$name" "$ver" amd64 "" gzip
	printf '%s' "$json" >"$T/$name.json"
	python3 "$WARD_SRC/tests/py/deb_craft.py" "$deb" "$deb.new" "$T/$name.json" && mv "$deb.new" "$deb"
	dpkg-deb -c "$deb" >"$T/$name.list" 2>&1 || { fail "dpkg-deb cannot read $name"; cat "$T/$name.list"; }
}

# dpkg-deb itself: a symlink to the host canary and a file below it
link_out() {
	mkdir -p "$1/usr/lib"
	ln -s "$CANARY" "$1/opt"
}
make_deb "$P" link-out 1.0 amd64 "" gzip link_out
craft link-write 1.0 '[{"name":"./opt","type":"symlink","link":"'"$CANARY"'"},
 {"name":"./opt/pwned","type":"file","data":"escaped\n"},
 {"name":"./opt/sub/file","type":"file","data":"overwritten\n"}]'
craft below-other 1.0 '[{"name":"./opt/pwned2","type":"file","data":"escaped\n"}]'
craft abs-name 1.0 '[{"name":"'"$CANARY"'/abs-pwned","type":"file","data":"abs\n"}]'
craft dotdot 1.0 '[{"name":"./usr/../../../../../../..'"$CANARY"'/dd-pwned","type":"file","data":"dd\n"}]'
craft hardlink-out 1.0 '[{"name":"./usr/bin/secret","type":"hardlink","link":"'"$CANARY"'/secret"}]'
craft hardlink-dotdot 1.0 '[{"name":"./usr/bin/secret","type":"hardlink","link":"../../../../../../..'"$CANARY"'/secret"}]'
craft hardlink-via-link 1.0 '[{"name":"./srv","type":"symlink","link":"'"$CANARY"'"},
 {"name":"./usr/bin/secret","type":"hardlink","link":"./srv/secret"}]'
craft loop 1.0 '[{"name":"./a","type":"symlink","link":"a"},{"name":"./a/b","type":"file","data":"x\n"}]'
craft devices 1.0 '[{"name":"./dev/mem-copy","type":"char","major":1,"minor":1,"mode":438},
 {"name":"./usr/lib/fifo","type":"fifo"},
 {"name":"./usr/bin/suid","type":"file","data":"#!/bin/true\n","mode":3565},
 {"name":"./usr/bin/app","type":"file","data":"#!/bin/true\n","mode":493}]'

# an interpreter that tries to leave the sandbox (compiled static, so it
# runs inside the staging tree without a libc of the image)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 - "$PORT" "$T/connections" <<'PY' &
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8)
while True:
    c, a = s.accept(); open(sys.argv[2], "a").write("connection from %s\n" % (a,)); c.close()
PY
LISTENER=$!
trap 'kill $LISTENER 2>/dev/null; stop_mirror; chmod -R u+w "$T" 2>/dev/null; rm -rf "$T"' EXIT
evil_python() {
	mkdir -p "$1/usr/bin" "$1/usr/lib/python3/dist-packages"
	gcc -static -O1 -DCANARY="\"$CANARY\"" -DPORT="$PORT" \
		-o "$1/usr/bin/python3.11" "$WARD_SRC/tests/data/hostile/evil_python.c" || return 1
	echo 'x = 1' >"$1/usr/lib/python3/dist-packages/mod.py"
}
make_deb "$P" evil-python 1.0 amd64 "" gzip evil_python
make_suite "$M" hostile
start_mirror "$M"

spec() { # spec DIR PACKAGES...
	local d=$1
	shift
	mkdir -p "$d"
	cat >"$d/ward.yaml" <<EOF
name: ward-test-hostile
version: "1"
sources:
  - suites: [hostile]
    mirror: $MIRROR_URL
    keyring: $KEYRING
packages: [$(
		IFS=,
		echo "$*"
	)]
entrypoint: [/usr/bin/app]
source_date_epoch: 1700000000
EOF
	"$WARD" lock -f "$d/ward.yaml" --download >/dev/null 2>"$T/lock.err" &&
		"$WARD" fetch -f "$d/ward.yaml" >/dev/null 2>>"$T/lock.err" || cat "$T/lock.err"
}

canary_untouched() {
	local changed
	changed=$(find "$CANARY" -newer "$T/stamp" 2>/dev/null)
	if [ -z "$changed" ] && [ "$(cat "$CANARY/secret")" = "host secret" ] &&
		[ "$(cat "$CANARY/sub/file")" = keep ] && [ "$(stat -c %h "$CANARY/secret")" = 1 ] &&
		[ "$(ls "$CANARY" | tr '\n' ' ')" = "secret sub " ]; then
		pass "$1: the host canary tree is untouched (find -newer: nothing)"
	else
		fail "$1: the host canary changed: $changed $(ls -la "$CANARY")"
	fi
}

# ---- the staging writer ----------------------------------------------------
spec "$T/s1" link-write
expect_err 2 "/opt/pwned of link-write is below /opt, a symbolic link of link-write -> $CANARY" \
	"a package's symlink and a file below it: refused, naming both" \
	W build -f "$T/s1/ward.yaml" -o "$T/s1/out" --init "$WARD_INIT"
canary_untouched "symlink then a file through it"

spec "$T/s2" link-out below-other
expect_err 2 "/opt is shipped by both below-other and link-out" \
	"one package's symlink (dpkg-deb built), another package's file below it: refused" \
	W build -f "$T/s2/ward.yaml" -o "$T/s2/out" --init "$WARD_INIT"
canary_untouched "a file below another package's symlink"

spec "$T/s3" dotdot
expect_err 2 "unsafe path" "a \"..\" member name: refused" \
	W build -f "$T/s3/ward.yaml" -o "$T/s3/out" --init "$WARD_INIT"
spec "$T/s4" hardlink-out
expect_err 2 "is not a kept regular file" "a hard link to a host file (absolute): refused" \
	W build -f "$T/s4/ward.yaml" -o "$T/s4/out" --init "$WARD_INIT"
spec "$T/s5" hardlink-dotdot
expect_err 2 "unsafe path" "a hard link with \"..\": refused" \
	W build -f "$T/s5/ward.yaml" -o "$T/s5/out" --init "$WARD_INIT"
spec "$T/s6" hardlink-via-link
expect_err 2 "is not a kept regular file" "a hard link through the package's own symlink to the host: refused" \
	W build -f "$T/s6/ward.yaml" -o "$T/s6/out" --init "$WARD_INIT"
spec "$T/s7" loop
expect_err 2 "below /a, a symbolic link" "a self-referencing symlink with a file below: refused" \
	W build -f "$T/s7/ward.yaml" -o "$T/s7/out" --init "$WARD_INIT"
canary_untouched "\"..\" names, hard links out, a symlink loop"

# An absolute member name is the package's path (as dpkg reads it): it lands
# inside the image, never on the host; device nodes and FIFOs are left out,
# setuid bits cleared.
spec "$T/s8" abs-name devices
check "absolute names, a device node, a FIFO, a setuid file: built" \
	W build -f "$T/s8/ward.yaml" -o "$T/s8/out" --init "$WARD_INIT"
W image files "$T/s8/out" >"$T/s8.files" 2>&1
grep -q "abs-pwned" "$T/s8.files" && ! grep -q "mem-copy\|usr/lib/fifo" "$T/s8.files" &&
	grep -q "^file *0755 .*usr/bin/suid" "$T/s8.files" &&
	pass "the absolute name is inside the image; no device, no FIFO; setuid cleared (0755)" ||
	fail "image contents: $(grep -E 'abs-pwned|mem-copy|fifo|suid' "$T/s8.files")"
grep -q "device nodes or FIFOs left out" <<<"$ERR" && pass "the left-out device nodes are reported" ||
	fail "no warning about devices: $ERR"
canary_untouched "absolute names and devices"

# ---- the same packages again, from the unpacked-package cache -------------
# The sets above that unpack (their errors come when the packages meet) left
# their trees in the cache; a second build reads the packages from there and
# must refuse, skip and clear exactly as it did from the .debs.
ls "$WARD_CACHE/unpacked" 2>/dev/null | grep -q '^[0-9a-f]\{64\}$' &&
	pass "the unpacked-package cache holds the trees of the packages that unpacked" ||
	fail "no tree recorded in $WARD_CACHE/unpacked"
expect_err 2 "/opt/pwned of link-write is below /opt, a symbolic link of link-write -> $CANARY" \
	"from the cache: a package's symlink and a file below it: refused, naming both" \
	W build -f "$T/s1/ward.yaml" -o "$T/s1/out" --init "$WARD_INIT"
expect_err 2 "/opt is shipped by both below-other and link-out" \
	"from the cache: another package's file below a symlink: refused" \
	W build -f "$T/s2/ward.yaml" -o "$T/s2/out" --init "$WARD_INIT"
expect_err 2 "below /a, a symbolic link" "from the cache: a symlink loop with a file below: refused" \
	W build -f "$T/s7/ward.yaml" -o "$T/s7/out" --init "$WARD_INIT"
rm -rf "$WARD_CACHE/layers" # the package stage runs again
run W build -f "$T/s8/ward.yaml" -o "$T/s8/out2" --init "$WARD_INIT" --json
from_cache=$(python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["packages_from_unpacked_cache"])' <<<"$OUT" 2>/dev/null)
W image files "$T/s8/out2" >"$T/s8.files2" 2>&1
[ "$RC" = 0 ] && [ "$from_cache" = 2 ] && cmp -s "$T/s8.files" "$T/s8.files2" &&
	grep -q "device nodes or FIFOs left out" <<<"$ERR" &&
	pass "from the cache: the same image files (absolute name inside, no device, setuid cleared), devices reported" ||
	fail "s8 from the cache (exit $RC, $from_cache from the cache): $(diff "$T/s8.files" "$T/s8.files2" | head -5) $ERR"
canary_untouched "packages read from the unpacked-package cache"

# ---- the sandbox ------------------------------------------------------------
spec "$T/s9" evil-python
run W build -f "$T/s9/ward.yaml" -o "$T/s9/out" --init "$WARD_INIT"
line=$(grep -o 'SANDBOX [^\\]*' <<<"$ERR" | head -1)
if [ "$RC" = 3 ] && [ -n "$line" ]; then
	pass "the package's interpreter ran, in the sandbox, and the build failed with its exit status"
else
	fail "evil interpreter: exit $RC: $(tail -3 <<<"$ERR")"
fi
for want in "tcp=EAFNOSUPPORT" "netlink=EAFNOSUPPORT" "write-host=ENOENT" "read-host=ENOENT" \
	"mount=EPERM" "userns=EPERM" "chroot=EPERM" "ptrace=EPERM" "capeff=0" "uid=1000" "pid=1"; do
	grep -q " $want\b" <<<" $line" && pass "sandbox: $want" || fail "sandbox: want $want in: $line"
done
[ ! -s "$T/connections" ] && pass "no connection reached the host's loopback listener" ||
	fail "the package reached the network: $(cat "$T/connections")"
canary_untouched "the package's own code during the build"

# No sandbox, no build: with user namespaces disabled (in a user namespace
# of the test whose limit is 0) the build stops before running package code.
if unshare -U -r true 2>/dev/null; then
	unshare -U -r --propagation unchanged sh -c 'echo 0 >/proc/sys/user/max_user_namespaces &&
		exec "$@"' sh timeout 300 "$WARD" build -f "$T/s9/ward.yaml" -o "$T/s9/out2" \
		--init "$WARD_INIT" >"$T/nons.out" 2>"$T/nons.err"
	rc=$?
	if [ "$rc" = 3 ] && grep -q "build sandbox cannot create its user, mount, pid and network namespaces" "$T/nons.err" &&
		! grep -q SANDBOX "$T/nons.err"; then
		pass "without user namespaces the build refuses (exit 3) and never runs package code"
	else
		fail "without user namespaces: exit $rc: $(tail -2 "$T/nons.err")"
	fi
else
	echo "# skipped: this machine has no user namespaces at all"
fi

# ---- release and audit --compare build the same way ------------------------
"$WARD" keygen -o "$T/k" >/dev/null 2>&1
"$WARD" db import "$WARD_SHARED/vulndata/pypi" --db "$T/db" >/dev/null 2>&1
expect_err 2 "below /opt, a symbolic link" "ward release of the malicious set: refused" \
	W release -f "$T/s1/ward.yaml" --key "$T/k.key" --db "$T/db" -o "$T/rel" --init "$WARD_INIT"
[ ! -e "$T/rel" ] && pass "no release written" || fail "a release was written"
mkdir -p "$T/small/etc" && echo x >"$T/small/etc/x"
W image pack "$T/small" -o "$T/img:v1" >/dev/null 2>&1
expect_err 2 "/opt is shipped by both below-other and link-out" "ward audit --compare with the malicious set: refused" \
	W audit "$T/img:v1" --compare "$T/s2/ward.yaml"
canary_untouched "release and audit --compare"
finish
