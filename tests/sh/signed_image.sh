# signed_image.sh: helpers for the signing, tamper and registry tests.
# Source after lib.sh.  Images are made independently of ward: a
# docker-archive written by tests/py/make_image.py, turned into an OCI
# layout by skopeo.

export WARD_PASSWORD=ward-test-password

# make_layout DIR TAG SEED [SIZE]: a two-layer image in the OCI layout DIR.
make_layout() {
	local dir=$1 tag=$2 seed=$3 size=${4:-4096}
	python3 "$WARD_SRC/tests/py/make_image.py" "$T/$seed.tar" "ward-test/$seed:$tag" \
		--seed "$seed" --size "$size" &&
		skopeo copy -q "docker-archive:$T/$seed.tar" "oci:$dir:$tag" &&
		rm -f "$T/$seed.tar"
}

# make_keys PREFIX: a cosign-format key pair PREFIX.key / PREFIX.pub.
make_keys() {
	"$WARD" keygen -o "$1" >/dev/null 2>&1
}

# make_signed DIR TAG SEED KEY: image + CycloneDX + SPDX (ward sbom's, so they
# match a fresh catalog) + provenance, signed last; DIR.jsonl is its
# attestation bundle.
make_signed() {
	local dir=$1 tag=$2 seed=$3 key=$4
	make_layout "$dir" "$tag" "$seed" || return 1
	"$WARD" sbom "$dir:$tag" --format cyclonedx >"$T/$seed.cdx.json" 2>/dev/null &&
		"$WARD" sbom "$dir:$tag" --format spdx >"$T/$seed.spdx.json" 2>/dev/null &&
		printf 'name: %s\nbase: debian-12\n' "$seed" >"$T/$seed.yaml" &&
		"$WARD" attest "$dir:$tag" --key "$key" --type cyclonedx \
			--predicate "$T/$seed.cdx.json" 2>/dev/null &&
		"$WARD" attest "$dir:$tag" --key "$key" --type spdx \
			--predicate "$T/$seed.spdx.json" 2>/dev/null &&
		"$WARD" attest "$dir:$tag" --key "$key" --provenance --spec "$T/$seed.yaml" \
			--input "$T/$seed.cdx.json" 2>/dev/null &&
		"$WARD" sign "$dir:$tag" --key "$key" --bundle-out "$dir.jsonl" 2>/dev/null
}

# json_get FILE EXPR: a value from a JSON file (python expression over d).
json_get() {
	python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"
}
