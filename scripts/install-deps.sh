#!/usr/bin/env bash
# install-deps.sh: everything ward needs on Debian 12, idempotent.
#   scripts/install-deps.sh          build + run (the main job)
#   scripts/install-deps.sh --test   also the test tools (oracles, real clients)
# Debian packages come from the machine's apt sources; npm packages for the
# tests go to tests/js/node_modules.  Nothing is fetched when all is present.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
want_tests=0
for a in "$@"; do
	case "$a" in
	--test) want_tests=1 ;;
	*) echo "usage: $0 [--test]" >&2; exit 2 ;;
	esac
done

build_pkgs=(
	gcc
	make
	cmake
	pkg-config
	libssl-dev
	libsodium-dev
	libjansson-dev
	libyaml-dev
	libarchive-dev
	libcurl4-openssl-dev
	libzstd-dev
	libdeflate-dev
	zlib1g-dev
	liblzma-dev
	liblz4-dev
	libsqlite3-dev
	libelf-dev
	ca-certificates
	gpgv
	debian-archive-keyring
	python3
)
run_pkgs=(
	podman
	runc
	skopeo
	umoci
	uidmap
	slirp4netns
	fuse-overlayfs
	curl
)
test_pkgs=(
	libcmocka-dev
	clang
	libclang-rt-14-dev
	python3-jsonschema
	python3-yaml
	python3-packaging
	python3-apt
	python3-h11
	python3-pip
	python3-setuptools
	python3-wheel
	python3-pip-whl
	python3-setuptools-whl
	python3-wheel-whl
	golang-github-burntsushi-toml-dev
	debootstrap
	binutils
	dpkg-dev
	gpg
	lz4
	libarchive-tools
	tar
	gzip
	xz-utils
	zstd
	openssl
	prometheus
	wrk
	docker-registry
	apache2-utils
	diffoscope-minimal
	faketime
	hyperfine
	tini
	dumb-init
	catatonit
	iproute2
	procps
	chromium
)

pkgs=("${build_pkgs[@]}" "${run_pkgs[@]}")
[ "$want_tests" = 1 ] && pkgs+=("${test_pkgs[@]}")
command -v node >/dev/null || pkgs+=(nodejs)
command -v npm >/dev/null || pkgs+=(npm)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
	sudo=""
	[ "$(id -u)" = 0 ] || sudo="sudo"
	echo "install-deps: installing ${missing[*]}"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The Sigstore public-good trusted root ward builds in (data/sigstore,
# read at build time from @sigstore/tuf's seeds.json; docs/signing.md).
stamp=$here/data/sigstore/node_modules/.ward-stamp
want=$(sha256sum "$here/data/sigstore/package.json" | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
	echo "install-deps: installing the Sigstore trusted root (data/sigstore/package.json)"
	(cd "$here/data/sigstore" && npm install --no-package-lock --no-audit --no-fund --silent)
	echo "$want" >"$stamp"
fi

if [ "$want_tests" = 1 ]; then
	# Python oracles: the first python3 on PATH must import jsonschema, yaml and
	# packaging (Debian's python3-packaging, or the copy vendored in pip).
	py_ok() { python3 -c 'import jsonschema, yaml' 2>/dev/null && {
		python3 -c 'import packaging.version' 2>/dev/null ||
			python3 -c 'import pip._vendor.packaging.version' 2>/dev/null; }; }
	if ! py_ok; then
		echo "install-deps: $(command -v python3) cannot import jsonschema, yaml and packaging" >&2
		exit 3
	fi
	# Reinstall whenever tests/js/package.json changes (a stamp records it).
	stamp=$here/tests/js/node_modules/.ward-stamp
	want=$(sha256sum "$here/tests/js/package.json" | cut -d' ' -f1)
	if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
		echo "install-deps: installing the npm test oracles (tests/js/package.json)"
		(cd "$here/tests/js" && npm install --no-package-lock --no-audit --no-fund --silent)
		echo "$want" >"$stamp"
	fi
fi
echo "install-deps: ok"
