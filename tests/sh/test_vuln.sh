#!/usr/bin/env bash
# ward db / scan / vex against the real advisories in shared/vulndata, with
# independent oracles: tests/py/vuln_oracle.py (dpkg-query, dpkg
# --compare-versions, Python's packaging) for findings, readelf for
# reachability, the official OpenVEX and CycloneDX schemas for output.
#
# SCAN_ROOT is the root filesystem whose scan must equal the oracle: by
# default the package metadata of this machine's own Debian 12 system (dpkg
# database, os-release, every *.dist-info / *.egg-info) copied into a small
# tree, since ward's catalog hashes every file of what it reads; point it at
# the unpacked example image to check that one.
. "$(dirname "$0")/lib.sh"

VD=$WARD_SHARED/vulndata
DB=$T/db
# backport evidence from ward's package cache: an empty one unless a test
# fills it (the oracle reads the same WARD_CACHE)
export WARD_CACHE=$T/cache
mkdir -p "$WARD_CACHE"
ORACLE="python3 $WARD_SRC/tests/py/vuln_oracle.py"
ANN=$WARD_SRC/data/vex-annotations.json
if [ -z "${SCAN_ROOT:-}" ]; then
	SCAN_ROOT=$T/host
	mkdir -p "$SCAN_ROOT/etc" "$SCAN_ROOT/var/lib"
	cp -L /etc/os-release "$SCAN_ROOT/etc/os-release"
	cp -a /var/lib/dpkg "$SCAN_ROOT/var/lib/"
	for m in /usr/lib/python3*/*-packages/*.*-info /usr/local/lib/python3*/*-packages/*.*-info; do
		case $m in *.dist-info | *.egg-info)
			[ -e "$m" ] || continue
			mkdir -p "$SCAN_ROOT$(dirname "$m")" && cp -a "$m" "$SCAN_ROOT$(dirname "$m")/" ;;
		esac
	done
fi
jq_py() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); $2" "$1"; }

# ---- the store ---------------------------------------------------------------
expect 0 "db import of every PyPA and Debian record" "$WARD" db import "$VD/pypi" "$VD/debian-12" --db "$DB"
grep -q "2661 records in 2661 files: 2651 added, 0 updated, 0 unchanged, 10 withdrawn, 0 malformed" <<<"$ERR" &&
	pass "import counts: 2651 added, 10 withdrawn" || fail "import counts: $ERR"
grep -qF 'invalid version "2019-09-12"' <<<"$ERR" &&
	pass "an unorderable range version is reported at import (PYSEC-2019-125)" || fail "no invalid-version warning"
run "$WARD" db stats --db "$DB" --json
python3 - "$VD" "$T/.out" <<'PY' && pass "db stats equal counts taken from the files" || fail "db stats differ"
import glob, json, os, sys
vd, out = sys.argv[1], json.load(open(sys.argv[2]))
live = wd = 0; eco = {}
for p in glob.glob(os.path.join(vd, "*", "*.json")):
    r = json.load(open(p))
    if r.get("withdrawn"): wd += 1; continue
    live += 1
    for e in {a["package"]["ecosystem"] for a in r["affected"]}:
        eco[e] = eco.get(e, 0) + 1
got = {e: v["records"] for e, v in out["ecosystems"].items()}
assert out["records"] == live and out["withdrawn"] == wd and got == eco, (out, live, wd, eco)
PY
run "$WARD" db update --db "$DB" --json
jq_py "$T/.out" 'assert sum(s["unchanged"] for s in d) == 2819 and sum(s["added"]+s["updated"] for s in d) == 0' &&
	pass "db update re-reads the recorded sources: nothing newer" || fail "db update: $OUT"

# zip import (osv.dev exports are zips of records) gives the same store
python3 -c "
import os, sys, zipfile
with zipfile.ZipFile(sys.argv[2], 'w') as z:
    for n in sorted(os.listdir(sys.argv[1])):
        z.write(os.path.join(sys.argv[1], n), n)" "$VD/pypi" "$T/pypi.zip"
expect 0 "db import of a zip" "$WARD" db import "$T/pypi.zip" --db "$T/zipdb"
run "$WARD" db stats --db "$T/zipdb" --json
jq_py "$T/.out" 'assert d["records"] == 2651 and d["withdrawn"] == 10' && pass "zip import: 2651 records" || fail "zip stats: $OUT"

# ---- oracle equality: a real Debian 12 root filesystem and SBOMs of it -------
python3 -c "
import json, sys
for p in __import__('glob').glob(sys.argv[1] + '/pypi/*.json'):
    r = json.load(open(p))
    for s in r.get('severity', []) + [s for a in r['affected'] for s in a.get('severity', [])]:
        print(s['score'])" "$VD" | sort -u | (cd "$WARD_SRC/tests/js" && node cvss-scores.mjs) >"$T/cvss.tsv"
$ORACLE packages "$SCAN_ROOT" >"$T/pk.json"
$ORACLE expect "$T/pk.json" "$VD/pypi:$VD/debian-12" "$T/cvss.tsv" >"$T/expected.json"
expect 0 "scan of the root filesystem $SCAN_ROOT" "$WARD" scan "$SCAN_ROOT" --db "$DB" --json -o "$T/ward.json"
run $ORACLE compare "$T/expected.json" "$T/ward.json"
[ "$RC" = 0 ] && pass "rootfs findings equal the oracle ($OUT)" || fail "rootfs findings differ: $(tail -5 <<<"$OUT")"
for fl in cdx-ward cdx-nested cdx-syft cdx-trivy spdx-syft spdx-trivy; do
	$ORACLE sbom "$T/pk.json" $fl >"$T/sbom-$fl.json"
	$ORACLE expect "$T/pk.json" "$VD/pypi:$VD/debian-12" "$T/cvss.tsv" $fl >"$T/exp-$fl.json"
	run "$WARD" scan "$T/sbom-$fl.json" --db "$DB" --json -o "$T/ward-$fl.json"
	run $ORACLE compare "$T/exp-$fl.json" "$T/ward-$fl.json"
	[ "$RC" = 0 ] && pass "SBOM ($fl) findings equal the oracle ($OUT)" || fail "SBOM $fl: $(tail -5 <<<"$OUT")"
done
python3 "$WARD_SRC/tests/py/validate_schema.py" cyclonedx "$T/sbom-cdx-syft.json" >/dev/null &&
	python3 "$WARD_SRC/tests/py/validate_schema.py" spdx "$T/sbom-spdx-trivy.json" >/dev/null &&
	pass "the oracle's SBOMs are schema-valid" || fail "oracle SBOMs invalid"

# ---- a small image: Debian's python3-torch and a pip-installed distribution --
# Package metadata as Debian ships it (python3-torch 1.13.1+dfsg-4 carries
# torch-1.13.0a0+gitunknown.egg-info); no file contents are needed to match.
R=$T/mini
mkdir -p "$R/etc" "$R/var/lib/dpkg/info" "$R/usr/lib/python3/dist-packages/torch-1.13.0a0+gitunknown.egg-info" \
	"$R/usr/local/lib/python3.11/dist-packages/requests-2.25.0.dist-info"
printf 'ID=debian\nVERSION_ID="12"\n' >"$R/etc/os-release"
cat >"$R/var/lib/dpkg/status" <<'EOF'
Package: python3-torch
Status: install ok installed
Architecture: amd64
Source: pytorch
Version: 1.13.1+dfsg-4

Package: libtorch1.13
Status: install ok installed
Architecture: amd64
Source: pytorch
Version: 1.13.1+dfsg-4

Package: libpython3.11-stdlib
Status: install ok installed
Architecture: amd64
Source: python3.11
Version: 3.11.2-6+deb12u2

Package: libssl3
Status: install ok installed
Architecture: amd64
Source: openssl
Version: 3.0.11-1~deb12u2

Package: zlib1g
Status: install ok installed
Architecture: amd64
Source: zlib
Version: 1:1.2.13.dfsg-1

Package: tar
Status: deinstall ok config-files
Architecture: amd64
Version: 1.34+dfsg-1.2+deb12u1
EOF
printf 'Metadata-Version: 2.1\nName: torch\nVersion: 1.13.0a0+gitunknown\n' \
	>"$R/usr/lib/python3/dist-packages/torch-1.13.0a0+gitunknown.egg-info/PKG-INFO"
printf '/usr/lib/python3/dist-packages/torch-1.13.0a0+gitunknown.egg-info\n/usr/lib/python3/dist-packages/torch-1.13.0a0+gitunknown.egg-info/PKG-INFO\n' \
	>"$R/var/lib/dpkg/info/python3-torch.list"
printf 'Metadata-Version: 2.1\nName: requests\nVersion: 2.25.0\n' \
	>"$R/usr/local/lib/python3.11/dist-packages/requests-2.25.0.dist-info/METADATA"
$ORACLE packages "$R" >"$T/pk-mini.json"
$ORACLE expect "$T/pk-mini.json" "$VD/pypi:$VD/debian-12" "$T/cvss.tsv" >"$T/exp-mini.json"
expect 0 "scan of the small image" "$WARD" scan "$R" --db "$DB" --json -o "$T/ward-mini.json"
run $ORACLE compare "$T/exp-mini.json" "$T/ward-mini.json"
[ "$RC" = 0 ] && pass "small image findings equal the oracle ($OUT)" || fail "small image: $(tail -5 <<<"$OUT")"
jq_py "$T/ward-mini.json" '
assert not [f for f in d["findings"] + d["resolved"] if f["owner"] == "python3-torch" and f["ecosystem"] == "PyPI"]
t = [f for f in d["resolved"] if f["id"] == "CVE-2022-45907"]
assert [(f["owner"], f["ecosystem"], f["package"], f["status"], f["basis"]) for f in t] == \
    [("python3-torch", "Debian:12", "pytorch", "not_affected", "upstream-version")], t
assert "PYSEC-2022-43015" in t[0]["aliases"] and "upstream 1.13.1" in t[0]["evidence"][1], t
assert any(f["package"] == "pytorch" and f["owner"] == "libtorch1.13" and f["kind"] == "no-dsa" and f["status"] == "affected" for f in d["findings"])
r = [f for f in d["findings"] if f["owner"] == "requests"]
assert r and all(f["ecosystem"] == "PyPI" and f["status"] == "affected" for f in r), r' &&
	pass "PyTorch: PyPA's PYSEC-2022-43015 is judged through Debian's pytorch 1.13.1+dfsg-4 (upstream 1.13.1 is outside the range), Debian's no-dsa issues are affected; the pip-installed requests is matched on PyPI" ||
	fail "PyTorch findings: $(head -c 2000 "$T/ward-mini.json")"
jq_py "$T/ward-mini.json" 'assert not any(f["owner"] == "tar" for f in d["findings"])' &&
	pass "a removed package (config-files only) is not scanned" || fail "removed package scanned"

# ---- precedence and bad input, on crafted records -----------------------------
C=$T/crafted
mkdir -p "$C/ok" "$C/bad"
cat >"$C/ok/DEBIAN-CVE-2099-0001.json" <<'EOF'
{"id":"DEBIAN-CVE-2099-0001","modified":"2099-01-01T00:00:00Z","aliases":["CVE-2099-0001"],
 "affected":[{"package":{"ecosystem":"Debian:12","name":"python-foo"},
   "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.0-2"}]}]}]}
EOF
cat >"$C/ok/PYSEC-2099-1.json" <<'EOF'
{"id":"PYSEC-2099-1","modified":"2099-01-01T00:00:00Z","aliases":["CVE-2099-0001","GHSA-aaaa-bbbb-cccc"],
 "affected":[{"package":{"ecosystem":"PyPI","name":"Foo"},
   "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.1"}]}]}]}
EOF
cat >"$C/ok/DEBIAN-CVE-2099-0002.json" <<'EOF'
{"id":"DEBIAN-CVE-2099-0002","modified":"2099-01-01T00:00:00Z","aliases":["CVE-2099-0002"],
 "affected":[{"package":{"ecosystem":"Debian:12","name":"python-foo"},
   "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"}]}],
   "ecosystem_specific":{"urgency":"medium","kind":"postponed"}}]}
EOF
cat >"$C/ok/PYSEC-2099-2.json" <<'EOF'
{"id":"PYSEC-2099-2","modified":"2099-01-01T00:00:00.5Z","aliases":["CVE-2099-0002"],
 "severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
 "affected":[{"package":{"ecosystem":"PyPI","name":"foo"},"versions":["1.0"]}]}
EOF
cat >"$C/ok/PYSEC-2099-3.json" <<'EOF'
{"id":"PYSEC-2099-3","modified":"2099-01-01T00:00:00Z",
 "affected":[{"package":{"ecosystem":"PyPI","name":"foo"},
   "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0.5"},{"last_affected":"1.0"}]}]},
   {"package":{"ecosystem":"PyPI","name":"bar"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"not-a-version"}]}]}]}
EOF
cat >"$C/ok/NPM-2099-1.json" <<'EOF'
{"id":"GHSA-npmx-0000-0000","modified":"2099-01-01T00:00:00Z",
 "affected":[{"package":{"ecosystem":"npm","name":"left-pad"},"versions":["1.0.0"]}]}
EOF
printf '{"id": "X-1", "modified": "2099-01-01T00:00:00Z", "affected": [' >"$C/bad/truncated.json"
printf '{"modified":"2099-01-01T00:00:00Z","affected":[]}' >"$C/bad/no-id.json"
printf '{"id":"X-2","modified":"yesterday","affected":[]}' >"$C/bad/bad-time.json"
printf '{"id":"X-3","modified":"2099-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"PyPI","name":"foo"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0","fixed":"1"}]}]}]}' >"$C/bad/two-fields.json"
printf '{"id":"X-4","id":"X-4","modified":"2099-01-01T00:00:00Z"}' >"$C/bad/dup-key.json"
expect 0 "import of crafted records, malformed ones among them" "$WARD" db import "$C/ok" "$C/bad" --db "$T/cdb"
grep -q "skipped 5 malformed records; first: " <<<"$ERR" && pass "malformed records skipped with a count and the first error" ||
	fail "malformed count: $ERR"
grep -qF "ecosystems ward does not match yet: npm" <<<"$ERR" && pass "records of an unknown ecosystem are counted and named" ||
	fail "unknown ecosystem not reported: $ERR"
R2=$T/owned
mkdir -p "$R2/etc" "$R2/var/lib/dpkg/info" "$R2/usr/lib/python3/dist-packages/foo-1.0.dist-info" \
	"$R2/usr/local/lib/python3.11/site-packages/bar-2.0.dist-info" "$R2/usr/local/lib/python3.11/site-packages/baz-1.0_custom.dist-info"
printf 'ID=debian\nVERSION_ID=12\n' >"$R2/etc/os-release"
printf 'Package: python3-foo\nStatus: install ok installed\nArchitecture: all\nSource: python-foo\nVersion: 1.0-2\n' >"$R2/var/lib/dpkg/status"
printf '/usr/lib/python3/dist-packages/foo-1.0.dist-info\n/usr/lib/python3/dist-packages/foo-1.0.dist-info/METADATA\n' >"$R2/var/lib/dpkg/info/python3-foo.list"
printf 'Name: foo\nVersion: 1.0\n' >"$R2/usr/lib/python3/dist-packages/foo-1.0.dist-info/METADATA"
printf 'Name: bar\nVersion: 2.0\n' >"$R2/usr/local/lib/python3.11/site-packages/bar-2.0.dist-info/METADATA"
printf 'Name: baz\nVersion: 1.0-custom-build\n' >"$R2/usr/local/lib/python3.11/site-packages/baz-1.0_custom.dist-info/METADATA"
$ORACLE packages "$R2" >"$T/pk-owned.json"
$ORACLE expect "$T/pk-owned.json" "$C/ok" "$T/cvss.tsv" >"$T/exp-owned.json"
expect 0 "scan with crafted records" "$WARD" scan "$R2" --db "$T/cdb" --json -o "$T/ward-owned.json"
grep -qF "baz 1.0-custom-build: not a valid PEP 440 version" <<<"$ERR" &&
	pass "an invalid installed version is reported, not dropped" || fail "invalid version not reported: $ERR"
run $ORACLE compare "$T/exp-owned.json" "$T/ward-owned.json"
[ "$RC" = 0 ] && pass "crafted findings equal the oracle ($OUT)" || fail "crafted: $(tail -5 <<<"$OUT")"
jq_py "$T/ward-owned.json" '
f = {x["id"]: x for x in d["findings"]}
assert "CVE-2099-0001" not in f, "Debian fixed it: the PyPI record must not report it"
r = {x["id"]: x for x in d["resolved"]}
z = r["CVE-2099-0001"]
assert (z["status"], z["basis"], z["fixed"], z["package"], z["owner"]) == ("fixed", "debian", "1.0-2", "python-foo", "python3-foo"), z
assert z["evidence"][0] == "DEBIAN-CVE-2099-0001 (Debian:12 python-foo): fixed in 1.0-2; installed 1.0-2", z
x = f["CVE-2099-0002"]
assert (x["ecosystem"], x["package"], x["owner"], x["severity"]) == ("Debian:12", "python-foo", "python3-foo", "critical"), x
assert x["aliases"] == ["DEBIAN-CVE-2099-0002", "PYSEC-2099-2"], x
y = f["PYSEC-2099-3"]; assert (y["owner"], y["fixed"], y["status"], y["basis"]) == ("python3-foo", None, "under_investigation", "upstream-advisory"), y
b = [x for x in d["findings"] if x["package"] == "bar"][0]
assert b["fixed"] == "not-a-version" and "cannot be ordered" in b["note"], b
assert any("baz" in p for p in d["problems"])' &&
	pass "Debian precedence, one finding per vulnerability, last_affected, unorderable fix noted" ||
	fail "crafted semantics: $(cat "$T/ward-owned.json" | head -c 600)"

# incremental update: a newer record replaces, an older one does not, withdrawn stops matching
sed -e 's/"2099-01-01T00:00:00Z"/"2099-02-01T00:00:00Z"/' -e 's/"fixed":"1.0-2"/"fixed":"1.0-3"/' \
	"$C/ok/DEBIAN-CVE-2099-0001.json" >"$T/newer.json"
run "$WARD" db update "$T/newer.json" --db "$T/cdb" --json
jq_py "$T/.out" 'assert d[0]["updated"] == 1' && pass "a newer record updates the store" || fail "update: $OUT"
run "$WARD" db update "$C/ok/DEBIAN-CVE-2099-0001.json" --db "$T/cdb" --json
jq_py "$T/.out" 'assert d[0]["unchanged"] == 1' && pass "an older copy leaves it" || fail "older: $OUT"
run "$WARD" scan "$R2" --db "$T/cdb" --json
python3 -c "import json,sys; d=json.loads(sys.stdin.read()); assert any(f['id']=='CVE-2099-0001' and f['fixed']=='1.0-3' for f in d['findings'])" <<<"$OUT" &&
	pass "the updated fix version is used" || fail "updated record not used"
sed -e 's/"2099-01-01T00:00:00Z"/"2099-03-01T00:00:00Z","withdrawn":"2099-03-01T00:00:00Z"/' \
	"$C/ok/PYSEC-2099-3.json" >"$T/withdrawn.json"
run "$WARD" db update "$T/withdrawn.json" --db "$T/cdb" --json
run "$WARD" scan "$R2" --db "$T/cdb" --json
python3 -c "import json,sys; d=json.loads(sys.stdin.read()); assert not any('PYSEC-2099-3' in f['records'] for f in d['findings'])" <<<"$OUT" &&
	pass "a withdrawn record stops matching" || fail "withdrawn still matches"

# corrupt or missing stores
cp "$T/cdb/osv.sqlite" "$T/good.sqlite"
mkdir -p "$T/junkdb" "$T/cutdb"
head -c 5000 /dev/urandom >"$T/junkdb/osv.sqlite"
expect_err 2 "not a ward vulnerability store" "a store that is not SQLite is refused" "$WARD" scan "$R2" --db "$T/junkdb"
one_line && pass "the corrupt-store error is one line" || fail "corrupt store error: $ERR"
head -c 20000 "$T/good.sqlite" >"$T/cutdb/osv.sqlite"
run "$WARD" db stats --db "$T/cutdb"
[ "$RC" = 2 ] && pass "a truncated store is found damaged (exit 2)" || fail "truncated store: exit $RC $ERR"
expect_err 2 "no vulnerability store" "a missing store is named" "$WARD" scan "$R2" --db "$T/nowhere"
printf 'PK\003\004garbage' >"$T/bad.zip"
expect 2 "a corrupt zip is refused" "$WARD" db import "$T/bad.zip" --db "$T/zdb2"

# ---- outputs and exit codes ---------------------------------------------------
expect 0 "findings alone do not fail without --fail-on" "$WARD" scan "$R" --db "$DB"
grep -q "^SEVERITY  STATUS  *ID" <<<"$OUT" && grep -q "CVE-2022-45907" <<<"$OUT" && pass "human table" || fail "table: $OUT"
expect 1 "--fail-on low fails on low findings" "$WARD" scan "$R" --db "$DB" --fail-on low
expect 0 "--fail-on critical passes without critical findings" "$WARD" scan "$R" --db "$DB" --fail-on critical
expect 2 "--fail-on with an unknown severity is a usage error" "$WARD" scan "$R" --db "$DB" --fail-on severe
mkfifo "$T/pipe"
cat "$T/pipe" >"$T/piped.json" &
expect 0 "-o to a pipe" "$WARD" scan "$R" --db "$DB" --json -o "$T/pipe"
wait
[ -p "$T/pipe" ] && grep -q '"findings"' "$T/piped.json" &&
	pass "a report written to a pipe goes through it (the pipe is not replaced)" || fail "-o to a pipe"
expect 0 "CycloneDX output" "$WARD" scan "$R" --db "$DB" --format cyclonedx -o "$T/vulns.cdx.json"
python3 "$WARD_SRC/tests/py/validate_schema.py" cyclonedx "$T/vulns.cdx.json" >/dev/null &&
	pass "CycloneDX vulnerabilities validate against the 1.6 schema" || fail "CycloneDX invalid"
expect 0 "SARIF output" "$WARD" scan "$R" --db "$DB" --format sarif -o "$T/vulns.sarif"
jq_py "$T/vulns.sarif" '
run = d["runs"][0]; rules = run["tool"]["driver"]["rules"]
assert d["version"] == "2.1.0" and run["tool"]["driver"]["name"] == "ward"
ids = [r["id"] for r in rules]; assert len(ids) == len(set(ids))
for r in run["results"]:
    assert rules[r["ruleIndex"]]["id"] == r["ruleId"] and r["message"]["text"] and r["level"] in ("error", "warning", "note")
assert len(run["results"]) == len(json.load(open(sys.argv[1].replace("vulns.sarif", "ward-mini.json")))["findings"])' &&
	pass "SARIF 2.1.0: one result per finding, rules indexed" || fail "SARIF"

# ---- VEX: generation with ELF evidence, schema, suppression -------------------
# A root filesystem of real Debian objects: libssl3's libraries and zlib,
# with and without the openssl command (which imports PKCS12_* and DH_*).
V=$T/vexroot
mkdir -p "$V/etc" "$V/var/lib/dpkg/info" "$V/usr/lib/x86_64-linux-gnu" "$V/usr/bin"
printf 'ID=debian\nVERSION_ID=12\n' >"$V/etc/os-release"
for p in libssl3 zlib1g openssl; do
	dpkg-query -W -f '${Package}\nStatus: install ok installed\nArchitecture: ${Architecture}\nSource: ${source:Package}\nVersion: ${Version}\n\n' $p |
		sed '1s/^/Package: /' >>"$V/var/lib/dpkg/status"
done
cp /usr/lib/x86_64-linux-gnu/libcrypto.so.3 /usr/lib/x86_64-linux-gnu/libssl.so.3 "$V/usr/lib/x86_64-linux-gnu/"
cp "$(readlink -f /usr/lib/x86_64-linux-gnu/libz.so.1)" "$V/usr/lib/x86_64-linux-gnu/libz.so.1"
printf '/usr/lib/x86_64-linux-gnu/libcrypto.so.3\n/usr/lib/x86_64-linux-gnu/libssl.so.3\n' >"$V/var/lib/dpkg/info/libssl3:amd64.list"
printf '/usr/lib/x86_64-linux-gnu/libz.so.1\n' >"$V/var/lib/dpkg/info/zlib1g:amd64.list"
printf '/usr/bin/openssl\n' >"$V/var/lib/dpkg/info/openssl.list"
head -c 3000 /usr/lib/x86_64-linux-gnu/libcrypto.so.3 >"$V/usr/bin/not-elf" # truncated: headers past the end
expected_vex() { python3 "$WARD_SRC/tests/py/vex_oracle.py" "$@" "$ANN"; } # ROOT VEX SCAN
export SOURCE_DATE_EPOCH=1700000000
expect 0 "vex for a root filesystem without the openssl command" \
	"$WARD" vex "$V" --db "$DB" --annotations "$ANN" -o "$T/vex-a.json"
python3 "$WARD_SRC/tests/py/validate_schema.py" openvex "$T/vex-a.json" >/dev/null &&
	pass "generated OpenVEX validates against the v0.2.0 schema" || fail "OpenVEX invalid"
grep -qF "skipping usr/bin/not-elf" <<<"$ERR" || grep -qF "not-elf" <<<"$ERR" &&
	pass "a malformed ELF file is skipped with a warning" || fail "no warning for the bad ELF: $ERR"
rm -f "$V/usr/bin/not-elf"
expect 0 "vex again without the malformed file" "$WARD" vex "$V" --db "$DB" --annotations "$ANN" -o "$T/vex-a.json"
"$WARD" scan "$V" --db "$DB" --json -o "$T/plain-a.json" 2>/dev/null
run expected_vex "$V" "$T/vex-a.json" "$T/plain-a.json"
[ "$RC" = 0 ] && pass "statuses equal readelf's view (no openssl command)" || fail "vex statuses: $OUT"
jq_py "$T/vex-a.json" '
s = [x for x in d["statements"] if x["status"] == "not_affected" and x["justification"] == "vulnerable_code_not_in_execute_path"]
assert s, "no reachability statement"
assert all("ELF objects" in x["impact_statement"] and "symbols checked" in x["impact_statement"] for x in s)
assert any(x.get("justification") == "component_not_present" and "zlib1g" in x["products"][0]["@id"] for x in d["statements"])' &&
	pass "not_in_execute_path carries its evidence; MiniZip CVE on zlib1g is component_not_present" || fail "vex evidence"
cp /usr/bin/openssl "$V/usr/bin/openssl"
expect 0 "vex with the openssl command present" "$WARD" vex "$V" --db "$DB" --annotations "$ANN" -o "$T/vex-b.json"
"$WARD" scan "$V" --db "$DB" --json -o "$T/plain-b.json" 2>/dev/null
run expected_vex "$V" "$T/vex-b.json" "$T/plain-b.json"
[ "$RC" = 0 ] && pass "statuses equal readelf's view (openssl command imports the symbols)" || fail "vex-b statuses: $OUT"
jq_py "$T/vex-b.json" '
assert any("usr/bin/openssl imports" in (x.get("status_notes", "") + x.get("action_statement", "")) for x in d["statements"])' &&
	pass "an importer is named as the reason" || fail "importer not named"
for v in a b; do
	expect 0 "scan with the generated VEX ($v)" "$WARD" scan "$V" --db "$DB" --vex "$T/vex-$v.json" --json -o "$T/sup-$v.json"
	python3 - "$T/vex-$v.json" "$T/plain-$v.json" "$T/sup-$v.json" <<'PY' && pass "VEX ($v) suppresses exactly its not_affected statements about open findings" || fail "VEX ($v) suppression"
import json, sys
vex, plain, sup = (json.load(open(p)) for p in sys.argv[1:])
allf = {(f["id"], f["purl"]) for f in plain["findings"]}
stated = {(s["vulnerability"]["name"], s["products"][0]["@id"]) for s in vex["statements"]
          if s["status"] in ("not_affected", "fixed")} & allf
got = {(f["id"], f["purl"]) for f in sup["suppressed"]}
kept = {(f["id"], f["purl"]) for f in sup["findings"]}
assert got == stated, (got ^ stated)
assert kept | got == allf and not kept & got
assert all(f["vex"]["status"] == "not_affected" and f["vex"]["justification"] for f in sup["suppressed"])
assert [f["id"] for f in sup["resolved"]] == [f["id"] for f in plain["resolved"]]
PY
done

# ---- the same root filesystem as images (podman docker-archive, skopeo OCI layout)
IMG=localhost/ward-test-vuln-$$:1
if tar -C "$V" -cf - . | podman import -q - "$IMG" >/dev/null 2>&1 &&
	podman save -q --format docker-archive -o "$T/vex.tar" "$IMG" >/dev/null 2>&1; then
	podman rmi -f "$IMG" >/dev/null 2>&1
	same_findings() { python3 - "$1" "$2" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
k = lambda d, key: sorted(json.dumps([f[x] for x in ("id", "aliases", "ecosystem", "package", "version", "fixed", "severity", "owner")]) for f in d[key])
assert k(a, "findings") == k(b, "findings") and k(a, "suppressed") == k(b, "suppressed"), "differ"
PY
	}
	expect 0 "scan of the docker-archive" "$WARD" scan "$T/vex.tar" --db "$DB" --json -o "$T/img.json"
	run same_findings "$T/img.json" "$T/plain-b.json"
	[ "$RC" = 0 ] && pass "docker-archive findings equal the directory's" || fail "docker-archive findings differ"
	expect 0 "vex of the docker-archive (unpacked through lib/oci)" \
		"$WARD" vex "$T/vex.tar" --db "$DB" --annotations "$ANN" -o "$T/vex-img.json"
	jq_py "$T/vex-img.json" 'assert d["statements"] == json.load(open(sys.argv[1].replace("vex-img", "vex-b")))["statements"]' &&
		pass "the image's OpenVEX states what the directory's does" || fail "image OpenVEX differs"
	if skopeo copy -q "docker-archive:$T/vex.tar" "oci:$T/layout:v1" >/dev/null 2>&1; then
		expect 0 "scan of the OCI layout with the image's VEX" \
			"$WARD" scan "$T/layout:v1" --db "$DB" --vex "$T/vex-img.json" --json -o "$T/layout.json"
		run same_findings "$T/layout.json" "$T/sup-b.json"
		[ "$RC" = 0 ] && pass "OCI layout: same findings and suppressions" || fail "OCI layout differs"
	else
		fail "skopeo copy to an OCI layout"
	fi
else
	fail "podman import/save of the test root filesystem"
fi

# ---- VEX from the runtime policy: what ward-init will never execute -----------
# The VEX root above (real libssl3 libraries and the openssl command) with a
# server, /ward/init and its policy, packed as images.  A crafted record makes
# libssl3 and openssl affected by CVE-2099-0727, annotated with the real
# PKCS12 entry points (only the openssl command imports them), and
# CVE-2099-0728, whose code an annotation puts in the openssl program itself.
RT=$T/rt
cp -a "$V" "$RT"
mkdir -p "$RT/ward" "$RT/lib64" "$T/rtdb-src"
# a stand-in for ward-init: the real one links OpenSSL statically and so
# defines its own PKCS12_parse, which rightly counts as reachable code
cp /usr/bin/true "$RT/ward/init"
cp /usr/bin/true "$RT/usr/bin/server"
cp "$(readlink -f /lib64/ld-linux-x86-64.so.2)" "$RT/lib64/ld-linux-x86-64.so.2"
printf '{"version": 1}\n' >"$RT/ward/policy.json"
for n in 0727 0728; do
	printf '{"id":"DEBIAN-CVE-2099-%s","modified":"2099-01-01T00:00:00Z","aliases":["CVE-2099-%s"],"affected":[{"package":{"ecosystem":"Debian:12","name":"openssl"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"}]}],"ecosystem_specific":{"urgency":"low","kind":"no-dsa","reason":"Minor issue"}}]}\n' "$n" "$n" >"$T/rtdb-src/$n.json"
done
cat >"$T/rt-ann.json" <<'EOF2'
{"format": "ward-vex-annotations/v1", "annotations": [
 {"vulnerability": "CVE-2099-0727", "packages": ["libssl3"], "libraries": ["libcrypto.so.3"],
  "symbols": ["PKCS12_parse", "PKCS12_unpack_p7data", "PKCS12_unpack_p7encdata", "PKCS12_unpack_authsafes", "PKCS12_newpass"]},
 {"vulnerability": "CVE-2099-0728", "packages": ["openssl"], "programs": ["/usr/bin/openssl"]}]}
EOF2
expect 0 "store with the crafted openssl records" "$WARD" db import "$T/rtdb-src" --db "$T/rtdb"
pack_rt() { # TAG POLICY-JSON [ENTRYPOINT...]: pack $RT with that policy as $T/rt-img:TAG
	local tag=$1 pol=$2 a=()
	shift 2
	printf '%s\n' "$pol" >"$RT/ward/policy.json"
	for e in "$@"; do a+=("--entrypoint=$e"); done
	"$WARD" image pack "$RT" -o "$T/rt-img:$tag" "${a[@]}" >/dev/null 2>&1
}
vex_rt() { # TAG: vex, scan, config and the oracle for one image
	"$WARD" vex "$T/rt-img:$1" --db "$T/rtdb" --annotations "$T/rt-ann.json" -o "$T/rt-$1.json" 2>"$T/rt-$1.err" &&
		"$WARD" scan "$T/rt-img:$1" --db "$T/rtdb" --json -o "$T/rt-$1-scan.json" 2>/dev/null &&
		skopeo inspect --config "oci:$T/rt-img:$1" >"$T/rt-$1-config.json" 2>/dev/null
}
st_rt() { # TAG CVE OWNER: "status justification" of that statement
	python3 - "$T/rt-$1.json" "$2" "$3" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))
s = [x for x in v["statements"] if x["vulnerability"]["name"] == sys.argv[2] and "/%s@" % sys.argv[3] in x["products"][0]["@id"]]
print(s[0]["status"], s[0].get("justification", "-"))
PY
}
if pack_rt gate '{"version": 1}' /ward/init -- /usr/bin/server && vex_rt gate; then
	run python3 "$WARD_SRC/tests/py/vex_oracle.py" "$RT" "$T/rt-gate.json" "$T/rt-gate-scan.json" "$T/rt-ann.json" "$T/rt-gate-config.json"
	[ "$RC" = 0 ] && grep -q "runtime policy proven" <<<"$OUT" && pass "policy image: statuses equal the oracle's reading of the entrypoint, the policy and readelf ($OUT)" ||
		fail "policy image oracle: $OUT"
	[ "$(st_rt gate CVE-2099-0727 libssl3)" = "not_affected vulnerable_code_not_in_execute_path" ] &&
		jq_py "$T/rt-gate.json" '
s = [x for x in d["statements"] if x["vulnerability"]["name"] == "CVE-2099-0727" and "/libssl3@" in x["products"][0]["@id"]][0]
t = s["impact_statement"]
assert "usr/bin/openssl imports PKCS12_" in t and "/ward/policy.json (sha256:" in t and "entrypoint /ward/init -- /usr/bin/server" in t, t' &&
		pass "only /usr/bin/openssl imports PKCS12_parse and ward-init never executes it: not in the execute path, the policy quoted" ||
		fail "policy claim: $(st_rt gate CVE-2099-0727 libssl3) $(head -c 1500 "$T/rt-gate.json")"
	[ "$(st_rt gate CVE-2099-0728 openssl)" = "not_affected vulnerable_code_not_in_execute_path" ] &&
		pass "a CVE in the openssl command itself: not in the execute path under this policy" ||
		fail "program claim: $(st_rt gate CVE-2099-0728 openssl)"
else
	fail "pack and vex the policy image"
fi
if pack_rt allow '{"version": 1, "exec": {"allow": ["/usr/bin/openssl"]}}' /ward/init -- /usr/bin/server && vex_rt allow; then
	[ "$(st_rt allow CVE-2099-0727 libssl3)" = "affected -" ] && [ "$(st_rt allow CVE-2099-0728 openssl)" = "affected -" ] &&
		pass "exec.allow lists /usr/bin/openssl: affected" || fail "allow-listed: $(st_rt allow CVE-2099-0727 libssl3)"
	run python3 "$WARD_SRC/tests/py/vex_oracle.py" "$RT" "$T/rt-allow.json" "$T/rt-allow-scan.json" "$T/rt-ann.json" "$T/rt-allow-config.json"
	[ "$RC" = 0 ] && pass "allow-listed: equal to the oracle" || fail "allow oracle: $OUT"
fi
if pack_rt plain '{"version": 1}' /usr/bin/server && vex_rt plain; then
	[ "$(st_rt plain CVE-2099-0727 libssl3)" = "affected -" ] && grep -q "entrypoint is not /ward/init" "$T/rt-plain.err" &&
		pass "an image not started by ward-init proves nothing: affected, and ward says why" || fail "no ward-init: $(st_rt plain CVE-2099-0727 libssl3)"
fi
if pack_rt nopol 'not json' /ward/init -- /usr/bin/server && vex_rt nopol; then
	[ "$(st_rt nopol CVE-2099-0728 openssl)" = "affected -" ] && pass "an unreadable policy proves nothing" || fail "bad policy: $(st_rt nopol CVE-2099-0728 openssl)"
fi
rm -f "$RT/usr/bin/openssl"
if pack_rt gone '{"version": 1}' /ward/init -- /usr/bin/server && vex_rt gone; then
	[ "$(st_rt gone CVE-2099-0728 openssl)" = "not_affected component_not_present" ] &&
		pass "the openssl command removed: its package's files are gone (component_not_present)" || fail "gone: $(st_rt gone CVE-2099-0728 openssl)"
fi

# ---- VEX matching semantics (go-vex) ------------------------------------------
vexdoc() { # FILE TIMESTAMP STATEMENTS-JSON
	printf '{"@context":"https://openvex.dev/ns/v0.2.0","@id":"https://example.invalid/vex/%s","author":"test","timestamp":"%s","version":1,"statements":%s}\n' \
		"$(basename "$1")" "$2" "$3" >"$1"
}
vexdoc "$T/v1.json" 2024-01-01T00:00:00Z '[{"vulnerability":{"name":"DEBIAN-CVE-2024-31580"},"products":[{"@id":"pkg:deb/debian/python3-torch"}],"status":"not_affected","justification":"vulnerable_code_not_in_execute_path"}]'
run "$WARD" scan "$R" --db "$DB" --vex "$T/v1.json" --json
python3 -c "import json,sys; d=json.loads(sys.stdin.read()); assert [(f['id'], f['owner']) for f in d['suppressed']] == [('CVE-2024-31580', 'python3-torch')]" <<<"$OUT" &&
	pass "a versionless purl and an alias (DEBIAN- id) match the finding" || fail "alias/versionless: $OUT"
vexdoc "$T/v2.json" 2024-06-01T00:00:00Z '[{"vulnerability":{"name":"CVE-2024-31580"},"products":[{"@id":"pkg:deb/debian/python3-torch"}],"status":"affected","action_statement":"upgrade"}]'
run "$WARD" scan "$R" --db "$DB" --vex "$T/v1.json" --vex "$T/v2.json" --json
python3 -c "import json,sys; d=json.loads(sys.stdin.read()); assert not d['suppressed'] and any(f.get('vex',{}).get('status')=='affected' for f in d['findings'])" <<<"$OUT" &&
	pass "the later statement (affected) wins over the earlier not_affected" || fail "latest wins"
vexdoc "$T/v3.json" 2024-01-01T00:00:00Z '[{"vulnerability":{"name":"CVE-2024-31580"},"products":[{"@id":"pkg:deb/debian/python3-torch?arch=arm64"}],"status":"not_affected","justification":"component_not_present"}]'
run "$WARD" scan "$R" --db "$DB" --vex "$T/v3.json" --json
python3 -c "import json,sys; d=json.loads(sys.stdin.read()); assert not d['suppressed']" <<<"$OUT" &&
	pass "a qualifier the package does not have prevents the match" || fail "qualifier mismatch matched"
vexdoc "$T/v4.json" 2024-01-01T00:00:00Z '[{"vulnerability":{"name":"CVE-2024-31580"},"products":[{"@id":"pkg:oci/oracle-rootfs@sha256%3A0000000000000000000000000000000000000000000000000000000000000000","subcomponents":[{"@id":"pkg:pypi/torch"},{"@id":"pkg:deb/debian/python3-torch"}]}],"status":"fixed"}]'
$ORACLE sbom "$T/pk-mini.json" cdx-ward >"$T/sbom-mini.json"
run "$WARD" scan "$T/sbom-mini.json" --db "$DB" --vex "$T/v4.json" --json
python3 -c "import json,sys; d=json.loads(sys.stdin.read()); assert [(f['owner'], f['vex']['status']) for f in d['suppressed']] == [('python3-torch', 'fixed')]" <<<"$OUT" &&
	pass "the image as product with the package as subcomponent matches" || fail "subcomponent: $OUT"
vexdoc "$T/v5.json" 2024-01-01T00:00:00Z '[{"vulnerability":{"name":"CVE-2024-31580"},"products":[{"@id":"x"}],"status":"not_affected"}]'
expect_err 2 "needs a justification" "not_affected without a justification is refused" "$WARD" scan "$R" --db "$DB" --vex "$T/v5.json"

# ---- backports: real Debian packages, their changelogs, ward's cache ----------
# python3-idna and python3-urllib3 from this machine's apt sources (Debian's
# archive).  Their dist-info says idna 3.3 / urllib3 1.26.12, which PyPA's
# records call vulnerable (CVE-2024-3651; CVE-2023-43804, CVE-2023-45803);
# Debian backported the fixes, and each package's changelog.Debian.gz says so.
mkdir -p "$T/debs"
if (cd "$T/debs" && apt-get download -q python3-idna python3-urllib3 >/dev/null 2>&1) &&
	ls "$T/debs"/python3-idna_*.deb >/dev/null 2>&1; then
	deb_root() { # ROOT DEB...: unpack the .debs, with the dpkg database dpkg itself would write
		local r=$1 d n
		shift
		mkdir -p "$r/etc" "$r/var/lib/dpkg/info"
		printf 'ID=debian\nVERSION_ID="12"\n' >"$r/etc/os-release"
		for d in "$@"; do
			dpkg-deb -x "$d" "$r"
			n=$(dpkg-deb -f "$d" Package)
			{ dpkg-deb -f "$d" Package; echo "Status: install ok installed"
			  dpkg-deb -f "$d" | grep -v '^Package:'; echo; } | sed '1s/^/Package: /' >>"$r/var/lib/dpkg/status"
			dpkg-deb -c "$d" | awk '{print $6}' | sed 's|^\./|/|; s|/$||' | grep -v '^/*$' >"$r/var/lib/dpkg/info/$n.list"
		done
	}
	B=$T/bp
	deb_root "$B" "$T"/debs/*.deb
	IDNA=$(dpkg-deb -f "$T"/debs/python3-idna_*.deb Version)
	$ORACLE packages "$B" >"$T/pk-bp.json"
	$ORACLE expect "$T/pk-bp.json" "$VD/pypi:$VD/debian-12" "$T/cvss.tsv" >"$T/exp-bp.json"
	expect 0 "scan of python3-idna and python3-urllib3 as Debian ships them" "$WARD" scan "$B" --db "$DB" --json -o "$T/bp.json"
	run $ORACLE compare "$T/exp-bp.json" "$T/bp.json"
	[ "$RC" = 0 ] && pass "backport findings equal the oracle ($OUT)" || fail "backports: $(tail -5 <<<"$OUT")"
	jq_py "$T/bp.json" '
assert not [f for f in d["findings"] + d["resolved"] if f["ecosystem"] == "PyPI"], "a PyPI finding on a dpkg-owned module"
r = {(x["id"], x["owner"]): x for x in d["resolved"]}
for cve, owner, src in (("CVE-2024-3651", "python3-idna", "python-idna"), ("CVE-2023-43804", "python3-urllib3", "python-urllib3"),
                        ("CVE-2023-45803", "python3-urllib3", "python-urllib3")):
    x = r[(cve, owner)]
    assert (x["status"], x["basis"], x["package"]) == ("fixed", "changelog", src), x
    ev = " ".join(x["evidence"])
    assert "changelog /usr/share/doc/%s/changelog.Debian.gz" % owner in ev and "Fix %s" % cve in ev, ev' &&
		pass "CVE-2024-3651 (python3-idna $IDNA), CVE-2023-43804 and CVE-2023-45803 (python3-urllib3) are fixed by backport, the changelog line quoted" ||
		fail "backports: $(head -c 3000 "$T/bp.json")"
	expect 0 "the naive match (--no-backports)" "$WARD" scan "$B" --db "$DB" --json --no-backports -o "$T/bp-naive.json"
	$ORACLE expect "$T/pk-bp.json" "$VD/pypi:$VD/debian-12" "$T/cvss.tsv" --naive >"$T/exp-bp-naive.json"
	run $ORACLE compare "$T/exp-bp-naive.json" "$T/bp-naive.json"
	[ "$RC" = 0 ] && pass "--no-backports equals the oracle's naive match ($OUT)" || fail "naive: $(tail -5 <<<"$OUT")"
	jq_py "$T/bp-naive.json" '
n = {(x["id"], x["ecosystem"], x["package"]) for x in d["findings"]}
assert ("CVE-2024-3651", "PyPI", "idna") in n and ("CVE-2023-43804", "PyPI", "urllib3") in n, n' &&
		pass "--no-backports shows the difference: the PyPI findings on dpkg-owned modules come back" || fail "naive findings"

	# the same packages without /usr/share/doc (as ward's images ship them):
	# no evidence until ward's cache holds the .debs
	B2=$T/bp-nodoc
	cp -a "$B" "$B2" && rm -rf "$B2/usr/share/doc"
	expect 0 "scan without the changelogs, empty cache" "$WARD" scan "$B2" --db "$DB" --json -o "$T/bp2.json"
	jq_py "$T/bp2.json" '
x = [f for f in d["findings"] if f["id"] == "CVE-2024-3651"][0]
assert (x["status"], x["basis"], x["ecosystem"], x["owner"]) == ("under_investigation", "upstream-advisory", "Debian:12", "python3-idna"), x' &&
		pass "without a changelog, PyPA's record only raises the question (under_investigation against Debian's package)" || fail "no changelog"
	mkdir -p "$WARD_CACHE/blobs/sha256"
	for d in "$T"/debs/*.deb; do cp "$d" "$WARD_CACHE/blobs/sha256/$(sha256sum "$d" | cut -d' ' -f1)"; done
	expect 0 "scan without the changelogs, the .debs in ward's cache" "$WARD" scan "$B2" --db "$DB" --json -o "$T/bp3.json"
	$ORACLE packages "$B2" >"$T/pk-bp2.json"
	$ORACLE expect "$T/pk-bp2.json" "$VD/pypi:$VD/debian-12" "$T/cvss.tsv" >"$T/exp-bp3.json"
	run $ORACLE compare "$T/exp-bp3.json" "$T/bp3.json"
	[ "$RC" = 0 ] && pass "cache findings equal the oracle, which reads the .debs with dpkg-deb ($OUT)" || fail "cache: $(tail -5 <<<"$OUT")"
	jq_py "$T/bp3.json" '
x = [f for f in d["resolved"] if f["id"] == "CVE-2024-3651"][0]
assert x["status"] == "fixed" and "ward cache sha256:" in " ".join(x["evidence"]), x' &&
		pass "the changelog is read from the .deb in ward's cache when the image left it out" || fail "cache evidence"
	[ -n "$(ls "$WARD_CACHE/vuln/"*.changelog 2>/dev/null)" ] && pass "what each blob holds is remembered in <cache>/vuln/" ||
		fail "no memo in the cache"
	rm -rf "$WARD_CACHE/blobs" "$WARD_CACHE/vuln"

	# a pip-installed copy of the same module, from a wheel: PyPI's records apply
	W=$T/wheel
	mkdir -p "$W/idna-3.3.dist-info"
	cp -r "$B/usr/lib/python3/dist-packages/idna" "$W/"
	printf 'Metadata-Version: 2.1\nName: idna\nVersion: 3.3\nSummary: Internationalized Domain Names in Applications (IDNA)\n' >"$W/idna-3.3.dist-info/METADATA"
	printf 'Wheel-Version: 1.0\nGenerator: ward-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n' >"$W/idna-3.3.dist-info/WHEEL"
	python3 - "$W" <<'PY'
import base64, hashlib, os, sys, zipfile
w = sys.argv[1]
rows = []
for d, _, files in os.walk(w):
    for f in sorted(files):
        p = os.path.join(d, f); rel = os.path.relpath(p, w)
        h = base64.urlsafe_b64encode(hashlib.sha256(open(p, "rb").read()).digest()).rstrip(b"=").decode()
        rows.append("%s,sha256=%s,%d" % (rel, h, os.path.getsize(p)))
rows.append("idna-3.3.dist-info/RECORD,,")
open(os.path.join(w, "idna-3.3.dist-info/RECORD"), "w").write("\n".join(rows) + "\n")
with zipfile.ZipFile(w + "/idna-3.3-py3-none-any.whl", "w") as z:
    for r in rows:
        rel = r.split(",")[0]
        z.write(os.path.join(w, rel), rel)
PY
	P=$T/pip
	cp -a "$B" "$P"
	if python3 -m pip install -q --no-deps --no-index --no-compile --target "$P/usr/local/lib/python3.11/dist-packages" \
		"$W/idna-3.3-py3-none-any.whl" >/dev/null 2>&1; then
		expect 0 "scan with a pip-installed idna 3.3 beside Debian's" "$WARD" scan "$P" --db "$DB" --json -o "$T/pip.json"
		$ORACLE packages "$P" >"$T/pk-pip.json"
		$ORACLE expect "$T/pk-pip.json" "$VD/pypi:$VD/debian-12" "$T/cvss.tsv" >"$T/exp-pip.json"
		run $ORACLE compare "$T/exp-pip.json" "$T/pip.json"
		[ "$RC" = 0 ] && pass "pip-installed findings equal the oracle ($OUT)" || fail "pip: $(tail -5 <<<"$OUT")"
		jq_py "$T/pip.json" '
x = [f for f in d["findings"] if f["id"] == "CVE-2024-3651"]
assert [(f["ecosystem"], f["package"], f["owner"], f["status"], f["fixed"]) for f in x] == [("PyPI", "idna", "idna", "affected", "3.7")], x
assert [f["owner"] for f in d["resolved"] if f["id"] == "CVE-2024-3651"] == ["python3-idna"]' &&
			pass "the pip-installed idna 3.3 (from a wheel) IS found via PyPI (fixed in 3.7); Debian's copy stays fixed by its backport" ||
			fail "pip-installed: $(head -c 2000 "$T/pip.json")"
	else
		fail "pip install of the test wheel"
	fi
else
	fail "apt-get download python3-idna python3-urllib3 (Debian archive)"
fi

# ---- Debian feeds: the tracker's JSON export, Debian's OSV records -------------
TD=$WARD_SRC/tests/data/vuln
cp "$TD/debian-tracker-excerpt.json" "$T/tracker.json"
touch -d 2026-01-01T00:00:00Z "$T/tracker.json"
expect 0 "db import of a Debian tracker export and Debian OSV records" \
	"$WARD" db import "$T/tracker.json" "$TD/osv-debian" "$VD/debian-12" --db "$T/fdb"
grep -qF "Debian tracker export: 11 source packages" <<<"$ERR" && grep -qF "tracker.json: 12 records" <<<"$ERR" &&
	pass "the tracker export becomes one record per issue (12 issues of 11 source packages)" || fail "tracker import: $ERR"
run "$WARD" db status --db "$T/fdb" --json
jq_py "$T/.out" '
s = {x["path"].rsplit("/", 1)[-1]: x for x in d["sources"]}
t = s["tracker.json"]
# 12 issues; the 3 that shared/vulndata also holds (a newer copy) count there
assert (t["format"], t["data_time"][:19], t["records"], t["stale"]) == ("debian-tracker", "2026-01-01T00:00:00", 9, True), t
assert t["ecosystems"] == {"Debian:11": 4, "Debian:12": 9}, t["ecosystems"]
# DEBIAN-CVE-2024-3651 is held by the newer tracker copy
assert s["osv-debian"]["format"] == "osv" and s["osv-debian"]["records"] == 2, s["osv-debian"]
assert d["merged_vulnerabilities"] >= 5, d' &&
	pass "db status: each source with its format, data time, age and record counts by release; duplicates across feeds counted" ||
	fail "db status: $OUT"
WARD_DB_MAX_AGE=36500 run "$WARD" db status --db "$T/fdb"
grep -q "STALE" <<<"$OUT" && fail "stale with a 36500-day threshold" || pass "a source younger than WARD_DB_MAX_AGE is not stale"
expect 0 "status as text" "$WARD" db status --db "$T/fdb"
grep -q "format debian-tracker, imported" <<<"$OUT" && grep -q "STALE" <<<"$OUT" && pass "db status prints each source's age" || fail "status text: $OUT"
run "$WARD" scan "$R2" --db "$T/fdb" --json
grep -q "the vulnerability store is stale: $T/tracker.json is" <<<"$ERR" &&
	pass "a stale store warns on every scan" || fail "no stale warning: $ERR"
# the same issue from two feeds: DEBIAN-CVE-2024-3651 (an old OSV copy,
# no-dsa) and the tracker export (newer: resolved in 3.3-1+deb12u1)
"$WARD" db import "$T/tracker.json" --db "$T/fdb2" 2>/dev/null
run "$WARD" db import "$TD/osv-debian/DEBIAN-CVE-2024-3651.json" --db "$T/fdb2" --json
jq_py "$T/.out" 'assert d[0]["unchanged"] == 1, d' && pass "an older copy of the same record from another feed does not replace it (merged by id, later modified wins)" ||
	fail "merge by id: $OUT"
# scans against the tracker data equal the oracle's own reading of the export
R3=$T/feeds
mkdir -p "$R3/etc" "$R3/var/lib/dpkg"
printf 'ID=debian\nVERSION_ID=12\n' >"$R3/etc/os-release"
cat >"$R3/var/lib/dpkg/status" <<'EOF2'
Package: python3-idna
Status: install ok installed
Architecture: all
Source: python-idna
Version: 3.3-1+deb12u1

Package: python3-idna-old
Status: install ok installed
Architecture: all
Source: python-idna
Version: 3.3-1

Package: python3-certifi
Status: install ok installed
Architecture: all
Source: python-certifi
Version: 2022.9.24-1

Package: libxml2
Status: install ok installed
Architecture: amd64
Version: 2.9.14+dfsg-1.3~deb12u1

Package: libxml2-utils
Status: install ok installed
Architecture: amd64
Source: libxml2
Version: 2.9.14+dfsg-1.3~deb12u4

Package: libpython3.11-stdlib
Status: install ok installed
Architecture: amd64
Source: python3.11
Version: 3.11.2-6+deb12u2

Package: zlib1g
Status: install ok installed
Architecture: amd64
Source: zlib
Version: 1:1.2.13.dfsg-1

Package: openssl
Status: install ok installed
Architecture: amd64
Version: 3.0.17-1~deb12u2
EOF2
$ORACLE packages "$R3" >"$T/pk-feeds.json"
$ORACLE expect "$T/pk-feeds.json" "$T/tracker.json:$TD/osv-debian:$VD/debian-12" "$T/cvss.tsv" >"$T/exp-feeds.json"
expect 0 "scan against the tracker export and Debian's OSV records" "$WARD" scan "$R3" --db "$T/fdb" --json -o "$T/feeds.json"
run $ORACLE compare "$T/exp-feeds.json" "$T/feeds.json"
[ "$RC" = 0 ] && pass "findings from the tracker export equal the oracle's own reading of it ($OUT)" || fail "feeds: $(tail -5 <<<"$OUT")"
jq_py "$T/feeds.json" '
f = {(x["id"], x["owner"]): x for x in d["findings"]}
r = {(x["id"], x["owner"]): x for x in d["resolved"]}
assert ("CVE-2024-3651", "python3-idna") not in f and ("CVE-2024-3651", "python3-idna") not in r
x = f[("CVE-2024-3651", "python3-idna-old")]
assert (x["fixed"], x["status"]) == ("3.3-1+deb12u1", "affected"), x
c = f[("CVE-2022-23491", "python3-certifi")]
assert (c["status"], c["urgency"], c["kind"]) == ("affected", "unimportant", "unfixed"), c
z = f[("CVE-2023-45853", "zlib1g")]
assert z["kind"] == "ignored" and "contrib/minizip not built" in (z.get("reason") or z["urgency"]), z
# DSA-5949-1 fixed CVE-2023-45322 in 2.9.14+dfsg-1.3~deb12u2: libxml2-utils (deb12u4) is fixed
# though DEBIAN-CVE-2023-45322 (an older tracker state) still says no-dsa; libxml2 (deb12u1) is not
u = r[("CVE-2023-45322", "libxml2-utils")]
assert (u["status"], u["fixed"]) == ("fixed", "2.9.14+dfsg-1.3~deb12u2") and "released fix wins" in u["disagreement"], u
l = f[("CVE-2023-45322", "libxml2")]
assert (l["status"], l["fixed"]) == ("affected", "2.9.14+dfsg-1.3~deb12u2") and "DSA-5949-1" in l["records"], l
# a DSA naming three CVEs is three findings, each merged with its own record
p = sorted(k[0] for k in f if k[1] == "libpython3.11-stdlib" and k[0] in ("CVE-2024-0397", "CVE-2024-4032", "CVE-2024-8088"))
assert p == ["CVE-2024-0397", "CVE-2024-4032", "CVE-2024-8088"], p
assert all("DSA-5759-1" in f[(c, "libpython3.11-stdlib")]["records"] for c in p)
assert ("CVE-2025-15469", "openssl") not in f' &&
	pass "tracker states carried through (fixed version, unimportant, ignored with its reason); a DSA fans out per CVE and its released fix wins over an older open record" ||
	fail "feeds: $(head -c 3000 "$T/feeds.json")"
printf '{"zlib": {"CVE-2099-0001": {"releases": {"bookworm": {"status": "open"' >"$T/cut-tracker.json"
expect_err 2 "truncated" "a truncated tracker export is refused in one line" "$WARD" db import "$T/cut-tracker.json" --db "$T/fdb3"
printf '{"zlib": {"CVE-2099-0001": {"releases": {"bookworm": {"status": "open", "urgency": "end-of-life"}, "bullseye": {"status": "undetermined"}}}, "CVE-2099-0002": {"releases": {"bookworm": {"status": "open", "urgency": "low", "nodsa": "Minor issue", "nodsa_reason": "postponed"}}}, "CVE-2099-0003": {"releases": {"bookworm": {"status": "undetermined", "urgency": "not yet assigned"}}}}}\n' >"$T/states.json"
expect 0 "import of the open states (crafted)" "$WARD" db import "$T/states.json" --db "$T/sdb"
$ORACLE expect "$T/pk-feeds.json" "$T/states.json" "$T/cvss.tsv" >"$T/exp-states.json"
expect 0 "scan against the crafted states" "$WARD" scan "$R3" --db "$T/sdb" --json -o "$T/states-out.json"
run $ORACLE compare "$T/exp-states.json" "$T/states-out.json"
[ "$RC" = 0 ] && pass "crafted tracker states equal the oracle ($OUT)" || fail "states: $(tail -5 <<<"$OUT")"
jq_py "$T/states-out.json" '
k = {x["id"]: (x["status"], x["kind"]) for x in d["findings"]}
assert k == {"CVE-2099-0001": ("affected", "end-of-life"), "CVE-2099-0002": ("affected", "postponed"),
             "CVE-2099-0003": ("under_investigation", "undetermined")}, k' &&
	pass "end-of-life and postponed are affected with the tracker's reason, undetermined is under_investigation" || fail "states: $(cat "$T/states-out.json" | head -c 1500)"

finish
