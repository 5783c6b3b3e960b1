#!/usr/bin/env bash
# bench/build.sh: ward build of examples/torch-serve against baselines on the
# same root file system, side by side in one run, as ratios.
#   bash bench/build.sh            (BENCH_ZSTD=1 adds a zstd build)
# Rows:
#   ward build, warm blob cache   the .debs are in the cache, nothing else:
#                                 unpack (recording each package's tree),
#                                 bytecode, every layer compressed
#   tar -c rootfs | gzip -6       the same root file system, one gzip stream
#   podman build (COPY rootfs)    a Dockerfile FROM scratch COPYing it
#   ward build, warm package cache  the layer cache removed, the packages'
#                                 unpacked trees kept: no .deb is
#                                 decompressed, every layer compressed
#   ward build, unchanged         again, the layer cache warm
#   ward build, one app file changed
#   ward build, one package added  libjansson4 (in no layer before) locked
#                                 in: the package stage runs again, the other
#                                 packages from their trees; package layers
#                                 whose files did not change come from the
#                                 layer cache
# Peak memory (max RSS) of each ward run is reported.  Needs the packages
# once (ward fetch downloads them into WARD_CACHE, default ~/.cache/ward).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
WARD=${WARD:-$here/build/bin/ward}
WARD_INIT=${WARD_INIT:-$here/build/bin/ward-init}
[ -x "$WARD" ] || { echo "bench: build ward first (make)" >&2; exit 3; }
export WARD_PASSWORD=bench LC_ALL=C
CACHE=${WARD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ward}
export WARD_CACHE=$CACHE
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ward-bench-build.XXXXXX")
img=localhost/ward-bench-build-$$:1
cat >"$tmp/containers.conf" <<'EOF'
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
[engine]
runtime = "runc"
EOF
export CONTAINERS_CONF=${CONTAINERS_CONF:-$tmp/containers.conf}
trap 'podman rmi -f "$img" >/dev/null 2>&1; chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT

P=$tmp/torch-serve
mkdir -p "$P"
cp -r "$here/examples/torch-serve/ward.yaml" "$here/examples/torch-serve/app" "$P/"
python3 "$here/examples/torch-serve/model/make_model.py" "$P/model/mlp"
"$WARD" -q lock -f "$P/ward.yaml"
"$WARD" -q fetch -f "$P/ward.yaml" --jobs 8
"$WARD" keygen -o "$tmp/signing" 2>/dev/null

# A cache with the locked .debs only (hard links): warm blobs, no layers.
cold_cache() {
	rm -rf "$1"
	mkdir -p "$1/blobs/sha256"
	python3 -c 'import json,sys
for p in json.load(open(sys.argv[1]))["packages"]: print(p["sha256"])' "$P/ward.lock" |
		while read -r sha; do
			ln "$CACHE/blobs/sha256/$sha" "$1/blobs/sha256/$sha" 2>/dev/null ||
				cp "$CACHE/blobs/sha256/$sha" "$1/blobs/sha256/$sha"
		done
}

# timed NAME CMD...: run, record "seconds maxrss_kb cpu_seconds" in $tmp/NAME.t
timed() {
	local name=$1
	shift
	/usr/bin/time -f "%e %M %U %S" -o "$tmp/$name.t" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" || {
		echo "bench: $name failed:" >&2
		tail -5 "$tmp/$name.err" >&2
		exit 1
	}
}

sync
cold_cache "$tmp/cache"
timed ward_cold "$WARD" build -f "$P/ward.yaml" -o "$tmp/out" --cache "$tmp/cache" \
	--key "$tmp/signing.key" --init "$WARD_INIT"
"$WARD" -q image unpack "$tmp/out" "$tmp/rootfs"
size=$(du -sb "$tmp/rootfs" | cut -f1)
cat "$tmp/out/blobs/sha256/"* >/dev/null # page cache warm for every row alike
timed tar_gzip bash -c "tar -C '$tmp/rootfs' -cf - . | gzip -6 >/dev/null"
mkdir -p "$tmp/ctx"
mv "$tmp/rootfs" "$tmp/ctx/rootfs"
printf 'FROM scratch\nCOPY rootfs/ /\n' >"$tmp/ctx/Dockerfile"
timed podman_build podman build --no-cache -q -t "$img" "$tmp/ctx"
podman rmi -f "$img" >/dev/null 2>&1 || true
rm -rf "$tmp/ctx"
rm -rf "$tmp/cache/layers"
timed ward_trees "$WARD" build -f "$P/ward.yaml" -o "$tmp/out" --cache "$tmp/cache" \
	--key "$tmp/signing.key" --init "$WARD_INIT"
timed ward_unchanged "$WARD" build -f "$P/ward.yaml" -o "$tmp/out" --cache "$tmp/cache" \
	--key "$tmp/signing.key" --init "$WARD_INIT"
echo "# changed" >>"$P/app/server.py"
timed ward_app "$WARD" build -f "$P/ward.yaml" -o "$tmp/out" --cache "$tmp/cache" \
	--key "$tmp/signing.key" --init "$WARD_INIT"
grep -q '"name": "libjansson4"' "$P/ward.lock" &&
	{ echo "bench: libjansson4 is already locked: pick another package to add" >&2; exit 1; }
sed -i 's/^  - python3-numpy$/&\n  - libjansson4/' "$P/ward.yaml"
"$WARD" -q lock -f "$P/ward.yaml"
"$WARD" -q fetch -f "$P/ward.yaml"
sha=$(python3 -c 'import json,sys
print([p["sha256"] for p in json.load(open(sys.argv[1]))["packages"] if p["name"] == "libjansson4"][0])' "$P/ward.lock")
[ -e "$tmp/cache/blobs/sha256/$sha" ] || ln "$CACHE/blobs/sha256/$sha" "$tmp/cache/blobs/sha256/$sha" 2>/dev/null ||
	cp "$CACHE/blobs/sha256/$sha" "$tmp/cache/blobs/sha256/$sha"
timed ward_pkg "$WARD" build -f "$P/ward.yaml" -o "$tmp/out" --cache "$tmp/cache" \
	--key "$tmp/signing.key" --init "$WARD_INIT"
if [ "${BENCH_ZSTD:-0}" = 1 ]; then
	cold_cache "$tmp/cache"
	timed ward_zstd "$WARD" build -f "$P/ward.yaml" -o "$tmp/outz" --cache "$tmp/cache" \
		--compression zstd --key "$tmp/signing.key" --init "$WARD_INIT"
fi

base=$(cut -d' ' -f1 "$tmp/tar_gzip.t")
printf '\nexamples/torch-serve: %s packages, root file system %.0f MB, %d CPUs\n\n' \
	"$(python3 -c 'import json,sys;print(len(json.load(open(sys.argv[1]))["packages"]))' "$P/ward.lock")" \
	"$(echo "$size / 1000000" | bc -l)" "$(nproc)"
# Wall time is what the goal is about; CPU time (user+sys) is printed too
# because these machines are shared and wall time is noisy.
read -r _ _ bu bs <"$tmp/tar_gzip.t"
basecpu=$(echo "$bu + $bs" | bc -l)
printf '%-40s %8s %11s %8s %11s %12s\n' "" seconds "vs tar|gzip" "CPU s" "CPU ratio" "peak RSS MB"
row() { # row LABEL NAME
	local s m u y c
	read -r s m u y <"$tmp/$2.t"
	c=$(echo "$u + $y" | bc -l)
	printf '%-40s %8.1f %10.2fx %8.1f %10.2fx %12.0f\n' "$1" "$s" "$(echo "$s / $base" | bc -l)" \
		"$c" "$(echo "$c / $basecpu" | bc -l)" "$(echo "$m / 1024" | bc -l)"
}
row "ward build, warm blob cache (gzip -6)" ward_cold
row "tar -c rootfs | gzip -6" tar_gzip
row "podman build (FROM scratch, COPY)" podman_build
row "ward build, warm package cache" ward_trees
row "ward build, unchanged (layer cache)" ward_unchanged
row "ward build, one app file changed" ward_app
row "ward build, one package added" ward_pkg
[ -f "$tmp/ward_zstd.t" ] && row "ward build, warm blob cache, zstd" ward_zstd
echo
grep -E "paths in the image" "$tmp/ward_cold.err" | sed 's/^ward: /  /'
printf '  unpacked-package cache: %s\n' "$(du -sh "$tmp/cache/unpacked" | cut -f1)"
echo "  one package added:"
grep -E "^ward:   layer" "$tmp/ward_pkg.err" | sed 's/^ward: /  /'
printf '  machine load (1/5/15 min) at the end: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
echo "  goal: warm blob cache <= 0.5x tar|gzip; unchanged rebuild <= 0.1x"
