#!/usr/bin/env bash
# bench/gzip.sh: ward's reproducible parallel gzip against gzip -6 (and pigz
# -6 when installed) on the same input, in one run, as MB/s and ratios.
#   bash bench/gzip.sh [INPUT] [MB]
# Without INPUT, a tar of the first MB (default 256) megabytes of /usr is
# used: real binaries, libraries and text, like an image layer.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
WARD=${WARD:-$here/build/bin/ward}
mb=${2:-256}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ward-bench-gzip.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
[ -x "$WARD" ] || { echo "bench: build ward first (make)" >&2; exit 3; }

in=${1:-}
if [ -z "$in" ]; then
	in=$tmp/input.tar
	tar -C / -cf - usr 2>/dev/null | head -c $((mb << 20)) >"$in" || true
fi
size=$(stat -c %s "$in")
cat "$in" >/dev/null # warm the page cache

# run NAME CMD...: time CMD <input >output; prints seconds
run() {
	local name=$1 start end
	shift
	start=$(date +%s.%N)
	"$@" <"$in" >"$tmp/$name.out"
	end=$(date +%s.%N)
	echo "$end - $start" | bc -l
}

printf 'input: %s, %.1f MB, %d CPUs\n\n' "$in" "$(echo "$size / 1000000" | bc -l)" "$(nproc)"
printf '%-22s %9s %9s %8s %10s\n' tool seconds "MB/s" ratio "vs gzip-6"
base=$(run gzip6 gzip -6 -n -c)
row() { # row NAME SECONDS OUTFILE
	local mbs ratio speed
	mbs=$(echo "$size / 1000000 / $2" | bc -l)
	ratio=$(echo "$(stat -c %s "$3") / $size" | bc -l)
	speed=$(echo "$base / $2" | bc -l)
	printf '%-22s %9.2f %9.1f %8.3f %9.2fx\n' "$1" "$2" "$mbs" "$ratio" "$speed"
}
row "gzip -6" "$base" "$tmp/gzip6.out"
if command -v pigz >/dev/null; then
	t=$(run pigz pigz -6 -n -c -p "$(nproc)")
	row "pigz -6 -p$(nproc)" "$t" "$tmp/pigz.out"
fi
for th in 1 2 $(nproc); do
	[ -e "$tmp/ward$th.out" ] && continue
	t=$(run "ward$th" "$WARD" image compress --threads "$th")
	row "ward gzip threads=$th" "$t" "$tmp/ward$th.out"
done
t=$(run wardzstd "$WARD" image compress --compression zstd --threads "$(nproc)")
row "ward zstd threads=$(nproc)" "$t" "$tmp/wardzstd.out"

# The output must be the same bytes for every thread count, and decode.
same=yes
for th in 2 $(nproc); do cmp -s "$tmp/ward1.out" "$tmp/ward$th.out" || same=no; done
gzip -dc "$tmp/ward1.out" | cmp -s - "$in" && decodes=yes || decodes=no
echo
echo "ward gzip output identical for all thread counts: $same; gzip -d round trip: $decodes"
[ "$same" = yes ] && [ "$decodes" = yes ]
