# deb_lib.sh: a signed Debian archive built from scratch for the deb tests,
# with dpkg-deb, dpkg-scanpackages, gpg and tests/py/make_release.py.
# Source after lib.sh.  Provides:
#   deb_gpg_setup                 a signing key; $KEYRING is its public keyring
#   make_deb POOL NAME VER ARCH [FIELD-LINES] [COMPRESSION] [HOOK]
#                                 HOOK is a function run with the package
#                                 tree's directory before it is built
#   make_suite MIRROR SUITE       Packages(.xz,.gz), Release, InRelease, Release.gpg
#   start_mirror DIR [ARGS...]    tests/py/http_mirror.py on 127.0.0.1: sets
#                                 $MIRROR_URL, $MIRROR_LOG, $MIRROR_PID
#   stop_mirror
export GNUPGHOME="$T/gnupg"
KEYRING="$T/keyring.gpg"

deb_gpg_setup() {
	mkdir -p "$GNUPGHOME" && chmod 700 "$GNUPGHOME"
	gpg --batch --quiet --passphrase '' --quick-gen-key "ward test archive <archive@ward.invalid>" \
		ed25519 sign never 2>/dev/null || return 1
	gpg --batch --quiet --export >"$KEYRING"
}

# make_deb POOL NAME VERSION ARCH [EXTRA-CONTROL-LINES] [COMPRESSION] [HOOK]
make_deb() {
	local pool=$1 name=$2 ver=$3 arch=$4 extra=${5:-} comp=${6:-xz} hook=${7:-}
	local d="$T/debsrc/$name-$ver-$arch"
	rm -rf "$d"
	mkdir -p "$d/DEBIAN" "$d/usr/share/doc/$name" "$pool"
	printf 'Package: %s\nVersion: %s\nArchitecture: %s\nMaintainer: ward tests <t@ward.invalid>\n' \
		"$name" "$ver" "$arch" >"$d/DEBIAN/control"
	[ -n "$extra" ] && printf '%s\n' "$extra" >>"$d/DEBIAN/control"
	printf 'Description: test package %s\n ward resolver fixture.\n' "$name" >>"$d/DEBIAN/control"
	echo "copyright of $name $ver" >"$d/usr/share/doc/$name/copyright"
	[ -n "$hook" ] && "$hook" "$d"
	dpkg-deb --root-owner-group -Z"$comp" --build "$d" "$pool/${name}_${ver}_${arch}.deb" >/dev/null
}

# make_suite MIRROR SUITE: index the debs in MIRROR/pool/SUITE and sign.
make_suite() {
	local m=$1 suite=$2 p="$1/dists/$2/main/binary-amd64"
	mkdir -p "$p"
	(cd "$m" && dpkg-scanpackages -a amd64 "pool/$suite" /dev/null 2>/dev/null) >"$p/Packages"
	xz -kf "$p/Packages"
	gzip -kf9n "$p/Packages"
	python3 "$WARD_SRC/tests/py/make_release.py" "$m" "$suite"
	gpg --batch --quiet --yes --clearsign -o "$m/dists/$suite/InRelease" "$m/dists/$suite/Release"
	gpg --batch --quiet --yes --detach-sign -o "$m/dists/$suite/Release.gpg" "$m/dists/$suite/Release"
}

start_mirror() {
	local dir=$1
	shift
	MIRROR_LOG="$T/mirror-$RANDOM.log"
	: >"$MIRROR_LOG"
	rm -f "$T/mirror.port"
	python3 "$WARD_SRC/tests/py/http_mirror.py" "$dir" "$T/mirror.port" "$MIRROR_LOG" "$@" &
	MIRROR_PID=$!
	for _ in $(seq 1 100); do [ -s "$T/mirror.port" ] && break; sleep 0.05; done
	MIRROR_URL="http://127.0.0.1:$(cat "$T/mirror.port")"
}

stop_mirror() {
	[ -n "${MIRROR_PID:-}" ] && kill "$MIRROR_PID" 2>/dev/null && wait "$MIRROR_PID" 2>/dev/null
	MIRROR_PID=""
}
trap 'stop_mirror; umount "$T/tiny" 2>/dev/null; chmod -R u+w "$T" 2>/dev/null; rm -rf "$T"' EXIT

# lock_names LOCK: "name version suite" lines of a ward.lock (python oracle).
lock_names() {
	python3 -c 'import json,sys
for p in json.load(open(sys.argv[1]))["packages"]: print(p["name"], p["version"], p["suite"])' "$1"
}
# lock_cuts LOCK: "package|dependency|reason" lines.
lock_cuts() {
	python3 -c 'import json,sys
for c in json.load(open(sys.argv[1]))["cut"]: print(c["package"]+"|"+c["dependency"]+"|"+c["reason"])' "$1"
}
