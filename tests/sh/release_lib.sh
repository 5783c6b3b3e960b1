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

# The Debian mirror comes from the system's apt sources (deb822 or one-line).
debian_mirror() {
	python3 - <<'PY'
import glob, re
for path in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
    for stanza in open(path).read().split("\n\n"):
        f = dict(re.findall(r"^([A-Za-z-]+):\s*(.*)$", stanza, re.M))
        if "deb" in f.get("Types", "").split() and "bookworm" in f.get("Suites", "").split():
            print(f["URIs"].split()[0]); raise SystemExit
for path in ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*.list")):
    try:
        for line in open(path):
            m = re.match(r"^deb\s+(?:\[[^]]*\]\s+)?(\S+)\s+bookworm\s", line)
            if m:
                print(m.group(1)); raise SystemExit
    except FileNotFoundError:
        pass
PY
}

# A debootstrap minbase root: the one test_sbom.sh caches when it is there
# (the same Debian + a few Python packages), else our own, built once under
# a lock (tests run in parallel).
stock_image() {
	local tar=$1 mirror
	STOCK_ROOT=$CACHE/sbom-bookworm-minbase-py
	if [ ! -f "$STOCK_ROOT.ok" ]; then
		STOCK_ROOT=$CACHE/release-bookworm-minbase
		(
			flock 9
			[ -f "$STOCK_ROOT.ok" ] && exit 0
			mirror=$(debian_mirror)
			[ -n "$mirror" ] && command -v debootstrap >/dev/null || exit 1
			rm -rf "$STOCK_ROOT" "$STOCK_ROOT.tmp"
			debootstrap --variant=minbase --include=python3-six,python3-packaging,python3-idna \
				bookworm "$STOCK_ROOT.tmp" "$mirror" >"$T/debootstrap.log" 2>&1 || exit 1
			rm -f "$STOCK_ROOT.tmp"/var/cache/apt/archives/*.deb
			mv "$STOCK_ROOT.tmp" "$STOCK_ROOT" && touch "$STOCK_ROOT.ok"
		) 9>"$CACHE/release-bookworm-minbase.lock" || return 1
	fi
	tar -C "$STOCK_ROOT" -cf - . |
		podman import -q --change 'CMD ["/bin/bash"]' - "$IMG_PREFIX-stock:1" >/dev/null &&
		podman save -q --format docker-archive -o "$tar" "$IMG_PREFIX-stock:1" &&
		podman rmi -f "$IMG_PREFIX-stock:1" >/dev/null
}
