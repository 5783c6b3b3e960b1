#!/usr/bin/env bash
# bench/sbom.sh [IMAGE]: `ward sbom` on an image vs the floor of just
# decompressing and listing its layers (`tar -tzf` over each layer blob), in
# one run, as a ratio (goal: <= 1.3x), with ward's peak memory.
#
# IMAGE is an OCI layout (DIR or DIR:tag) with gzip layers.  Without one,
# a stock Debian 12 + python3-torch image is made once (debootstrap from the
# mirror in the system's apt sources, packed with podman, converted to an
# OCI layout with skopeo) and cached in build/bench-cache/.  ward's own
# PyTorch example image (issue #4) replaces it once `ward build` exists.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
WARD=${WARD:-$here/build/bin/ward}
RUNS=${RUNS:-3}
cache=$here/build/bench-cache
[ -x "$WARD" ] || { echo "bench/sbom.sh: build ward first (make)" >&2; exit 3; }

mirror() {
	python3 - <<'PY'
import glob, re
for path in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
    for stanza in open(path).read().split("\n\n"):
        f = dict(re.findall(r"^([A-Za-z-]+):\s*(.*)$", stanza, re.M))
        if "deb" in f.get("Types", "").split() and "bookworm" in f.get("Suites", "").split():
            print(f["URIs"].split()[0]); raise SystemExit
PY
}

image=${1:-}
if [ -z "$image" ]; then
	image=$cache/debian-torch-oci:latest
	if [ ! -f "$cache/debian-torch-oci/index.json" ]; then
		mkdir -p "$cache"
		root=$cache/debian-torch-rootfs
		# The e2e test's copy (make check-e2e) serves as well.
		e2e=$here/build-check/test-cache/sbom-bookworm-torch
		[ -f "$e2e.ok" ] && [ ! -f "$root.ok" ] && root=$e2e
		if [ ! -f "$root.ok" ]; then
			echo "bench/sbom.sh: debootstrap bookworm + python3-torch (once)..." >&2
			rm -rf "$root"
			debootstrap --variant=minbase --include=python3-torch bookworm "$root" "$(mirror)" >"$cache/debootstrap.log" 2>&1
			rm -f "$root"/var/cache/apt/archives/*.deb
			touch "$root.ok"
		fi
		name=localhost/ward-bench-sbom-torch:latest
		tar -C "$root" -cf - . | podman import -q - "$name" >/dev/null
		podman save -q --format docker-archive -o "$cache/debian-torch.tar" "$name" >/dev/null
		podman rmi -f "$name" >/dev/null
		skopeo copy -q "docker-archive:$cache/debian-torch.tar" "oci:$cache/debian-torch-oci:latest" >/dev/null
		rm -f "$cache/debian-torch.tar"
	fi
fi

dir=${image%:*}
[ -f "$dir/index.json" ] || dir=$image
layers=$(python3 - "$dir" <<'PY'
import json, sys
d = sys.argv[1]
idx = json.load(open(d + "/index.json"))["manifests"][0]["digest"].split(":")[1]
m = json.load(open(f"{d}/blobs/sha256/{idx}"))
print(" ".join(f"{d}/blobs/sha256/{l['digest'].split(':')[1]}" for l in m["layers"]))
PY
)
out=$(mktemp -d "${TMPDIR:-/tmp}/ward-bench-sbom.XXXXXX")
trap 'rm -rf "$out"' EXIT

# Median of RUNS alternating runs, so both see the same machine load.
floor=() wardt=() rss=()
for ((i = 0; i < RUNS; i++)); do
	t0=$(date +%s.%N)
	for b in $layers; do tar -tzf "$b" >/dev/null; done
	t1=$(date +%s.%N)
	/usr/bin/time -f "%e %M" -o "$out/time" "$WARD" -q sbom "$image" -o "$out/sbom" >/dev/null
	floor+=("$(python3 -c "print($t1 - $t0)")")
	read -r w m <"$out/time"
	wardt+=("$w") rss+=("$m")
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
f=$(median "${floor[@]}") w=$(median "${wardt[@]}") m=$(median "${rss[@]}")
bytes=$(python3 -c "import json; print(json.load(open('$out/sbom/summary.json'))['completeness']['bytes'])")
printf '%-28s %10s %10s %8s %12s\n' "image" "floor (s)" "ward (s)" "ratio" "ward peak"
printf '%-28s %10.2f %10.2f %7.2fx %9d MiB\n' "$(basename "$dir")" "$f" "$w" \
	"$(python3 -c "print($w / $f)")" "$((m / 1024))"
echo "($(echo "$layers" | wc -w) layer(s), $((bytes / 1048576)) MiB of files; floor = tar -tzf per layer; median of $RUNS)"
