#!/usr/bin/env bash
# The stock image users care about most: Debian 12 (debootstrap minbase)
# plus python3-torch, packed as a docker-archive by podman and as an OCI
# layout by skopeo.  ward sbom on both: schema-valid documents, packages
# equal to dpkg-query -W run on that root filesystem and to the
# dist-info/egg-info directories present, dpkg's file lists agree with the
# ownership, the files manifest matches the tree, every package has a
# license entry and the concluded share is printed.  Heavy (≈1.5 GB, a
# few minutes): `make check-e2e`.  The root filesystem is cached in the
# build directory.
. "$(dirname "$0")/../sh/lib.sh"

ORACLE="$WARD_SRC/tests/py/sbom_oracle.py"
CACHE=${WARD_BUILD:-$WARD_SRC/build-check}/test-cache
BASE=$CACHE/sbom-bookworm-torch

debootstrap_root "$BASE" python3-torch || { fail "debootstrap python3-torch"; finish; exit 1; }

IMG=localhost/ward-test-sbom-torch-$$:1
tar -C "$BASE" -cf - . | podman import -q - "$IMG" >/dev/null 2>&1 &&
	podman save -q --format docker-archive -o "$T/torch.tar" "$IMG" >/dev/null 2>&1 &&
	pass "podman packed the root filesystem as a docker-archive" || fail "podman import/save"
podman rmi -f "$IMG" >/dev/null 2>&1
skopeo copy -q "docker-archive:$T/torch.tar" "oci:$T/torch-oci:latest" >/dev/null 2>&1 &&
	pass "skopeo converted it to an OCI layout (gzip layers)" || fail "skopeo copy"

for input in "$T/torch.tar" "$T/torch-oci:latest"; do
	o=$T/out-$(basename "${input%%:*}")
	check "ward sbom $(basename "$input")" "$WARD" sbom "$input" -o "$o"
	share=$ERR
	check "$(basename "$input"): CycloneDX validates" python_oracle validate_schema.py cyclonedx "$o/sbom.cdx.json"
	check "$(basename "$input"): SPDX validates" python_oracle validate_schema.py spdx "$o/sbom.spdx.json"
	check "$(basename "$input"): refs, dependencies, namespace, same components" \
		python_oracle sbom_check.py "$o/sbom.cdx.json" "$o/sbom.spdx.json"
	check "$(basename "$input"): packages = dpkg-query -W and the dist-info/egg-info present" \
		python3 "$ORACLE" packages "$o/sbom.cdx.json" "$BASE"
	check "$(basename "$input"): dpkg's file lists agree with the ownership" \
		python3 "$ORACLE" owners "$o/owners.tsv" "$o/sbom.cdx.json" "$BASE"
	check "$(basename "$input"): files manifest = the tree (lstat + sha256)" \
		python3 "$ORACLE" manifest "$o/files.manifest" "$BASE"
	run python3 - "$o" <<'PY'
import json, sys
o = sys.argv[1]
cdx = json.load(open(o + "/sbom.cdx.json"))
names = {c["name"]: c for c in cdx["components"]}
assert "python3-torch" in names and "torch" in names, "torch missing"
owner = [p["value"] for p in names["torch"]["properties"] if p["name"] == "ward:owner"]
assert owner == [names["python3-torch"]["bom-ref"]], owner
lic = json.load(open(o + "/licenses.json"))
pk = [c for c in cdx["components"] if c.get("purl", "").startswith(("pkg:deb/", "pkg:pypi/"))]
assert lic["summary"]["packages"] == len(pk) == len(lic["components"])
print(lic["summary"])
PY
	[ "$RC" = 0 ] && pass "$(basename "$input"): torch is contained in python3-torch; licenses cover every package ($OUT)" ||
		fail "torch checks: $ERR"
	grep -E "^ward: licenses: " <<<"$share" && pass "license share printed" || fail "no license share line"
done
cmp -s <(tail -n +3 "$T/out-torch.tar/files.manifest") <(tail -n +3 "$T/out-torch-oci/files.manifest") &&
	pass "docker-archive and OCI layout give the same files manifest" || fail "manifests differ"

finish
