#!/usr/bin/env bash
# ward fleet over heavy real images (`make check-e2e`): the PyTorch example's
# release (ward release of examples/torch-serve: image, SBOMs, VEX), Debian
# 12 with python3-torch (debootstrap), the debootstrap minbase with
# dpkg-owned Python modules and the same with distributions installed by
# pip, and a Debian 13 (trixie) minbase.  On SQLite and on a private
# PostgreSQL cluster: for every CVE of shared/vulndata, `ward fleet impact`
# equals `ward scan` of each image (a release: its image with its own VEX),
# and after `ward fleet sync` every image's stored findings equal its scan.
# Times are printed, not asserted.
. "$(dirname "$0")/../sh/lib.sh"
. "$(dirname "$0")/../sh/build_lib.sh"
. "$(dirname "$0")/../sh/pg_lib.sh"
. "$(dirname "$0")/../sh/fleet_lib.sh"
podman_setup
EX=$WARD_SRC/examples/torch-serve
VD=$WARD_SHARED/vulndata
DB=$T/db

check "db import of shared/vulndata" "$WARD" db import "$VD/pypi" "$VD/debian-12" --db "$DB"
$CMP ids "$VD" >"$T/cves.txt"

# the PyTorch example, released
P=$T/torch-serve
mkdir -p "$P"
cp -r "$EX/ward.yaml" "$EX/app" "$P/"
python3 "$EX/model/make_model.py" "$P/model/mlp" >/dev/null
check "ward lock of the PyTorch example" "$WARD" lock -f "$P/ward.yaml"
check "ward fetch" "$WARD" fetch -f "$P/ward.yaml" --jobs 8
"$WARD" keygen -o "$T/signing" >/dev/null 2>&1
run "$WARD" release -f "$P/ward.yaml" --key "$T/signing.key" --db "$DB" -o "$T/rel" --init "$WARD_INIT" --no-run
[ "$RC" = 0 ] && pass "ward release of torch-serve" || { fail "ward release: $(tail -3 <<<"$ERR")"; finish; exit 1; }
TAG=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['image']['tag'])" "$T/rel/release.json")

# Debian 12 + python3-torch, the minbase, the minbase with pip distributions
debootstrap_root "$CACHE/sbom-bookworm-torch" python3-torch || { fail "debootstrap python3-torch"; finish; exit 1; }
fleet_pack "$CACHE/sbom-bookworm-torch" torch && pass "Debian 12 + python3-torch packed by podman" || fail "pack torch"
BASE=$CACHE/sbom-bookworm-minbase-py
debootstrap_root "$BASE" python3-six,python3-packaging,python3-idna || { fail "debootstrap minbase"; finish; exit 1; }
fleet_pack "$BASE" minbase && pass "the minbase packed by podman" || fail "pack minbase"
R=$T/pip
cp -a "$BASE" "$R"
for d in idna:2.5 requests:2.25.0 urllib3:1.26.4 jinja2:2.10 pyyaml:5.3; do
	mkdir -p "$T/proj-${d%%:*}/m_${d%%:*}"
	printf '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n[project]\nname = "%s"\nversion = "%s"\n[tool.setuptools]\npackages = ["m_%s"]\n' \
		"${d%%:*}" "${d#*:}" "${d%%:*}" >"$T/proj-${d%%:*}/pyproject.toml"
	echo 'X = 1' >"$T/proj-${d%%:*}/m_${d%%:*}/__init__.py"
	(cd "$T/proj-${d%%:*}" && /usr/bin/python3 -m pip install -q --no-index --no-deps --no-build-isolation \
		--target "$R/usr/local/lib/python3.11/dist-packages" . >/dev/null 2>&1) || fail "pip install ${d%%:*}"
done
fleet_pack "$R" pip && pass "the minbase with distributions installed by pip" || fail "pack pip"
if debootstrap_root "$CACHE/fleet-trixie-minbase" python3-idna trixie; then
	fleet_pack "$CACHE/fleet-trixie-minbase" trixie && pass "a Debian 13 (trixie) minbase" || fail "pack trixie"
	TRIXIE="$T/img/trixie.tar||"
else
	fail "debootstrap trixie"
	TRIXIE=""
fi

cat >"$T/images.list" <<EOF
$T/rel|--key $T/signing.pub|--vex $T/rel/artifacts/vex.openvex.json|$T/rel/image:$TAG
$T/img/torch.tar||
$T/img/minbase.tar||
$T/img/pip.tar||
$TRIXIE
EOF
fleet_prepare images "$T/images.list" "$DB"

for b in sqlite postgresql; do
	case $b in
	sqlite) INV=$T/fleet.sqlite ;;
	postgresql)
		pg_start || { fail "cannot start a private PostgreSQL cluster"; continue; }
		INV=$PG_URI ;;
	esac
	t0=$(date +%s.%N)
	fleet_add_all images "$INV"
	t1=$(date +%s.%N)
	[ "$ADDED" = "$(wc -l <"$T/inputs-images.tsv")" ] &&
		pass "$b: fleet add of the release and the images ($(python3 -c "print('%.1f' % ($t1 - $t0))") s)" ||
		fail "$b: add ($ADDED added)"
	t0=$(date +%s.%N)
	fleet_equal "$b" "$INV" "$DB" "$T/cves.txt" "$T/scans-images.tsv"
	t1=$(date +%s.%N)
	echo "# $b: impact of $(wc -l <"$T/cves.txt") CVEs in $(python3 -c "print('%.1f' % ($t1 - $t0))") s"
	check "$b: sync" "$WARD" fleet sync --db "$DB" --inventory "$INV"
	run "$WARD" fleet ls --findings --inventory "$INV" --json -o "$T/state-$b.json"
	run $CMP state "$T/state-$b.json" "$T/scans-images.tsv"
	[ "$RC" = 0 ] && pass "$b: after the sync every image's findings equal its scan ($OUT)" ||
		fail "$b: state after sync: $OUT"
done
finish
