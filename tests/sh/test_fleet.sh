#!/usr/bin/env bash
# ward fleet: the inventory and its answers, on SQLite and on PostgreSQL (a
# private cluster: initdb + pg_ctl in $T, a Unix socket only, run as an
# unprivileged user; tests/sh/pg_lib.sh), the same cases on both.
#
# The oracle is `ward scan` itself: for every CVE in shared/vulndata,
# `ward fleet impact` must list exactly the findings (and VEX-suppressed
# findings) that `ward scan` of each image reports naming that CVE, field by
# field (tests/py/fleet_compare.py); after `ward fleet sync`, the stored
# findings of every image must equal its scan, before and after a feed
# update.  The fleet: a release made by ward release (its image and VEX), a
# debootstrap minbase with dpkg-owned Python modules, the same with
# distributions installed by pip, this machine's package metadata with VEX,
# Debian's python3-torch metadata with a pip requests; a CycloneDX and an
# SPDX SBOM by ward and a syft-style one.  Also: idempotent add, rm (name,
# digest prefix), concurrent adds, schema migrations, bad input, SARIF, a
# Prometheus textfile (promtool) and the HTML page.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/build_lib.sh"
. "$(dirname "$0")/release_lib.sh"
. "$(dirname "$0")/pg_lib.sh"
. "$(dirname "$0")/fleet_lib.sh"
podman_setup

VD=$WARD_SHARED/vulndata
ORACLE="python3 $WARD_SRC/tests/py/vuln_oracle.py"
BASE=$CACHE/sbom-bookworm-minbase-py
jq_py() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); $2" "$1"; }

release_setup || { fail "lock, fetch and the vulnerability store"; finish; exit 1; }
$CMP ids "$VD" >"$T/cves.txt"
NCVE=$(wc -l <"$T/cves.txt")

# ---- the images -----------------------------------------------------------------
release_small "$T/rel" --no-run
[ "$RC" = 0 ] && pass "ward release of the small image (image + VEX)" || fail "ward release: $(tail -3 <<<"$ERR")"
TAG=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['image']['tag'])" "$T/rel/release.json")

debootstrap_root "$BASE" python3-six,python3-packaging,python3-idna ||
	{ fail "debootstrap minbase (needs debootstrap and a bookworm mirror)"; finish; exit 1; }
fleet_pack "$BASE" minbase && pass "podman packed the debootstrap minbase" || fail "pack minbase"

# minbase + distributions installed by pip: old versions with PyPA advisories
# (a pip copy of idna beside Debian's python3-idna, requests, urllib3)
R=$T/pip
cp -a "$BASE" "$R"
for d in idna:2.5 requests:2.25.0 urllib3:1.26.4; do
	mkdir -p "$T/proj-${d%%:*}/m_${d%%:*}"
	printf '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n[project]\nname = "%s"\nversion = "%s"\n[tool.setuptools]\npackages = ["m_%s"]\n' \
		"${d%%:*}" "${d#*:}" "${d%%:*}" >"$T/proj-${d%%:*}/pyproject.toml"
	echo 'X = 1' >"$T/proj-${d%%:*}/m_${d%%:*}/__init__.py"
	(cd "$T/proj-${d%%:*}" && /usr/bin/python3 -m pip install -q --no-index --no-deps --no-build-isolation \
		--target "$R/usr/local/lib/python3.11/dist-packages" . >/dev/null 2>&1) || fail "pip install ${d%%:*}"
done
fleet_pack "$R" pip && pass "an image with distributions installed by pip" || fail "pack pip"

# this machine's package metadata (dpkg database, os-release, dist-info)
H=$T/host
mkdir -p "$H/etc" "$H/var/lib"
cp -L /etc/os-release "$H/etc/os-release"
cp -a /var/lib/dpkg "$H/var/lib/"
for m in /usr/lib/python3*/*-packages/*.*-info /usr/local/lib/python3*/*-packages/*.*-info; do
	case $m in *.dist-info | *.egg-info)
		[ -e "$m" ] || continue
		mkdir -p "$H$(dirname "$m")" && cp -a "$m" "$H$(dirname "$m")/" ;;
	esac
done
fleet_pack "$H" host && pass "an image of this machine's package metadata" || fail "pack host"

# Debian's python3-torch as Debian ships its metadata, and a pip requests
M=$T/mini
mkdir -p "$M/etc" "$M/var/lib/dpkg/info" "$M/usr/lib/python3/dist-packages/torch-1.13.0a0+gitunknown.egg-info" \
	"$M/usr/local/lib/python3.11/dist-packages/requests-2.25.0.dist-info"
printf 'ID=debian\nVERSION_ID="12"\n' >"$M/etc/os-release"
printf 'Package: python3-torch\nStatus: install ok installed\nArchitecture: amd64\nSource: pytorch\nVersion: 1.13.1+dfsg-4\n\nPackage: libtorch1.13\nStatus: install ok installed\nArchitecture: amd64\nSource: pytorch\nVersion: 1.13.1+dfsg-4\n\nPackage: libssl3\nStatus: install ok installed\nArchitecture: amd64\nSource: openssl\nVersion: 3.0.11-1~deb12u2\n\nPackage: zlib1g\nStatus: install ok installed\nArchitecture: amd64\nSource: zlib\nVersion: 1:1.2.13.dfsg-1\n' \
	>"$M/var/lib/dpkg/status"
printf 'Metadata-Version: 2.1\nName: torch\nVersion: 1.13.0a0+gitunknown\n' \
	>"$M/usr/lib/python3/dist-packages/torch-1.13.0a0+gitunknown.egg-info/PKG-INFO"
printf '/usr/lib/python3/dist-packages/torch-1.13.0a0+gitunknown.egg-info\n/usr/lib/python3/dist-packages/torch-1.13.0a0+gitunknown.egg-info/PKG-INFO\n' \
	>"$M/var/lib/dpkg/info/python3-torch.list"
printf 'Metadata-Version: 2.1\nName: requests\nVersion: 2.25.0\n' \
	>"$M/usr/local/lib/python3.11/dist-packages/requests-2.25.0.dist-info/METADATA"
fleet_pack "$M" mini && pass "an image with Debian's python3-torch metadata" || fail "pack mini"

# SBOMs: ward's CycloneDX of the pip image, ward's SPDX of the mini image (each
# added without its image, to a second inventory: they name the same digests),
# and a syft-style SBOM of the host
check "ward sbom of the pip image" "$WARD" sbom "$T/img/pip.tar" -o "$T/sbom-pip"
check "ward sbom of the mini image" "$WARD" sbom "$T/img/mini.tar" -o "$T/sbom-mini"
$ORACLE packages "$H" >"$T/pk-host.json"
$ORACLE sbom "$T/pk-host.json" cdx-syft >"$T/syft-host.json"
python3 - "$T/syft-host.json" <<'PY'
# the oracle names a placeholder digest: name this SBOM's own
import hashlib, json, sys
d = json.load(open(sys.argv[1]))
h = hashlib.sha256(json.dumps(d["components"]).encode()).hexdigest()
d["metadata"]["component"]["bom-ref"] = "pkg:oci/host@sha256%3A" + h
json.dump(d, open(sys.argv[1], "w"))
PY

# VEX: ward's own for the host image, and one statement made by hand that
# suppresses a real finding
export SOURCE_DATE_EPOCH=1700000000
check "ward vex of the host image" "$WARD" vex "$T/img/host.tar" --db "$DB" \
	--annotations "$WARD_SRC/data/vex-annotations.json" -o "$T/host.vex.json"
python3 - "$T/host.vex.json" "$T/host.vex2.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["@id"] = d["@id"] + "-2"
d["timestamp"] = "2099-01-01T00:00:00Z"
d["statements"] = [{"vulnerability": {"name": "CVE-2023-3446"}, "products": [{"@id": "pkg:deb/debian/libssl3"}],
                    "status": "not_affected", "justification": "vulnerable_code_not_present"}]
json.dump(d, open(sys.argv[2], "w"))
PY
unset SOURCE_DATE_EPOCH

# the fleet: INPUT|extra add options|scan options
cat >"$T/images.list" <<EOF
$T/rel|--key $T/signing.pub|--vex $T/rel/artifacts/vex.openvex.json|$T/rel/image:$TAG
$T/img/minbase.tar:localhost/ward-test-fleet-minbase-$$:1||
$T/img/pip.tar||
$T/img/host.tar|--vex $T/host.vex.json --vex $T/host.vex2.json|--vex $T/host.vex.json --vex $T/host.vex2.json
$T/img/mini.tar||
EOF
cat >"$T/sboms.list" <<EOF
$T/sbom-pip/sbom.cdx.json||
$T/sbom-mini/sbom.spdx.json||
$T/syft-host.json||
EOF
fleet_prepare images "$T/images.list" "$DB"
fleet_prepare sboms "$T/sboms.list" "$DB"
[ "$(wc -l <"$T/scans-images.tsv")" = 5 ] && [ "$(wc -l <"$T/scans-sboms.tsv")" = 3 ] &&
	[ "$(cut -f1 "$T/scans-images.tsv" "$T/scans-sboms.tsv" | sort -u | grep -c '^sha256:[0-9a-f]\{64\}$')" = 6 ] &&
	pass "8 inputs, each with its scan and digest (the SBOMs of pip and mini name their images' digests)" ||
	fail "inputs: $(cat "$T/inputs-images.tsv" "$T/inputs-sboms.tsv")"

# ---- the newer feed, an OSV file, and the scans they imply --------------------
mkdir -p "$T/osv" "$T/feed2"
python3 - "$VD" "$T/feed2" "$T/osv" <<'PY'
import json, os, sys
vd, feed, osv = sys.argv[1:]
def rec(name): return json.load(open(os.path.join(vd, "debian-12", name)))
# openssl's postponed CVE-2023-3446 is now fixed below every installed version
r = rec("DEBIAN-CVE-2023-3446.json"); r["modified"] = "2099-01-02T00:00:00Z"
r["affected"][0]["ranges"][0]["events"] = [{"introduced": "0"}, {"fixed": "3.0.0-1"}]
r["affected"][0].pop("ecosystem_specific", None)
json.dump(r, open(os.path.join(feed, "a.json"), "w"))
# pam's no-dsa CVE-2024-10041 is withdrawn
r = rec("DEBIAN-CVE-2024-10041.json"); r["modified"] = "2099-01-02T00:00:00Z"; r["withdrawn"] = "2099-01-02T00:00:00Z"
json.dump(r, open(os.path.join(feed, "b.json"), "w"))
# openssl's postponed CVE-2023-2975 gets a fix above every installed version
r = rec("DEBIAN-CVE-2023-2975.json"); r["modified"] = "2099-01-02T00:00:00Z"
r["affected"][0]["ranges"][0]["events"] = [{"introduced": "0"}, {"fixed": "9.9.9-1"}]
r["affected"][0].pop("ecosystem_specific", None)
json.dump(r, open(os.path.join(feed, "c.json"), "w"))
# a new advisory: zlib and PyPI idna
new = {"id": "CVE-2099-7777", "modified": "2099-01-02T00:00:00Z", "aliases": ["GHSA-ward-test-7777"],
       "summary": "a test advisory", "affected": [
           {"package": {"ecosystem": "Debian:12", "name": "zlib"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1:1.3-1"}]}]},
           {"package": {"ecosystem": "PyPI", "name": "IDNA"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "3.7"}]}]}]}
json.dump(new, open(os.path.join(feed, "d.json"), "w"))
json.dump(new, open(os.path.join(osv, "CVE-2099-7777.json"), "w"))
PY
DB2=$T/db2
cp -a "$DB" "$DB2"
check "db import of the newer feed" "$WARD" db import "$T/feed2" --db "$DB2"
python3 -c "
import glob, json, sys
for p in glob.glob(sys.argv[1] + '/*.json'):
    r = json.load(open(p))
    if r.get('withdrawn'): print(r['id'])" "$T/feed2" >"$T/withdrawn.txt"
{ grep -vx CVE-2024-10041 "$T/cves.txt"; echo CVE-2099-7777; } >"$T/cves2.txt"
check "a store of the OSV file alone" "$WARD" db import "$T/osv" --db "$T/dbfile"
fleet_rescan images "$DB2" db2
fleet_rescan images "$T/dbfile" file
H_DIGEST=$(grep '^host.tar|' "$T/inputs-images.tsv" | cut -d'|' -f5)
"$WARD" scan "$T/img/host.tar" --db "$DB" --json -o "$T/scan-host-novex.json" 2>/dev/null

count_rows() { # BACKEND INV TABLE
	if [ "$1" = sqlite ]; then
		sqlite3 "$2" "SELECT count(*) FROM $3"
	else
		as_pg "$(pg_bin)/psql" -h "$PG_DIR/sock" -U ward -d "$(sed 's|postgresql:///\([^?]*\)?.*|\1|' <<<"$2")" -Atc "SELECT count(*) FROM $3"
	fi
}

# ---- one backend ----------------------------------------------------------------
# cases NAME INV INV2: every case against the empty inventories INV (the images)
# and INV2 (the SBOMs).
cases() {
	local b=$1 inv=$2 inv2=$3 d
	fleet_add_all images "$inv"
	[ "$ADDED" = 5 ] && pass "$b: fleet add of a release and 4 images" || fail "$b: add ($ADDED added)"
	fleet_add_all sboms "$inv2"
	[ "$ADDED" = 3 ] && pass "$b: fleet add of 3 SBOMs" || fail "$b: add SBOMs ($ADDED added)"
	run "$WARD" fleet add "$T/img/pip.tar" --name pip:latest --name pip:1 --inventory "$inv"
	[ "$RC" = 0 ] && grep -q "^ward: have sha256:.*names merged" <<<"$ERR" &&
		pass "$b: the same digest again only merges names" || fail "$b: re-add: $RC $ERR"
	run "$WARD" fleet ls --inventory "$inv" --json
	python3 - "$T/.out" "$TAG" <<'PY' && pass "$b: ls: 5 images, names merged, origins, package counts" || fail "$b: ls: $OUT"
import json, sys
d, tag = json.load(open(sys.argv[1])), sys.argv[2]
assert len(d) == 5, len(d)
pip = [i for i in d if "pip:latest" in i["names"]]
assert len(pip) == 1 and "pip:1" in pip[0]["names"] and len(pip[0]["names"]) == 3, d
rel = [i for i in d if i["origin"].startswith("release:")]
assert len(rel) == 1 and any(n.endswith(":" + tag) for n in rel[0]["names"]), rel
assert all(i["packages"] > 0 and i["digest"].startswith("sha256:") for i in d)
PY

	# impact == scan, for every CVE of shared/vulndata, image by image
	fleet_equal "$b: images" "$inv" "$DB" "$T/cves.txt" "$T/scans-images.tsv"
	fleet_equal "$b: SBOMs" "$inv2" "$DB" "$T/cves.txt" "$T/scans-sboms.tsv"
	# the comparison can fail: the host's scan without its VEX differs
	sed "s|$T/scan-host.tar.json|$T/scan-host-novex.json|" "$T/scans-images.tsv" >"$T/scans-novex.tsv"
	run $CMP impact "$T/impact-${b}__images.json" "$T/scans-novex.tsv"
	[ "$RC" = 1 ] && pass "$b: the comparison notices a difference (scan without the image's VEX)" ||
		fail "$b: comparison blind to VEX: $OUT"
	jq_py "$T/impact-${b}__images.json" '
a = {x["query"]: x for x in d}["CVE-2023-3446"]
sup = [f for f in a["findings"] if f["owner"] == "libssl3" and f["list"] == "suppressed"]
assert len(sup) == 1 and sup[0]["vex"]["status"] == "not_affected" and len(sup[0]["images"]) == 1, a
aff = [f for f in a["findings"] if f["owner"] == "libssl3" and f["list"] == "findings"]
assert aff and sup[0]["images"][0] not in {i for f in aff for i in f["images"]}, a' &&
		pass "$b: VEX status from the image's own statements (CVE-2023-3446 not_affected on the host)" ||
		fail "$b: VEX status"
	jq_py "$T/impact-${b}__images.json" '
a = {x["query"]: x for x in d}["CVE-2023-32681"]
pip = [f for f in a["findings"] if f["package"] == "requests"]
assert pip and all(f["ecosystem"] == "PyPI" and f["owner"] == "requests" for f in pip), a' &&
		pass "$b: a pip-installed requests is found through PyPI" || fail "$b: pip requests"

	# an OSV file taken alone: as if the store held only it
	run "$WARD" fleet impact "$T/osv/CVE-2099-7777.json" --inventory "$inv" --json -o "$T/impfile-$b.json"
	run $CMP impact "$T/impfile-$b.json" "$T/scans-images-file.tsv"
	[ "$RC" = 0 ] && ! grep -q " 0 findings compared" <<<"$OUT" &&
		pass "$b: impact of an OSV file equals ward scan with a store of that file ($OUT)" ||
		fail "$b: OSV file: $OUT $ERR"

	# formats
	run "$WARD" fleet impact CVE-2023-3446 CVE-2023-32681 --db "$DB" --inventory "$inv" --format sarif -o "$T/imp-$b.sarif"
	jq_py "$T/imp-$b.sarif" '
assert d["version"] == "2.1.0" and len(d["runs"]) >= 2
for run in d["runs"]:
    rules = run["tool"]["driver"]["rules"]
    assert run["automationDetails"]["id"].startswith("sha256:")
    for r in run["results"]:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"] in ("CVE-2023-3446", "CVE-2023-32681")' &&
		pass "$b: SARIF 2.1.0: one run per affected image, rules indexed" || fail "$b: SARIF"
	run "$WARD" fleet impact CVE-2023-3446 --db "$DB" --inventory "$inv" --format prometheus -o "$T/imp-$b.prom"
	promtool check metrics <"$T/imp-$b.prom" >/dev/null 2>&1 &&
		grep -q '^ward_fleet_affected_images{severity="low"} [1-9]' "$T/imp-$b.prom" &&
		pass "$b: Prometheus exposition accepted by promtool" || fail "$b: prometheus: $(cat "$T/imp-$b.prom")"
	run "$WARD" fleet impact CVE-2023-3446 --db "$DB" --inventory "$inv" --format html -o "$T/imp-$b.html"
	grep -q 'CVE-2023-3446' "$T/imp-$b.html" && ! grep -qi '<script' "$T/imp-$b.html" &&
		pass "$b: the impact as an HTML page" || fail "$b: impact HTML"
	expect_err 2 "CVE-2099-0404" "$b: an id the store does not know is bad input" \
		"$WARD" fleet impact CVE-2099-0404 --db "$DB" --inventory "$inv"
	expect 1 "$b: --fail-on low exits 1 when an image is affected" \
		"$WARD" fleet impact CVE-2023-3446 --db "$DB" --inventory "$inv" --fail-on low
	expect 0 "$b: --fail-on critical exits 0 when nothing that severe is" \
		"$WARD" fleet impact CVE-2023-3446 --db "$DB" --inventory "$inv" --fail-on critical

	# sync: the stored findings equal the scans; then a newer feed
	run "$WARD" fleet sync --db "$DB" --inventory "$inv" --json -o "$T/sync1-$b.json"
	[ "$RC" = 0 ] && jq_py "$T/sync1-$b.json" 'assert d["new_images"]["images"] == 5 and d["previous_sync"] is None' &&
		pass "$b: first sync evaluates the 5 images" || fail "$b: first sync: $ERR"
	run "$WARD" fleet ls --findings --inventory "$inv" --json -o "$T/state1-$b.json"
	run $CMP state "$T/state1-$b.json" "$T/scans-images.tsv"
	[ "$RC" = 0 ] && pass "$b: after the first sync every image's findings equal its scan ($OUT)" ||
		fail "$b: state after sync 1: $OUT"
	run "$WARD" fleet sync --db "$DB2" --inventory "$inv" --json -o "$T/sync2-$b.json"
	[ "$RC" = 0 ] || fail "$b: sync 2: $ERR"
	run $CMP changes "$T/sync2-$b.json" "$T/scans-images.tsv" "$T/scans-images-db2.tsv" "$T/withdrawn.txt"
	[ "$RC" = 0 ] && pass "$b: the changes reported equal those the scans before and after imply ($OUT)" ||
		fail "$b: sync 2 changes differ from the scans': $OUT"
	python3 - "$T/sync2-$b.json" <<'PY' && pass "$b: the newer feed: newly fixed, withdrawn, newly affected, fix available, with modified times" || fail "$b: sync 2 changes: $(head -c 600 "$T/sync2-$b.json")"
import json, sys
d = json.load(open(sys.argv[1]))
r = d["records"]
assert (r["new"], r["modified"], r["withdrawn"]) == (1, 2, 1), r
ch = {}
for c in d["changes"]:
    f = c["finding"]
    ch.setdefault(c["change"], set()).add(f["id"])
    assert c["records"] and all(v.startswith("2099-") for v in c["records"].values()), c
    assert c["images"] and all(i.startswith("sha256:") for i in c["images"]), c
# (which images and which other findings move is checked against the scans
# above; here, that each kind of change is exercised)
assert "CVE-2023-3446" in ch.get("newly_fixed", ()), ch
assert ch.get("withdrawn") == {"CVE-2024-10041"}, ch
assert "CVE-2099-7777" in ch.get("newly_affected", ()), ch
assert "CVE-2023-2975" in ch.get("fix_available", ()), ch
PY
	run "$WARD" fleet ls --findings --inventory "$inv" --json -o "$T/state2-$b.json"
	run $CMP state "$T/state2-$b.json" "$T/scans-images-db2.tsv"
	[ "$RC" = 0 ] && pass "$b: after the feed update every image's findings equal its scan with the new store ($OUT)" ||
		fail "$b: state after sync 2: $OUT"
	run "$WARD" fleet sync --db "$DB2" --inventory "$inv" --json -o "$T/sync3-$b.json"
	jq_py "$T/sync3-$b.json" 'assert not d["changes"] and d["records"] == {"new": 0, "modified": 0, "withdrawn": 0, "removed": 0}' &&
		pass "$b: a sync with nothing new reports nothing" || fail "$b: sync 3"
	run "$WARD" fleet sync --db "$DB2" --inventory "$inv" --prometheus "$T/state-$b.prom" --html "$T/fleet-$b.html"
	promtool check metrics <"$T/state-$b.prom" >/dev/null 2>&1 && grep -q '^ward_fleet_images 5$' "$T/state-$b.prom" &&
		grep -q '^ward_fleet_affected_images{severity="low"} [1-9]' "$T/state-$b.prom" &&
		pass "$b: the fleet's Prometheus textfile" || fail "$b: state textfile: $(head -5 "$T/state-$b.prom")"
	grep -q 'id="matrix"' "$T/fleet-$b.html" && ! grep -qi '<script' "$T/fleet-$b.html" &&
		grep -q 'CVE-2099-7777' "$T/fleet-$b.html" && pass "$b: the HTML page (images x CVEs, no script)" ||
		fail "$b: HTML page"

	# rm: by name, by digest prefix; unknown; the packages nothing holds go too
	run "$WARD" fleet rm pip:latest --inventory "$inv"
	[ "$RC" = 0 ] && grep -q "removed sha256:" <<<"$ERR" && pass "$b: rm by name" || fail "$b: rm by name: $ERR"
	d=$(grep '^minbase.tar|' "$T/inputs-images.tsv" | cut -d'|' -f5)
	check "$b: rm by a digest prefix" "$WARD" fleet rm "${d:7:16}" --inventory "$inv"
	expect_err 2 "no image" "$b: rm of an unknown name is bad input" "$WARD" fleet rm nothing:here --inventory "$inv"
	grep -v -e "^$d" -e "^$(grep '^pip.tar|' "$T/inputs-images.tsv" | cut -d'|' -f5)" \
		"$T/scans-images-db2.tsv" >"$T/scans-left.tsv"
	fleet_equal "$b: after rm, the 3 images left" "$inv" "$DB2" "$T/cves2.txt" "$T/scans-left.tsv"
	for x in $(cut -f1 "$T/scans-left.tsv"); do "$WARD" fleet rm "$x" --inventory "$inv" 2>/dev/null; done
	[ "$(count_rows "$b" "$inv" image)" = 0 ] && [ "$(count_rows "$b" "$inv" pkg)" = 0 ] &&
		[ "$(count_rows "$b" "$inv" pkg_key)" = 0 ] && [ "$(count_rows "$b" "$inv" exposure)" = 0 ] &&
		pass "$b: removing every image leaves no image, package, key or exposure row" ||
		fail "$b: rows left after rm"

	# concurrent adds: 10 processes, the same 5 digests twice
	local pids="" i base input addopts scanopts target bad=0
	for i in 1 2; do
		while IFS='|' read -r base input addopts scanopts d target; do
			# shellcheck disable=SC2086
			"$WARD" fleet add "$input" $addopts --name "run$i" --inventory "$inv" \
				>"$T/conc-$b-$i-$base.log" 2>&1 &
			pids="$pids $!"
		done <"$T/inputs-images.tsv"
	done
	for i in $pids; do wait "$i" || bad=$((bad + 1)); done
	run "$WARD" fleet ls --inventory "$inv" --json
	[ "$bad" = 0 ] && jq_py "$T/.out" 'assert len(d) == 5 and all({"run1", "run2"} <= set(i["names"]) for i in d), d' &&
		pass "$b: 10 concurrent adds of 5 digests: 5 images, every name recorded" ||
		fail "$b: concurrent adds ($bad failed): $(cat "$T"/conc-"$b"-*.log | grep -v '^ward: \(added\|have\)' | head -3)"
	fleet_equal "$b: after the concurrent adds" "$inv" "$DB2" "$T/cves2.txt" "$T/scans-images-db2.tsv"
}

# ---- SQLite, then PostgreSQL -----------------------------------------------------
cases sqlite "$T/fleet.sqlite" "$T/fleet-sboms.sqlite"
if pg_start; then
	pass "a private PostgreSQL cluster on a Unix socket, run as $PG_USER"
	ss -ltnp 2>/dev/null | grep -q postgres && fail "PostgreSQL listens on a network port"
	cases postgresql "$PG_URI" "$(pg_newdb sboms)"
else
	fail "cannot start a private PostgreSQL cluster"
fi

# ---- schema migrations, errors -------------------------------------------------
run "$WARD" fleet migrate --to 1 --inventory "$T/v1.sqlite"
[ "$RC" = 0 ] && [ "$(sqlite3 "$T/v1.sqlite" 'SELECT group_concat(version) FROM schema_migrations')" = 1 ] &&
	! sqlite3 "$T/v1.sqlite" .tables | grep -qw feed && pass "migrate --to 1 stops at version 1" || fail "migrate --to 1: $ERR"
# a version-1 inventory with images in it (copied from a current one) is
# migrated on open, and answers as before
"$WARD" fleet add "$T/img/host.tar" "$T/img/mini.tar" --inventory "$T/cur.sqlite" 2>/dev/null
sqlite3 "$T/v1.sqlite" "ATTACH '$T/cur.sqlite' AS c; INSERT INTO image SELECT * FROM c.image;
	INSERT INTO image_name SELECT * FROM c.image_name; INSERT INTO pkg SELECT * FROM c.pkg;
	INSERT INTO pkg_key SELECT * FROM c.pkg_key; INSERT INTO image_pkg SELECT * FROM c.image_pkg;"
grep -F -e "$T/scan-mini.tar.json" "$T/scans-images.tsv" >"$T/scans-v1.tsv"
printf '%s\t%s\n' "$H_DIGEST" "$T/scan-host-novex.json" >>"$T/scans-v1.tsv"
fleet_equal "a version-1 inventory, migrated on open" "$T/v1.sqlite" "$DB" "$T/cves.txt" "$T/scans-v1.tsv"
[ "$(sqlite3 "$T/v1.sqlite" 'SELECT group_concat(version) FROM schema_migrations')" = 1,2 ] &&
	pass "  ... now at version 2" || fail "v1 inventory not migrated"
if [ -n "$PG_URI" ]; then
	u=$(pg_newdb mig)
	run "$WARD" fleet migrate --to 1 --inventory "$u"
	run "$WARD" fleet migrate --inventory "$u"
	[ "$RC" = 0 ] && [ "$(count_rows postgresql "$u" schema_migrations)" = 2 ] &&
		pass "PostgreSQL: migrate --to 1, then to the latest" || fail "PostgreSQL migrations: $ERR"
fi
sqlite3 "$T/v1.sqlite" "INSERT INTO schema_migrations VALUES(99, 'x')"
expect_err 2 "newer than this ward knows" "an inventory from a newer ward is refused" "$WARD" fleet ls --inventory "$T/v1.sqlite"
sqlite3 "$T/other.sqlite" "CREATE TABLE t(x)"
expect_err 2 "not a ward fleet inventory" "someone else's SQLite file is left alone" \
	"$WARD" fleet add "$T/img/mini.tar" --inventory "$T/other.sqlite"
one_line && pass "  ... in one line" || fail "  ... not one line: $ERR"
[ "$(sqlite3 "$T/other.sqlite" .tables)" = t ] && pass "  ... and unchanged" || fail "other.sqlite was changed"
expect_err 2 "no fleet inventory" "ls of a missing inventory" "$WARD" fleet ls --inventory "$T/none.sqlite"
for i in $(seq 300); do echo "not a database at all, just some text"; done >"$T/garbage.sqlite"
expect_err 2 "garbage.sqlite" "a file that is not SQLite is bad input" "$WARD" fleet ls --inventory "$T/garbage.sqlite"
expect_err 3 "cannot connect" "an unreachable PostgreSQL is an environment error" \
	"$WARD" fleet ls --inventory "postgresql:///x?host=$T/nosock&user=ward&password=s3cret"
grep -q "s3cret" <<<"$ERR" && fail "the password shows in the message" || pass "  ... and the password is not shown"
printf '{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": []}' >"$T/nodigest.json"
expect_err 2 "--digest" "an SBOM without an image digest needs --digest" \
	"$WARD" fleet add "$T/nodigest.json" --inventory "$T/x.sqlite"
check "  ... and is added with it" "$WARD" fleet add "$T/nodigest.json" --digest "sha256:$(printf '%064d' 7)" \
	--inventory "$T/x.sqlite"
printf '{"bomFormat": "CycloneDX", "components": 7}' >"$T/bad-sbom.json"
expect_err 2 "bad-sbom.json" "a malformed SBOM is bad input" \
	"$WARD" fleet add "$T/bad-sbom.json" --digest "sha256:$(printf '%064d' 8)" --inventory "$T/x.sqlite"
one_line && pass "  ... in one line" || fail "  ... not one line: $ERR"
expect_err 2 "not a sha256" "a malformed --digest is bad input" \
	"$WARD" fleet add "$T/nodigest.json" --digest sha256:xyz --inventory "$T/x.sqlite"

finish
