#!/usr/bin/env bash
# bench/scan.sh: ward's vulnerability store and scanner against all of
# shared/vulndata, side by side with the independent Python oracle doing the
# same work (tests/py/vuln_oracle.py: json + dpkg + packaging).
#   import   ward db import of every record   vs  Python loading and indexing them
#   sbom     ward scan SBOM --json              vs  the oracle's expected findings
#   rootfs   ward scan ROOTFS --json            vs  the oracle (dpkg-query + the same)
#   image    ward scan IMAGE.tar --json         vs  the oracle on the directory
# Median wall time of RUNS runs and peak RSS.  Goal: SBOM -> findings <= 100 ms
# and <= 64 MiB.  ROOTFS defaults to this machine's package metadata (dpkg
# database, os-release, dist-info/egg-info) copied into a small tree; the SBOM
# and the image (podman docker-archive) are made from it.
# Usage: bench/scan.sh [ROOTFS]   (needs a release build: make)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
WARD=${WARD:-$here/build/bin/ward}
SHARED=${WARD_SHARED:-$here/tests/data/shared}
[ -d "$here/../shared/vulndata" ] && SHARED=$(cd "$here/../shared" && pwd)
VD=$SHARED/vulndata
ROOT=${1:-}
RUNS=${RUNS:-7}
ORACLE="python3 $here/tests/py/vuln_oracle.py"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export WARD_NO_PROGRESS=1
# the package cache ward reads changelogs from: empty for the side-by-side
# rows (the oracle would read it too), the user's own for one extra line
USER_CACHE=${WARD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ward}
export WARD_CACHE=$T/cache
mkdir -p "$WARD_CACHE"

# measure NAME CMD...: median seconds and peak RSS (KiB) over RUNS runs
measure() {
	python3 - "$RUNS" "$@" <<'PY'
import os, resource, statistics, subprocess, sys, time
runs, cmd = int(sys.argv[1]), sys.argv[2:]
times, rss = [], 0
for _ in range(runs):
    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, 1); os.dup2(fd, 2)
        os.execvp("sh", ["sh", "-c", cmd[0]])
    _, status, ru = os.wait4(pid, 0)
    times.append(time.perf_counter() - t0)
    if status != 0:
        sys.exit("failed: %s" % cmd[0])
    rss = max(rss, ru.ru_maxrss)
print("%.4f %d" % (statistics.median(times), rss))
PY
}

python3 -c "
import json, glob, sys
for p in glob.glob(sys.argv[1] + '/pypi/*.json'):
    r = json.load(open(p))
    for s in r.get('severity', []) + [s for a in r['affected'] for s in a.get('severity', [])]:
        print(s['score'])" "$VD" | sort -u | (cd "$here/tests/js" && node cvss-scores.mjs) >"$T/cvss.tsv"
if [ -z "$ROOT" ]; then
	ROOT=$T/host
	mkdir -p "$ROOT/etc" "$ROOT/var/lib"
	cp -L /etc/os-release "$ROOT/etc/os-release"
	cp -a /var/lib/dpkg "$ROOT/var/lib/"
	for m in /usr/lib/python3*/*-packages/*.*-info /usr/local/lib/python3*/*-packages/*.*-info; do
		case $m in *.dist-info | *.egg-info)
			[ -e "$m" ] || continue
			mkdir -p "$ROOT$(dirname "$m")" && cp -a "$m" "$ROOT$(dirname "$m")/" ;;
		esac
	done
fi
IMG=localhost/ward-bench-vuln-$$:1
tar -C "$ROOT" -cf - . | podman import -q - "$IMG" >/dev/null
podman save -q --format docker-archive -o "$T/img.tar" "$IMG" >/dev/null
podman rmi -f "$IMG" >/dev/null
$ORACLE packages "$ROOT" >"$T/pk.json"
$ORACLE sbom "$T/pk.json" cdx-ward >"$T/sbom.json"
"$WARD" db import "$VD/pypi" "$VD/debian-12" --db "$T/db" 2>/dev/null
npk=$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))['packages']))" "$T/pk.json")
nrec=$(find "$VD" -name '*.json' | wc -l)

read -r wi_t wi_m < <(measure "rm -rf $T/db2 && $WARD db import $VD/pypi $VD/debian-12 --db $T/db2")
read -r bi_t bi_m < <(measure "python3 -c 'import json,glob,sys
idx={}
for p in glob.glob(sys.argv[1]+\"/*/*.json\"):
    r=json.load(open(p))
    for a in r[\"affected\"]: idx.setdefault((a[\"package\"][\"ecosystem\"],a[\"package\"][\"name\"].lower()),[]).append(r)' $VD")
read -r ws_t ws_m < <(measure "$WARD scan $T/sbom.json --db $T/db --json")
read -r bs_t bs_m < <(measure "$ORACLE expect $T/pk.json $VD/pypi:$VD/debian-12 $T/cvss.tsv cdx-ward")
read -r wr_t wr_m < <(measure "$WARD scan $ROOT --db $T/db --json")
read -r br_t br_m < <(measure "$ORACLE packages $ROOT > $T/pk2.json && $ORACLE expect $T/pk2.json $VD/pypi:$VD/debian-12 $T/cvss.tsv")
read -r wm_t wm_m < <(measure "$WARD scan $T/img.tar --db $T/db --json")
read -r wc_t wc_m < <(WARD_CACHE=$USER_CACHE measure "$WARD scan $T/sbom.json --db $T/db --json")
nblobs=$(ls "$USER_CACHE/blobs/sha256" 2>/dev/null | wc -l)
nf=$("$WARD" scan "$T/sbom.json" --db "$T/db" --json 2>/dev/null | python3 -c "import json,sys; print(len(json.load(sys.stdin)['findings']))")

printf '\nvulndata: %s records; target: %s packages (%s MB of package metadata), %s findings; median of %s runs\n\n' \
	"$nrec" "$npk" "$(du -sm "$ROOT" | cut -f1)" "$nf" "$RUNS"
printf '%-34s %10s %10s %10s %10s %8s\n' "task" "ward ms" "ward MiB" "base ms" "base MiB" "speedup"
row() { python3 -c "import sys
n,a,b,c,d=sys.argv[1],*map(float,sys.argv[2:])
print('%-34s %10.1f %10.1f %10.1f %10.1f %7.1fx' % (n, a*1000, b/1024, c*1000, d/1024, c/a))" "$@"; }
row "db import (all records)" "$wi_t" "$wi_m" "$bi_t" "$bi_m"
row "SBOM -> findings" "$ws_t" "$ws_m" "$bs_t" "$bs_m"
row "rootfs -> findings" "$wr_t" "$wr_m" "$br_t" "$br_m"
row "image (docker-archive) -> findings" "$wm_t" "$wm_m" "$br_t" "$br_m"
python3 -c "import sys
t,m=float(sys.argv[1]),float(sys.argv[2])/1024
print('\ngoal SBOM -> findings <= 100 ms and <= 64 MiB: %s (%.1f ms, %.1f MiB)' % ('met' if t<=0.1 and m<=64 else 'NOT met', t*1000, m))" "$ws_t" "$ws_m"
python3 -c "import sys
print('SBOM -> findings with ward\'s package cache of %s blobs (changelog evidence): %.1f ms, %.1f MiB' % (sys.argv[3], float(sys.argv[1])*1000, float(sys.argv[2])/1024))" "$wc_t" "$wc_m" "$nblobs"
echo "(baseline: tests/py/vuln_oracle.py, Python json + dpkg --compare-versions + packaging; import"
echo " baseline only parses and indexes; the image row's baseline works on the unpacked directory)"
