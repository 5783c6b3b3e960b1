# build_lib.sh: helpers for the `ward build` tests.  Source after lib.sh.
#   $CACHE          the package and layer cache, kept in the build directory
#                   between runs (WARD_TEST_CACHE overrides) so reruns are fast
#   small_project D copy the small test image's project (tests/data/build/small)
#                   to D, lock it against the machine's apt lists, fetch it
#   private_cache C LOCK  a cache at C holding only LOCK's .debs (hard links
#                   to $CACHE's, else copies): no layer, unpacked tree or
#                   bytecode of another test; run again after LOCK changes
#   podman_setup    a containers.conf for these machines; $IMG_PREFIX for names
#   layout_digest L the manifest digest index.json of layout L names
#   explain_diff A B  diffoscope output (bounded) for two layouts that differ
export LC_ALL=C TZ=UTC
: "${WARD_BUILD:=$WARD_SRC/build-check}"
CACHE=${WARD_TEST_CACHE:-$WARD_BUILD/test-cache}
export WARD_CACHE=$CACHE WARD_PASSWORD=ward-test
mkdir -p "$CACHE"

small_project() {
	local d=$1
	mkdir -p "$d"
	cp -r "$WARD_SRC/tests/data/build/small/." "$d/"
	"$WARD" lock -f "$d/ward.yaml" --offline >/dev/null 2>"$T/lock.err" || {
		cat "$T/lock.err" >&2
		return 1
	}
	"$WARD" fetch -f "$d/ward.yaml" --jobs 4 >/dev/null 2>"$T/fetch.err" || {
		cat "$T/fetch.err" >&2
		return 1
	}
	[ -f "$T/signing.key" ] || "$WARD" keygen -o "$T/signing" 2>/dev/null
}

private_cache() {
	mkdir -p "$1/blobs/sha256"
	python3 -c 'import json,sys
for p in json.load(open(sys.argv[1]))["packages"]: print(p["sha256"])' "$2" |
		while read -r sha; do
			[ -e "$1/blobs/sha256/$sha" ] || ln "$CACHE/blobs/sha256/$sha" "$1/blobs/sha256/$sha" 2>/dev/null ||
				cp "$CACHE/blobs/sha256/$sha" "$1/blobs/sha256/$sha"
		done
}

podman_setup() {
	cat >"$T/containers.conf" <<'EOF'
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
[engine]
runtime = "runc"
EOF
	export CONTAINERS_CONF=$T/containers.conf
	IMG_PREFIX=localhost/ward-test-build-$$
}

layout_digest() {
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]+"/index.json"))["manifests"][0]["digest"])' "$1"
}

explain_diff() {
	if command -v diffoscope >/dev/null; then
		timeout 300 diffoscope --no-progress --max-report-size 200000 "$1" "$2" 2>&1 | head -150
	else
		diff -r "$1" "$2" | head -50
	fi
}

# free_port: a TCP port nothing listens on.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_http URL SECONDS: poll until URL answers 200.
wait_http() {
	local i
	for i in $(seq 1 $((${2:-30} * 4))); do
		curl -sf "$1" >/dev/null 2>&1 && return 0
		sleep 0.25
	done
	return 1
}
