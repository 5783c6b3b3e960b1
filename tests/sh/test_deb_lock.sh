#!/usr/bin/env bash
# ward lock: resolution against a signed archive built here (expected
# closures written by hand), the distroless policy, determinism, every
# index source (mirror tree, HTTP, apt-lists layout with apt's lz4), index
# verification failures, ward.yaml errors, and the machine's own apt lists
# compared with apt's resolver.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/deb_lib.sh"
export WARD_CACHE="$T/cache"
export WARD_APT_LISTS="$T/no-apt-lists"

deb_gpg_setup || { fail "gpg cannot make a key"; finish; exit; }
M="$T/mirror"
P="$M/pool/wardtest"
make_deb "$P" app 1.0 amd64 "Pre-Depends: libc-fake (>= 1)
Depends: libfoo (>= 2.0), libbar | libbaz, mail-transport-agent, dash, debconf (>= 0.5) | debconf-2.0, pyrt:any"
make_deb "$P" libfoo 1.0 amd64
make_deb "$P" libfoo 2.1 amd64
make_deb "$P" libbaz 1.0 all "Depends: libfoo (<< 9)"
make_deb "$P" mailer-a 1.0 amd64 "Priority: optional
Provides: mail-transport-agent"
make_deb "$P" mailer-b 1.0 amd64 "Priority: standard
Provides: mail-transport-agent"
make_deb "$P" dash 0.5.12 amd64 "Essential: yes"
make_deb "$P" bash 5.2 amd64 "Essential: yes"
make_deb "$P" debconf 1.5.82 all
make_deb "$P" cdebconf 0.270 amd64 "Provides: debconf-2.0"
make_deb "$P" pyrt 3.11 amd64 "Multi-Arch: allowed"
make_deb "$P" libc-fake 2.0 amd64 "Essential: yes
Priority: required"
make_deb "$P" base-essential 1.0 amd64 "Essential: yes
Priority: required"
make_deb "$P" tool 1.0 amd64 "Depends: api-virtual (>= 2)"
make_deb "$P" impl-old 1.0 amd64 "Provides: api-virtual (= 1)"
make_deb "$P" impl-new 1.0 amd64 "Provides: api-virtual (= 3)"
make_deb "$P" xx 1.0 amd64
make_deb "$P" yy 1.0 amd64 "Conflicts: xx"
make_deb "$P" zz 1.0 amd64 "Breaks: thing-virtual"
make_deb "$P" ww 1.0 amd64 "Provides: thing-virtual"
make_deb "$P" wrapper 1.0 amd64 "Depends: needs-missing"
make_deb "$P" needs-missing 1.0 amd64 "Depends: ghost (>= 1)"
make_deb "$P" oldfoo 1.0 amd64 "Depends: libfoo (<< 2)"
make_suite "$M" wardtest
make_deb "$M/pool/wardtest-updates" libfoo 3.0 amd64
make_suite "$M" wardtest-updates

# spec FILE PACKAGES [EXTRA-YAML]: a ward.yaml over the test archive.
spec() {
	mkdir -p "$(dirname "$1")"
	cat >"$1" <<EOF
name: locktest
sources:
  - suites: [wardtest, wardtest-updates]
    components: [main]
    mirror: ${MIRROR:-file://$M}
    keyring: $KEYRING
packages: [$2]
${3:-}
EOF
}

# ---- the closure, by hand ---------------------------------------------------
spec "$T/a/ward.yaml" "app, tool"
check "ward lock on the test archive" "$WARD" lock -f "$T/a/ward.yaml" --indices "$M"
got=$(lock_names "$T/a/ward.lock" | tr '\n' ';')
want="app 1.0 wardtest;impl-new 1.0 wardtest;libbaz 1.0 wardtest;libc-fake 2.0 wardtest;libfoo 3.0 wardtest-updates;mailer-b 1.0 wardtest;pyrt 3.11 wardtest;tool 1.0 wardtest;"
if [ "$got" = "$want" ]; then pass "closure: newest version across suites, first satisfiable alternative, provider by priority, versioned Provides, :any, no Essential"; else fail "closure: got $got"; fi
cuts=$(lock_cuts "$T/a/ward.lock" | tr '\n' ';')
want_cuts="app|dash|dash: shell (distroless policy);app|debconf (>= 0.5) | debconf-2.0|debconf: package manager (distroless policy); cdebconf: package manager (distroless policy);"
if [ "$cuts" = "$want_cuts" ]; then pass "cut edges recorded with their reasons"; else fail "cuts: got $cuts"; fi
python3 - "$T/a/ward.lock" "$M" <<'PY' && pass "every locked package's size and SHA-256 match the .deb in the pool (sha256 by Python)" || fail "lock digests do not match the pool"
import hashlib, json, os, sys
lock, mirror = json.load(open(sys.argv[1])), sys.argv[2]
for p in lock["packages"]:
    data = open(os.path.join(mirror, p["filename"]), "rb").read()
    assert len(data) == p["size"] and hashlib.sha256(data).hexdigest() == p["sha256"], p["name"]
req = {p["name"]: p["required_by"] for p in lock["packages"]}
assert req["libfoo"] == ["app", "libbaz"], req["libfoo"]
assert req["impl-new"] == ["tool"] and [p["requested"] for p in lock["packages"] if p["name"] == "app"] == [True]
for i in lock["indices"]:
    assert len(i["release_sha256"]) == 64 and len(i["signed_by"]) == 40, i
PY

# ---- determinism --------------------------------------------------------------
cp "$T/a/ward.lock" "$T/lock1"
"$WARD" lock -f "$T/a/ward.yaml" --indices "$M" 2>/dev/null
if cmp -s "$T/lock1" "$T/a/ward.lock"; then pass "second run: identical bytes"; else fail "second run differs"; fi
spec "$T/b/ward.yaml" "tool, app"
"$WARD" lock -f "$T/b/ward.yaml" --indices "$M" 2>/dev/null
if cmp -s "$T/lock1" "$T/b/ward.lock"; then pass "packages listed in another order: identical bytes"; else fail "order changes the lock"; fi

# ---- every index source gives the same lock -----------------------------------
start_mirror "$M"
MIRROR=$MIRROR_URL spec "$T/h/ward.yaml" "app, tool"
check "ward lock --download over HTTP" "$WARD" lock -f "$T/h/ward.yaml" --download
if cmp -s "$T/lock1" "$T/h/ward.lock"; then pass "HTTP mirror: identical lock"; else fail "HTTP mirror lock differs"; fi
if grep -q 'Packages.xz' "$MIRROR_LOG" && ! grep -q 'binary-amd64/Packages 200' "$MIRROR_LOG"; then pass "downloads InRelease and Packages.xz"; else fail "unexpected downloads: $(cat "$MIRROR_LOG")"; fi
# The download left apt-style lists in the cache; make them look like apt's
# own (Packages recompressed to lz4, the .xz gone) and read them as apt lists.
L="$T/lists"
mkdir -p "$L"
cp "$WARD_CACHE/lists/"*InRelease "$L/"
for f in "$WARD_CACHE/lists/"*_Packages.xz; do
	b=$(basename "$f" .xz)
	xz -dc "$f" | lz4 -q -z - "$L/$b.lz4"
done
check "apt lists layout with lz4-recompressed Packages" "$WARD" lock -f "$T/h/ward.yaml" --apt --lists "$L" -o "$T/lock-apt"
if cmp -s "$T/lock1" "$T/lock-apt"; then pass "apt lists: identical lock"; else fail "apt-lists lock differs"; fi
stop_mirror
expect_err 2 "no apt index for suite wardtest" "--apt without lists names the suite" \
	"$WARD" lock -f "$T/h/ward.yaml" --apt --lists "$T/empty"

# ---- policy, exclude, allow ---------------------------------------------------
spec "$T/c/ward.yaml" "app" "allow: [dash]"
"$WARD" lock -f "$T/c/ward.yaml" --indices "$M" 2>/dev/null
# (grep reads here-strings: grep -q closing a pipe early fails it under pipefail)
if grep -q '^dash ' <<<"$(lock_names "$T/c/ward.lock")" && ! grep -q '|dash|' <<<"$(lock_cuts "$T/c/ward.lock")"; then pass "allow: dash keeps the dependency"; else fail "allow: dash ignored"; fi
spec "$T/d/ward.yaml" "app" "exclude: [mailer-b]"
"$WARD" lock -f "$T/d/ward.yaml" --indices "$M" 2>/dev/null
names=$(lock_names "$T/d/ward.lock")
if grep -q '^mailer-a ' <<<"$names" && ! grep -q '^mailer-b ' <<<"$names"; then pass "exclude: the next provider is chosen"; else fail "exclude mailer-b: $(lock_names "$T/d/ward.lock" | tr '\n' ' ')"; fi
spec "$T/e/ward.yaml" "app" "exclude: [mailer-a, mailer-b]"
"$WARD" lock -f "$T/e/ward.yaml" --indices "$M" 2>/dev/null
cut=$(lock_cuts "$T/e/ward.lock" | grep '^app|mail-transport-agent|')
if grep -q 'mailer-a: excluded by ward.yaml' <<<"$cut" && grep -q 'mailer-b: excluded by ward.yaml' <<<"$cut"; then pass "exclude every provider: edge cut with the reason"; else fail "exclude cut: $(lock_cuts "$T/e/ward.lock")"; fi
spec "$T/f/ward.yaml" "bash"
expect_err 2 "ward.yaml -> bash" "a requested shell fails naming the chain" "$WARD" lock -f "$T/f/ward.yaml" --indices "$M"
if one_line && grep -q "shell" <<<"$ERR" && [ ! -e "$T/f/ward.lock" ]; then pass "one line, says shell, no lock written"; else fail "forbidden message: $ERR"; fi
spec "$T/f/ward.yaml" "bash" "allow: [bash]"
check "allow: bash accepts it" "$WARD" lock -f "$T/f/ward.yaml" --indices "$M"

# ---- resolution failures -------------------------------------------------------
spec "$T/g/ward.yaml" "ghost"
expect_err 2 "package ghost is in none of the indices" "missing package" "$WARD" lock -f "$T/g/ward.yaml" --indices "$M"
spec "$T/g/ward.yaml" "wrapper"
expect_err 2 "chain: ward.yaml -> wrapper -> needs-missing" "unsatisfiable dependency names the chain" \
	"$WARD" lock -f "$T/g/ward.yaml" --indices "$M"
spec "$T/g/ward.yaml" "xx, yy"
expect_err 2 "conflict: yy 1.0 Conflicts xx" "Conflicts between chosen packages" "$WARD" lock -f "$T/g/ward.yaml" --indices "$M"
spec "$T/g/ward.yaml" "ww, zz"
expect_err 2 "Breaks thing-virtual" "Breaks through Provides" "$WARD" lock -f "$T/g/ward.yaml" --indices "$M"
spec "$T/g/ward.yaml" "app, oldfoo"
expect_err 2 "libfoo 3.0 is already chosen" "two versions of one package cannot both be in" \
	"$WARD" lock -f "$T/g/ward.yaml" --indices "$M"
spec "$T/g/ward.yaml" "mail-transport-agent"
expect_err 2 "virtual package provided by" "a virtual package must be named by a provider" \
	"$WARD" lock -f "$T/g/ward.yaml" --indices "$M"
spec "$T/g/ward.yaml" "libfoo=2.1"
"$WARD" lock -f "$T/g/ward.yaml" --indices "$M" 2>/dev/null
if grep -qx 'libfoo 2.1 wardtest' <<<"$(lock_names "$T/g/ward.lock")"; then pass "name=version pins an older version"; else fail "pin ignored"; fi

# ---- index verification ----------------------------------------------------------
bad() { rm -rf "$T/bad"; cp -r "$M" "$T/bad"; }
bad
printf 'Package: libfoo\nVersion: 9\n' >>"$T/bad/dists/wardtest/main/binary-amd64/Packages"
rm "$T/bad/dists/wardtest/main/binary-amd64/Packages."*
expect_err 1 "does not match the Release file" "Packages edited after signing" "$WARD" lock -f "$T/a/ward.yaml" --indices "$T/bad"
one_line && pass "one-line message" || fail "message has several lines: $ERR"
bad
echo garbage | xz >"$T/bad/dists/wardtest/main/binary-amd64/Packages.xz"
rm "$T/bad/dists/wardtest/main/binary-amd64/Packages" "$T/bad/dists/wardtest/main/binary-amd64/Packages.gz"
expect_err 1 "Packages.xz: size" "Packages.xz replaced" "$WARD" lock -f "$T/a/ward.yaml" --indices "$T/bad"
bad
printf 'this is not\na Packages file\n' >"$T/bad/dists/wardtest/main/binary-amd64/Packages"
rm "$T/bad/dists/wardtest/main/binary-amd64/Packages."*
python3 "$WARD_SRC/tests/py/make_release.py" "$T/bad" wardtest
gpg --batch --quiet --yes --clearsign -o "$T/bad/dists/wardtest/InRelease" "$T/bad/dists/wardtest/Release"
expect_err 2 "Packages:1: expected \"Field: value\"" "garbage Packages (correctly signed) is a parse error" \
	"$WARD" lock -f "$T/a/ward.yaml" --indices "$T/bad"
one_line && pass "one-line message" || fail "message has several lines: $ERR"
bad
sed -i 's/^Origin: ward-test/Origin: ward-evil/' "$T/bad/dists/wardtest/InRelease"
expect_err 1 "OpenPGP signature does not verify" "tampered InRelease" "$WARD" lock -f "$T/a/ward.yaml" --indices "$T/bad"
bad
rm "$T/bad/dists/wardtest/InRelease" "$T/bad/dists/wardtest/Release.gpg"
expect_err 1 "not signed" "unsigned Release refused" "$WARD" lock -f "$T/a/ward.yaml" --indices "$T/bad"
check "--allow-unsigned accepts it" "$WARD" lock -f "$T/a/ward.yaml" --indices "$T/bad" --allow-unsigned -o "$T/lock-unsigned"
grep -q '"signed_by": "unchecked: the Release file is not signed"' "$T/lock-unsigned" && pass "lock records the unchecked signature" || fail "lock does not say unchecked"
# Valid-Until: an expired index (a replayed old one) is refused as apt refuses it
resign() { # resign VALID-UNTIL: the bad copy's Release re-made and signed
	VALID_UNTIL="$1" python3 "$WARD_SRC/tests/py/make_release.py" "$T/bad" wardtest
	gpg --batch --quiet --yes --clearsign -o "$T/bad/dists/wardtest/InRelease" "$T/bad/dists/wardtest/Release"
	gpg --batch --quiet --yes --detach-sign -o "$T/bad/dists/wardtest/Release.gpg" "$T/bad/dists/wardtest/Release"
}
bad
resign "Sat, 01 Jun 2024 00:00:00 UTC"
expect_err 1 "expired (Valid-Until Sat, 01 Jun 2024 00:00:00 UTC): an old signed index could be replayed" \
	"an expired Valid-Until is refused (exit 1)" "$WARD" lock -f "$T/a/ward.yaml" --indices "$T/bad"
one_line && pass "one-line message" || fail "message has several lines: $ERR"
check "--allow-expired accepts it (a snapshot mirror)" "$WARD" lock -f "$T/a/ward.yaml" --indices "$T/bad" \
	--allow-expired -o "$T/lock-expired"
grep -q "accepted (--allow-expired)" <<<"$ERR" && pass "and says so" || fail "no warning: $ERR"
resign "Fri, 01 Jan 2100 00:00:00 UTC"
check "a Valid-Until in the future is fine" "$WARD" lock -f "$T/a/ward.yaml" --indices "$T/bad" -o "$T/lock-valid"
resign "next tuesday"
expect_err 2 "Valid-Until \"next tuesday\" is not an RFC 2822 UTC date" "a malformed Valid-Until is refused" \
	"$WARD" lock -f "$T/a/ward.yaml" --indices "$T/bad"
bad
rm "$T/bad/dists/wardtest/InRelease"
check "Release + Release.gpg (no InRelease)" "$WARD" lock -f "$T/a/ward.yaml" --indices "$T/bad" -o "$T/lock-detached"
expect_err 3 "gpgv is not installed" "no gpgv: a clear error" env WARD_GPGV=/nonexistent/gpgv "$WARD" lock -f "$T/a/ward.yaml" --indices "$M"
check "no gpgv, --allow-unsigned: a warning" env WARD_GPGV=/nonexistent/gpgv "$WARD" lock -f "$T/a/ward.yaml" --indices "$M" --allow-unsigned -o "$T/lock-nogpgv"
grep -q "signature NOT checked" <<<"$ERR" && pass "warning printed" || fail "no warning: $ERR"
gpg --batch --quiet --passphrase '' --quick-gen-key "other <o@ward.invalid>" ed25519 sign never 2>/dev/null
gpg --batch --quiet --export "other <o@ward.invalid>" >"$T/other.gpg"
sed -i "s|keyring: .*|keyring: $T/other.gpg|" "$T/b/ward.yaml"
expect_err 1 "signature does not verify" "InRelease signed by a key not in the keyring" "$WARD" lock -f "$T/b/ward.yaml" --indices "$M"

# ---- ward.yaml errors ---------------------------------------------------------------
mkdir -p "$T/y"
printf 'name: t\nsources:\n  - suites: [wardtest]\npackages: [app]\nfilez: []\n' >"$T/y/ward.yaml"
expect_err 2 "ward.yaml:5:1: unknown key \"filez\"" "unknown key with file:line:col" "$WARD" lock -f "$T/y/ward.yaml"
printf 'name: t\nsources:\n  - suites: [wardtest]\npackages:\n  a: b\n' >"$T/y/ward.yaml"
expect_err 2 "ward.yaml:5:3: packages: expected a list of strings" "wrong type" "$WARD" lock -f "$T/y/ward.yaml"
printf 'name: t\npackages: [app]\n' >"$T/y/ward.yaml"
expect_err 2 "missing required key \"sources\"" "missing key" "$WARD" lock -f "$T/y/ward.yaml"
printf 'name: t\nsources:\n  - suites: [wardtest]\n    mirror: ftp://x\npackages: [Bad_Name]\n' >"$T/y/ward.yaml"
expect_err 2 "ward.yaml:4:13: mirror \"ftp://x\"" "mirror URL checked" "$WARD" lock -f "$T/y/ward.yaml"
printf 'name: t\nsources:\n  - suites: [wardtest]\npackages: [Bad_Name]\n' >"$T/y/ward.yaml"
expect_err 2 "ward.yaml:4:12: \"Bad_Name\" is not a Debian package name" "package names checked" "$WARD" lock -f "$T/y/ward.yaml"
printf 'name: t\narchitecture: s390x\nsources: []\npackages: [a]\n' >"$T/y/ward.yaml"
expect_err 2 "architecture \"s390x\" is not supported" "architecture checked" "$WARD" lock -f "$T/y/ward.yaml"

# ---- the machine's own apt lists, against apt's resolver ------------------------------
if ls /var/lib/apt/lists/*_InRelease >/dev/null 2>&1 && command -v apt-get >/dev/null; then
	mkdir -p "$T/sys"
	cat >"$T/sys/ward.yaml" <<'EOF'
name: system
sources:
  - suites: [bookworm, bookworm-updates]
  - suites: [bookworm-security]
packages: [python3.11-minimal, libssl3, ca-certificates]
EOF
	unset WARD_APT_LISTS
	check "ward lock on the system's apt lists" "$WARD" lock -f "$T/sys/ward.yaml" --offline
	mkdir -p "$T/apt/lists/partial" "$T/apt/cache"
	: >"$T/apt/status"
	cp /var/lib/apt/lists/*_InRelease /var/lib/apt/lists/*_Packages* "$T/apt/lists/" 2>/dev/null
	apt-get -s -o Dir::State::status="$T/apt/status" -o Dir::State::Lists="$T/apt/lists" \
		-o Dir::Cache="$T/apt/cache" -o APT::Install-Recommends=false \
		install python3.11-minimal libssl3 ca-certificates 2>/dev/null |
		awk '/^Inst /{v=$3; gsub(/[()]/,"",v); print $2, v}' | sort >"$T/apt.txt"
	lock_names "$T/sys/ward.lock" | awk '{print $1, $2}' | sort >"$T/ward.txt"
	# apt installs what ward's policy cuts (dpkg, debconf, and what only they need).
	python3 - "$T/apt.txt" "$T/ward.txt" "$T/sys/ward.lock" <<'PY' && pass "same closure and versions as apt-get -s, minus the cut packages" || fail "ward and apt disagree"
import json, sys
apt = dict(l.split() for l in open(sys.argv[1]))
ward = dict(l.split() for l in open(sys.argv[2]))
lock = json.load(open(sys.argv[3]))
assert apt, "apt resolved nothing"
for n, v in ward.items():
    assert apt.get(n) == v, ("ward has", n, v, "apt has", apt.get(n))
extra = set(apt) - set(ward)
cut = " ".join(c["reason"] for c in lock["cut"])
for n in extra:  # each is forbidden, or only pulled in through a forbidden package
    assert n in ("dpkg", "debconf", "tar", "perl-base", "dash") or n + ":" in cut, n
assert "debconf" in cut, cut
print("ward", len(ward), "apt", len(apt), "cut-only", sorted(extra))
PY
else
	echo "skip - no apt lists on this machine"
fi

finish
