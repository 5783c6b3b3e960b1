# release_lib.sh: a released small image for the release, test-matrix,
# audit and report tests.  Source after lib.sh and build_lib.sh.
#   release_setup        the small project ($P), keys, the vulnerability store
#                        ($DB, from shared/vulndata)
#   release_small OUT [ARGS...]   ward release of it into OUT; $OUT/$ERR/$RC
#                        and $DIGEST (the last line of stdout)
#   stock_image FILE     a stock Debian 12 image (debootstrap minbase, with
#                        a shell, apt and setuid files) as a docker-archive made
#                        by podman; $STOCK_ROOT is its root filesystem
export WARD_PASSWORD=ward-test
DB=$T/db

release_setup() {
	P=$T/small
	small_project "$P" || return 1
	"$WARD" db import "$WARD_SHARED/vulndata/pypi" "$WARD_SHARED/vulndata/debian-12" --db "$DB" \
		>/dev/null 2>"$T/db.err" || {
		cat "$T/db.err" >&2
		return 1
	}
}

release_small() {
	local out=$1
	shift
	run "$WARD" release -f "$P/ward.yaml" --key "$T/signing.key" --db "$DB" -o "$out" \
		--init "$WARD_INIT" --repo-tag "$IMG_PREFIX:1" "$@"
	DIGEST=$(echo "$OUT" | tail -1)
}


# The stock root is the debootstrap minbase test_sbom.sh uses (shared cache).
stock_image() {
	local tar=$1 mirror
	STOCK_ROOT=$CACHE/sbom-bookworm-minbase-py
	debootstrap_root "$STOCK_ROOT" python3-six,python3-packaging,python3-idna || return 1
	tar -C "$STOCK_ROOT" -cf - . |
		podman import -q --change 'CMD ["/bin/bash"]' - "$IMG_PREFIX-stock:1" >/dev/null &&
		podman save -q --format docker-archive -o "$tar" "$IMG_PREFIX-stock:1" &&
		podman rmi -f "$IMG_PREFIX-stock:1" >/dev/null
}
