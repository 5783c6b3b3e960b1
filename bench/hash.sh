#!/usr/bin/env bash
# bench/hash.sh: model verification throughput, ward vs sha256sum vs openssl,
# side by side in one run, data in the page cache.
#   (a) 2 GiB in 4 files (OMS "files")   (b) one 2 GiB file (OMS "shards")
# Prints MB/s and the ratio of each to sha256sum.  BENCH_SIZE_MB overrides
# the 2048 MB total; BENCH_DIR the scratch directory; BENCH_RUNS the runs
# per measurement (the best run counts: noise only ever slows a run down).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
ward=${WARD:-$root/build/bin/ward}
size=${BENCH_SIZE_MB:-2048}
runs=${BENCH_RUNS:-3}
dir=${BENCH_DIR:-$(mktemp -d /tmp/ward-bench-hash.XXXXXX)}
trap 'rm -rf "$dir"' EXIT
export WARD_PASSWORD=bench WARD_NO_PROGRESS=1
[ -x "$ward" ] || { echo "bench: build ward first (make)" >&2; exit 3; }

mkdir -p "$dir/four" "$dir/one"
for i in 1 2 3 4; do
	head -c $((size / 4))M /dev/urandom >"$dir/four/part$i.bin"
done
cat "$dir"/four/part*.bin >"$dir/one/model.bin"
"$ward" keygen -o "$dir/k" >/dev/null 2>&1
"$ward" model sign "$dir/four" --key "$dir/k.key" 2>/dev/null
"$ward" model sign "$dir/one" --key "$dir/k.key" --method shards --shard-size 64M 2>/dev/null
cat "$dir"/four/* "$dir"/one/* >/dev/null # warm the page cache

best() { # best SECONDS over $runs runs of CMD...
	local b=999999 t0 t1 t
	for ((r = 0; r < runs; r++)); do
		t0=$(date +%s.%N)
		"$@" >/dev/null 2>&1
		t1=$(date +%s.%N)
		t=$(echo "$t1 - $t0" | bc -l)
		b=$(echo "if ($t < $b) $t else $b" | bc -l)
	done
	echo "$b"
}
mbps() { echo "scale=0; $size * 1048576 / $1 / 1000000" | bc -l; }

printf '%-44s %10s %10s\n' "case (${size} MiB, best of $runs)" "MB/s" "x sha256sum"
for c in four one; do
	base=$(best sha256sum "$dir/$c"/*)
	ossl=$(best openssl dgst -sha256 "$dir/$c"/*)
	if [ $c = four ]; then
		w=$(best "$ward" model verify "$dir/four" --key "$dir/k.pub")
		w1=$(best "$ward" model verify "$dir/four" --key "$dir/k.pub" --threads 1)
		label="(a) 4 files, files method"
	else
		w=$(best "$ward" model verify "$dir/one" --key "$dir/k.pub")
		w1=$(best "$ward" model verify "$dir/one" --key "$dir/k.pub" --threads 1)
		label="(b) 1 file, shards method (64M)"
	fi
	echo "$label"
	for row in "sha256sum:$base" "openssl dgst -sha256:$ossl" "ward model verify (1 thread):$w1" "ward model verify ($(nproc) threads):$w"; do
		name=${row%%:*}
		t=${row##*:}
		printf '  %-42s %10s %10.2f\n' "$name" "$(mbps "$t")" "$(echo "$base / $t" | bc -l)"
	done
done
echo "single-core SHA-256 (openssl speed -evp sha256, 1 MiB blocks): $(openssl speed -evp sha256 -bytes 1048576 -seconds 1 2>/dev/null | awk '/^sha256/ {printf "%.0f MB/s", $2/1000}')"
